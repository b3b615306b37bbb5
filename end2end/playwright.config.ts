import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh database for every run, on a port of its own. The workers inherit the folder
// (tests read the database to check what the server stored).
const port = Number(process.env.PATIO_E2E_PORT ?? 3100);
process.env.PATIO_E2E_DATA ??= mkdtempSync(join(tmpdir(), 'patio-e2e-'));
const data = process.env.PATIO_E2E_DATA;
const bin = process.env.PATIO_BIN ?? '../target/release/patio';
// A second server that sends mail, to aiosmtpd writing a Maildir the tests read: the
// account flows that arrive by mail (a new account's link, a forgotten password, a new
// email). Its links point at it.
const mailPort = Number(process.env.PATIO_E2E_MAIL_PORT ?? port + 2);
const smtpPort = Number(process.env.PATIO_E2E_SMTP_PORT ?? port + 3);
process.env.PATIO_E2E_MAILDIR ??= join(data, 'maildir');
// Reached as localhost: passkeys need a host name (browsers refuse them on an address).
process.env.PATIO_E2E_MAIL_URL ??= `http://localhost:${mailPort}`;
const python = process.env.PATIO_PYTHON ?? 'python3';

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    launchOptions: {
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'off',
  },
  webServer: [
    {
      command: `${bin} --bind 127.0.0.1:${port} --database-url sqlite://${data}/patio.db --data-dir ${data} --site-root ../target/site --log warn --signups-per-hour 1000`,
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `${python} -m aiosmtpd -n -l 127.0.0.1:${smtpPort} -c aiosmtpd.handlers.Mailbox ${process.env.PATIO_E2E_MAILDIR}`,
      port: smtpPort,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: `${bin} --bind 127.0.0.1:${mailPort} --database-url sqlite://${data}/mail/patio.db --data-dir ${data}/mail --site-root ../target/site --log warn --signups-per-hour 1000 --smtp-url smtp://127.0.0.1:${smtpPort} --mail-from 'Patio <patio@example.com>' --notice-interval 1 --public-url ${process.env.PATIO_E2E_MAIL_URL}`,
      url: `http://127.0.0.1:${mailPort}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
