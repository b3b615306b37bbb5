import { defineConfig } from '@playwright/test';

// The browser half of scripts/deploy-test: Chromium against nginx (deploy/nginx/patio.conf)
// at https://patio.test, which the script maps to its nginx on 127.0.0.1 and whose
// self-made certificate it pins by its key (SPKI): the page is a real secure context,
// no certificate error is ignored beyond that one key. Not part of the normal suite.
const rules = process.env.DEPLOY_HOST_RULES;
const spki = process.env.DEPLOY_SPKI;
const tmp = process.env.DEPLOY_TMP;
if (!rules || !spki || !tmp) {
  throw new Error('run scripts/deploy-test: it starts nginx and two replicas and sets DEPLOY_HOST_RULES, DEPLOY_SPKI and DEPLOY_TMP');
}

export default defineConfig({
  testDir: '.',
  outputDir: `${tmp}/playwright`,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.DEPLOY_URL ?? 'https://patio.test',
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
        `--host-resolver-rules=${rules}`,
        `--ignore-certificate-errors-spki-list=${spki}`,
      ],
    },
    trace: 'off',
  },
});
