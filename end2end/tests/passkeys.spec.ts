import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { PASSWORD, confirmPassword, signUpByMail, totp, uniqueEmail, waitForHydration } from './helpers';

// Against the server reached as localhost (playwright.config.ts): browsers allow passkeys
// on a host name, never on an address. Chromium's virtual authenticator stands in for the
// device: a CTAP2 authenticator with resident keys and user verification.
const base = () => process.env.PATIO_E2E_MAIL_URL!;

const shots = process.env.PATIO_SHOTS;
async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function virtualAuthenticator(page: Page): Promise<string> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return authenticatorId;
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(`${base()}/signin`);
  await waitForHydration(page);
}

async function openPasskeys(page: Page) {
  await page.goto(`${base()}/settings/passkeys`);
  await waitForHydration(page);
  await expect(page.getByRole('link', { name: 'Passkeys' })).toHaveAttribute('aria-current', 'page');
}

test('a passkey is added, signs in with one click, replaces the two-factor code, and stops once removed', async ({ page }) => {
  await virtualAuthenticator(page);
  const email = uniqueEmail('passkey');
  await signUpByMail(page, email);
  await openPasskeys(page);
  await expect(page.getByText('No passkeys yet.')).toBeVisible();

  // The password first, then the device's prompt.
  await page.getByLabel('Name').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await confirmPassword(page, 'not the password');
  await expect(page.getByRole('dialog').getByRole('alert')).toBeVisible();
  await page.getByRole('dialog').getByLabel('Password').fill(PASSWORD);
  await page.getByRole('dialog').getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByText('Passkey "Work laptop" added.')).toBeVisible();
  const row = page.getByRole('row', { name: /Work laptop/ });
  await expect(row).toContainText('never');
  await shot(page, 'passkeys-1-tab');

  // Signed out, one click signs in: no email typed.
  await signOut(page);
  await shot(page, 'passkeys-2-signin');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(`${base()}/`);
  await openPasskeys(page);
  await expect(page.getByRole('row', { name: /Work laptop/ })).not.toContainText('never');

  // Rename.
  await page.getByRole('row', { name: /Work laptop/ }).getByRole('button', { name: 'Rename' }).click();
  await page.getByRole('textbox', { name: 'Name' }).last().fill('Old laptop');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Passkey renamed.')).toBeVisible();
  await expect(page.getByRole('row', { name: /Old laptop/ })).toBeVisible();

  // Two-factor on: the code step offers the passkey instead of the code.
  await page.getByRole('link', { name: 'Two-factor' }).click();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Set up two-factor' }).click();
  await confirmPassword(page);
  const secret = (await page.getByLabel('Setup key').textContent())!.trim();
  await page.getByLabel('2. Enter the 6-digit code the app shows now.').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('dialog', { name: 'Your recovery codes' }).getByRole('button', { name: 'Done' }).click();
  await signOut(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByLabel('Authentication code')).toBeVisible();
  await shot(page, 'passkeys-3-code-step');
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(page).toHaveURL(`${base()}/`);

  // The Security Log has it all.
  await page.goto(`${base()}/settings/security-log`);
  await waitForHydration(page);
  await expect(page.getByRole('cell', { name: 'Passkey added' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Passkey renamed' })).toBeVisible();
  await expect(page.getByRole('row', { name: /passkey Old laptop/ }).first()).toBeVisible();

  // Removed (after the password): the device's key no longer signs in.
  await openPasskeys(page);
  await page.getByRole('row', { name: /Old laptop/ }).getByRole('button', { name: 'Remove' }).click();
  await confirmPassword(page);
  await expect(page.getByText('Passkey removed.')).toBeVisible();
  await expect(page.getByText('No passkeys yet.')).toBeVisible();
  await signOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toHaveText('That passkey did not sign in: it may have been removed, or the device said no.');
  await expect(page).toHaveURL(`${base()}/signin`);
});

test('passkeys in Bahasa Indonesia, and a server reached by an address says why it has none', async ({ page }) => {
  await virtualAuthenticator(page);
  const email = uniqueEmail('kunci');
  await signUpByMail(page, email);
  await page.goto(`${base()}/settings/passkeys?lang=id`);
  await waitForHydration(page);
  await expect(page.getByRole('button', { name: 'Tambah passkey' })).toBeVisible();
  await shot(page, 'passkeys-4-tab-id');
  await page.getByRole('button', { name: 'Keluar' }).click();
  await waitForHydration(page);
  await expect(page.getByRole('button', { name: 'Masuk dengan passkey' })).toBeVisible();
  await shot(page, 'passkeys-5-signin-id');

  // The main server is reached at 127.0.0.1: no passkey button, and the tab says why.
  await page.goto('/signin?lang=en');
  await waitForHydration(page);
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toHaveCount(0);
});
