import { expect, test, type Page } from '@playwright/test';
import { PASSWORD, confirmPassword, createEnvironment, generateToken, openAccessTokens, signUp, totp, waitForHydration } from './helpers';

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL('/signin');
}

/** Email and password on the sign-in page, up to the code step. */
async function passwordStep(page: Page, email: string) {
  await page.goto('/signin');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByLabel('Authentication code')).toBeVisible();
  await expect(page.getByLabel('Password')).toBeHidden();
}

async function enterCode(page: Page, code: string) {
  await page.getByLabel('Authentication code').fill(code);
  await page.getByRole('button', { name: 'Verify' }).click();
}

test('enrol with an authenticator code, then sign in with a code and with a recovery code; tokens need none', async ({ page, request }) => {
  const email = await signUp(page);
  await createEnvironment(page, 'two-factor-env');
  await openAccessTokens(page);
  await page.getByRole('link', { name: 'Two-factor' }).click();
  await expect(page).toHaveURL('/settings/two-factor');
  await waitForHydration(page);
  await expect(page.getByText('Two-factor sign-in is off.')).toBeVisible();

  await page.getByRole('button', { name: 'Set up two-factor' }).click();
  await confirmPassword(page);
  const qr = page.getByRole('img', { name: 'QR code for the authenticator app' });
  await expect(qr).toBeVisible();
  expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml/);
  const secret = (await page.getByLabel('Setup key').textContent())!.trim();
  expect(secret.replace(/ /g, '')).toMatch(/^[A-Z2-7]{32}$/);
  const uri = await page.getByRole('link', { name: 'Open in the authenticator app' }).getAttribute('href');
  expect(uri).toContain(`secret=${secret.replace(/ /g, '')}`);
  await page.screenshot({ path: 'test-results/two-factor-setup.png', fullPage: true });

  // A wrong first code does not turn it on.
  await page.getByLabel('2. Enter the 6-digit code the app shows now.').fill(totp(secret, Date.now() / 1000 + 600));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('alert')).toContainText('wrong or was already used');
  await page.getByLabel('2. Enter the 6-digit code the app shows now.').fill(totp(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();

  const shown = page.getByRole('dialog', { name: 'Your recovery codes' });
  await expect(shown).toBeVisible();
  const codes = await shown.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem').allTextContents();
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
  await expect(shown.getByRole('link', { name: 'Download' })).toHaveAttribute('download', 'patio-recovery-codes.txt');
  await page.screenshot({ path: 'test-results/two-factor-codes.png' });
  await shown.getByRole('button', { name: 'Done' }).click();
  await expect(shown).toBeHidden();
  await expect(page.getByText(/Two-factor sign-in is on since/)).toBeVisible();
  await expect(page.getByText('Recovery codes left: 10 of 10.')).toBeVisible();
  await page.screenshot({ path: 'test-results/two-factor-on.png', fullPage: true });

  // The Access Tokens tab says tokens need no code, and a new token stops an environment.
  await page.getByRole('link', { name: 'Access Tokens' }).click();
  await expect(page.getByRole('note').filter({ hasText: 'Access tokens keep working without a code' })).toBeVisible();
  const value = await generateToken(page, 'deploy script', 'Extended Access');
  const stop = await request.get(`/1.0/environment/control/rest/stopenv?envName=two-factor-env&session=${value}`);
  expect(await stop.json()).toEqual({ result: 0 });

  // Signing in now asks for a code after the password.
  await signOut(page);
  await passwordStep(page, email);
  await page.screenshot({ path: 'test-results/two-factor-signin.png' });
  await enterCode(page, totp(secret, Date.now() / 1000 + 600));
  await expect(page.getByRole('alert')).toContainText('That code is not correct or was already used.');
  // The next step's code: the one shown at enrolment is spent.
  await enterCode(page, totp(secret, Date.now() / 1000 + 30));
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('row', { name: /two-factor-env/ })).toContainText('Stopped');

  // The phone is lost: a recovery code gets in, once.
  await signOut(page);
  await passwordStep(page, email);
  await enterCode(page, codes[0]);
  await expect(page).toHaveURL('/');
  await signOut(page);
  await passwordStep(page, email);
  await enterCode(page, codes[0]);
  await expect(page.getByRole('alert')).toContainText('That code is not correct or was already used.');
  await enterCode(page, codes[1].toUpperCase());
  await expect(page).toHaveURL('/');

  // Before the page is interactive (no scripts), the code step asks for all three again.
  const plainContext = await page.context().browser()!.newContext({ javaScriptEnabled: false });
  const plain = await plainContext.newPage();
  await plain.goto('/signin');
  await plain.getByLabel('Email').fill(email);
  await plain.getByLabel('Password').fill(PASSWORD);
  await plain.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(plain.getByLabel('Authentication code')).toBeVisible();
  await plain.getByLabel('Email').fill(email);
  await plain.getByLabel('Password').fill(PASSWORD);
  await plain.getByLabel('Authentication code').fill(codes[2]);
  await plain.getByRole('button', { name: 'Verify' }).click();
  await expect(plain).toHaveURL('/');
  await plainContext.close();

  await page.goto('/settings/two-factor');
  await expect(page.getByText('Recovery codes left: 7 of 10.')).toBeVisible();
  await page.goto('/settings/security-log');
  await expect(page.getByRole('cell', { name: 'Recovery code used' })).toHaveCount(3);
  await expect(page.getByRole('cell', { name: 'Two-factor sign-in turned on' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Two-factor code' }).first()).toBeVisible();

  // Turning it off takes the password and a code.
  await page.goto('/settings/two-factor');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Turn off' }).click();
  const dialog = page.getByRole('dialog', { name: 'Turn off two-factor sign-in' });
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByLabel('Authentication code').fill(codes[3]);
  await dialog.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('status')).toContainText('Two-factor sign-in is now off.');
  await expect(page.getByText('Two-factor sign-in is off.')).toBeVisible();
});
