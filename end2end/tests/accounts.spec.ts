import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { PASSWORD, confirmPassword, mailedLink, mails, signUpByMail, uniqueEmail, waitForHydration } from './helpers';

// These run against the server that sends mail (playwright.config.ts): every step that
// arrives by mail is taken from the message itself.
const base = () => process.env.PATIO_E2E_MAIL_URL!;

// Screenshots, when PATIO_SHOTS names a folder.
const shots = process.env.PATIO_SHOTS;
async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${base()}/signin`);
  await waitForHydration(page);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('a new account by mail, then a forgotten password set again from the mail alone', async ({ page, browser }) => {
  const email = uniqueEmail('forgot');
  await signUpByMail(page, email);
  // The same page answers an email that has an account alike: the mail says the rest.
  const other = await browser.newPage();
  await other.goto(`${base()}/signup`);
  await waitForHydration(other);
  await other.getByLabel('Email').fill(email);
  await other.getByLabel('Password').fill('someone else entirely');
  await other.getByRole('button', { name: 'Sign up' }).click();
  await expect(other.getByText(`A mail is on its way to ${email}`)).toBeVisible();
  await mailedLink(email, 'tried to sign up', '/forgot');
  await other.close();

  // A second browser, signed out, that forgot the password.
  const context = await browser.newContext();
  const lost = await context.newPage();
  await lost.goto(`${base()}/signin`);
  await waitForHydration(lost);
  await lost.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(lost).toHaveURL(`${base()}/forgot`);
  await waitForHydration(lost);
  await lost.getByLabel('Email').fill(email);
  await lost.getByRole('button', { name: 'Send link' }).click();
  await expect(lost.getByRole('status')).toContainText(`If an account uses ${email}`);
  await shot(lost, 'accounts-1-forgot-sent');
  const link = await mailedLink(email, 'set a new password', '/reset/');
  await lost.goto(link);
  await waitForHydration(lost);
  await expect(lost.getByRole('heading', { name: 'Set a new password' })).toBeVisible();
  await shot(lost, 'accounts-2-reset');
  await lost.getByLabel('New password').fill('a fresh password here');
  await lost.getByRole('button', { name: 'Set password' }).click();
  await expect(lost.getByText('Your password is set')).toBeVisible();
  await expect(lost.getByText('Your access tokens keep working')).toBeVisible();
  await expect(lost.getByRole('link', { name: 'Access Tokens → Revoke all' })).toBeVisible();
  await shot(lost, 'accounts-3-reset-done');
  // The first browser's session ended with the reset.
  await page.goto(`${base()}/settings/access-tokens`);
  await expect(page).toHaveURL(`${base()}/signin`);
  // The link works once.
  await lost.goto(link);
  await waitForHydration(lost);
  await expect(lost.getByRole('alert')).toHaveText('This link does not work: it was already used, or it expired.');
  // The new password signs in; the owner was told.
  await signIn(lost, email, 'a fresh password here');
  await expect(lost).toHaveURL(`${base()}/`);
  await mailedLink(email, 'password was changed', '/settings/account');
  await context.close();
});

test('the Account tab changes the password and the email, and deletes the account', async ({ page }) => {
  const email = uniqueEmail('account');
  const newEmail = uniqueEmail('moved');
  await signUpByMail(page, email);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('link', { name: 'Account' }).click();
  await expect(page).toHaveURL(`${base()}/settings/account`);
  await waitForHydration(page);
  await expect(page.getByRole('main').getByText(email, { exact: true })).toBeVisible();
  await shot(page, 'accounts-4-account-tab');

  // Change password: the current one first.
  await page.getByLabel('Current password').fill('not it at all');
  await page.getByLabel('New password').fill('second password!');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed; the other sessions were signed out.')).toBeVisible();

  // Change email: a link to the new address makes the change.
  await page.getByLabel('New email').fill(newEmail);
  await page.locator('section', { hasText: 'Change email' }).getByLabel('Password').fill('second password!');
  await page.getByRole('button', { name: 'Send confirmation link' }).click();
  await expect(page.getByText(`A confirmation link is on its way to ${newEmail}`)).toBeVisible();
  await expect(page.getByText(`Waiting for confirmation from ${newEmail}.`)).toBeVisible();
  await mailedLink(email, 'new email for your account', '/settings/account');
  const confirm = await mailedLink(newEmail, 'confirm your new email', '/confirm-email/');
  await page.goto(confirm);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Confirm new email' }).click();
  await expect(page.getByText(`The account's email is now ${newEmail}.`)).toBeVisible();
  await page.goto(`${base()}/settings/account`);
  await waitForHydration(page);
  await expect(page.getByRole('main').getByText(newEmail, { exact: true })).toBeVisible();

  // Delete: the password, then the account and everything with it is gone.
  await page.getByRole('button', { name: 'Delete account…' }).click();
  await confirmPassword(page, 'second password!');
  await expect(page).toHaveURL(`${base()}/signin`);
  await mailedLink(newEmail, 'account was deleted', '/signup');
  await signIn(page, newEmail, 'second password!');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL(`${base()}/signin`);
  // The email may sign up again.
  await signUpByMail(page, newEmail);
  expect(mails().some((m) => m.body.includes('patio_'))).toBe(false);
});

test('the account pages in Bahasa Indonesia', async ({ page }) => {
  await page.goto(`${base()}/forgot?lang=id`);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Lupa kata sandi' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Kirim tautan' })).toBeVisible();
  await shot(page, 'accounts-5-forgot-id');
  const email = uniqueEmail('akun');
  await signUpByMail(page, email);
  await page.goto(`${base()}/settings/account?lang=id`);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Ubah kata sandi' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Hapus akun' })).toBeVisible();
  await shot(page, 'accounts-6-account-id');
});
