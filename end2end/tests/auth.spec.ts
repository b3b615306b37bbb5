import { expect, test } from '@playwright/test';
import { PASSWORD, createEnvironment, signUp, waitForHydration } from './helpers';

test('a stranger is sent to sign in', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL('/signin');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
});

test('sign up, see the dashboard, sign out, sign in again', async ({ page }) => {
  const email = await signUp(page);
  await expect(page.getByText(email)).toBeVisible();
  await expect(page.getByText('No environments yet.')).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL('/signin');
  await page.goto('/');
  await expect(page).toHaveURL('/signin');

  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('The email or the password is not correct.');

  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL('/');
  await expect(page.getByRole('heading', { name: 'Environments' })).toBeVisible();
});

test('the session cookie is HttpOnly and SameSite=Lax', async ({ page, context }) => {
  await signUp(page);
  const cookie = (await context.cookies()).find((c) => c.name === 'patio_session');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Lax');
});

test('environments start and stop from the dashboard', async ({ page }) => {
  await signUp(page);
  await createEnvironment(page, 'web-app');
  const row = page.getByRole('row', { name: /web-app/ });
  await row.getByRole('button', { name: 'Stop' }).click();
  await expect(row).toContainText('Stopped');
  await row.getByRole('button', { name: 'Start' }).click();
  await expect(row).toContainText('Running');
});

test('deleting an environment asks for the password: a wrong one says so and keeps it', async ({ page }) => {
  await signUp(page);
  await createEnvironment(page, 'old-site');
  const row = page.getByRole('row', { name: /old-site/ });

  await row.getByRole('button', { name: 'Delete' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete old-site' });
  await dialog.getByLabel('Password').fill('not the password');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog.getByRole('alert')).toHaveText('Wrong password');
  await page.reload();
  await expect(page.getByRole('row', { name: /old-site/ })).toBeVisible();

  await waitForHydration(page);
  await page.getByRole('row', { name: /old-site/ }).getByRole('button', { name: 'Delete' }).click();
  await dialog.getByLabel('Password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('row', { name: /old-site/ })).toHaveCount(0);
  await page.reload();
  await expect(page.getByText('No environments yet.')).toBeVisible();
});

test('the sign-in and sign-up pages show only their own sentences, whatever the URL says', async ({ page }) => {
  // Without scripts a refused form post comes back as ?__err=…; anyone can write such a link.
  const planted = 'Your account is locked. Call +1 555 0100 to unlock it.';
  const err = encodeURIComponent(JSON.stringify({ Domain: { code: 702, message: planted } }));
  for (const path of ['/signin', '/signup']) {
    await page.goto(`${path}?__err=${err}`);
    await waitForHydration(page);
    await expect(page.getByText(planted)).toHaveCount(0);
    await expect(page.locator('body')).not.toContainText('555 0100');
  }
  await page.goto(`/signin?__err=${err}`);
  const alert = page.getByRole('alert');
  if ((await alert.count()) > 0) {
    await expect(alert).toHaveText('The email or the password is not correct.');
  }
});

test('signing in works before the page is interactive: a plain form post', async ({ browser, page }) => {
  const email = await signUp(page);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const plain = await context.newPage();
  await plain.goto('/signin');
  await plain.getByLabel('Email').fill(email);
  await plain.getByLabel('Password').fill('not the password');
  await plain.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(plain).toHaveURL(/\/signin/);
  await expect(plain.getByRole('alert')).toHaveText('The email or the password is not correct.');
  await plain.getByLabel('Email').fill(email);
  await plain.getByLabel('Password').fill(PASSWORD);
  await plain.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(plain).toHaveURL('/');
  await expect(plain.getByRole('heading', { name: 'Environments' })).toBeVisible();
  await context.close();
});
