import { expect, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const PASSWORD = 'correct horse battery';

/** A new account, signed up through the page, landing on the dashboard. */
export async function signUp(page: Page): Promise<string> {
  const email = `user-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { name: 'Environments' })).toBeVisible();
  return email;
}

/** The wasm has taken over the server-rendered page. */
export async function waitForHydration(page: Page) {
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached', timeout: 30_000 });
}

export async function createEnvironment(page: Page, name: string) {
  await page.goto('/');
  await waitForHydration(page);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create environment' }).click();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Running');
}

/** Confirms the pending change with the password. */
export async function confirmPassword(page: Page, password = PASSWORD) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Password').fill(password);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
}

export async function openAccessTokens(page: Page) {
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL('/settings/access-tokens');
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
}

/** Generates a token through the form and returns its value from the reveal dialog. */
export async function generateToken(page: Page, description: string, set: string, methods: string[] = []): Promise<string> {
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: /Access Token/ });
  await form.getByLabel('Description').fill(description);
  await form.getByLabel('API', { exact: true }).selectOption({ label: set });
  for (const m of methods) {
    await form.getByRole('searchbox', { name: 'Search' }).fill(m.split('.').pop()!);
    await form.getByRole('checkbox', { name: m, exact: true }).check();
  }
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  const value = await reveal.getByLabel('Token value').inputValue();
  expect(value).toMatch(/^patio_[0-9A-Za-z]{38}$/);
  await reveal.getByRole('button', { name: 'Done' }).click();
  await expect(reveal).toBeHidden();
  return value;
}

/** The code an authenticator app shows for a base32 secret (RFC 6238: SHA-1, 30 s, 6 digits). */
export function totp(secret: string, unixSeconds = Date.now() / 1000): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/[\s=]/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) throw new Error(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const hash = createHmac('sha1', key).update(counter).digest();
  const at = hash[hash.length - 1] & 0x0f;
  const binary = ((hash[at] & 0x7f) << 24) | (hash[at + 1] << 16) | (hash[at + 2] << 8) | hash[at + 3];
  return String(binary % 1_000_000).padStart(6, '0');
}

/** One message the mail-sending server sent, decoded. */
export interface Mail {
  to: string;
  subject: string;
  body: string;
}

function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i]));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Every message in the Maildir aiosmtpd writes (playwright.config.ts), oldest first. */
export function mails(): Mail[] {
  const dir = process.env.PATIO_E2E_MAILDIR!;
  const files: string[] = [];
  for (const sub of ['new', 'cur']) {
    try {
      for (const f of readdirSync(join(dir, sub))) files.push(join(dir, sub, f));
    } catch {
      // Not made until the first message.
    }
  }
  files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  return files.map((file) => {
    const raw = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
    const split = raw.indexOf('\n\n');
    const head = raw.slice(0, split);
    const header = (name: string) =>
      head.split('\n').find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))?.slice(name.length + 1).trim() ?? '';
    const body = raw.slice(split + 2);
    const qp = header('Content-Transfer-Encoding').toLowerCase() === 'quoted-printable';
    return { to: header('To'), subject: header('Subject'), body: qp ? decodeQuotedPrintable(body) : body };
  });
}

/** Waits for mail to `to` whose subject has `subject`, and returns the link in it under `path`. */
export async function mailedLink(to: string, subject: string, path: string): Promise<string> {
  const base = process.env.PATIO_E2E_MAIL_URL!;
  let link: string | undefined;
  await expect
    .poll(() => {
      const mail = mails().reverse().find((m) => m.to.includes(to) && m.subject.includes(subject));
      link = mail?.body.split(/\s+/).find((w) => w.startsWith(`${base}${path}`));
      return link;
    }, { timeout: 20_000 })
    .toBeTruthy();
  return link!;
}

export function uniqueEmail(what: string): string {
  return `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Signs up on the mail server: the page says to check the inbox, the mailed link makes the account. */
export async function signUpByMail(page: Page, email: string, password = PASSWORD) {
  await page.goto(`${process.env.PATIO_E2E_MAIL_URL!}/signup`);
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByText('Check your inbox')).toBeVisible();
  await expect(page.getByText(`A mail is on its way to ${email}`)).toBeVisible();
  const link = await mailedLink(email, 'create your account', '/verify/');
  await page.goto(link);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(`${process.env.PATIO_E2E_MAIL_URL!}/`);
  await expect(page.getByRole('heading', { name: 'Environments' })).toBeVisible();
}

