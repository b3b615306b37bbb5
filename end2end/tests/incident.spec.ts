import { expect, test } from '@playwright/test';
import { confirmPassword, createEnvironment, generateToken, openAccessTokens, PASSWORD, signUp, waitForHydration } from './helpers';

test('a lost laptop: revoke every token, then sign out everywhere else', async ({ page, browser, request }) => {
  const email = await signUp(page);
  await createEnvironment(page, 'lost-laptop');
  await openAccessTokens(page);
  await waitForHydration(page);
  const first = await generateToken(page, 'laptop script', 'IDE Plugins');
  const second = await generateToken(page, 'laptop plugin', 'Extended Access');
  for (const value of [first, second]) {
    const r = await request.get(`/1.0/environment/control/rest/getenvinfo?envName=lost-laptop&session=${value}`);
    expect((await r.json()).result).toBe(0);
  }

  // The same account is signed in on the lost laptop too.
  const laptop = await browser.newContext();
  const other = await laptop.newPage();
  await other.goto('/signin');
  await waitForHydration(other);
  await other.getByLabel('Email').fill(email);
  await other.getByLabel('Password').fill(PASSWORD);
  await other.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(other).toHaveURL('/');

  // Revoke all: a warning, then the password.
  await page.getByRole('button', { name: 'Revoke all…' }).click();
  const warning = page.getByRole('dialog', { name: 'Revoke every token' });
  await expect(warning).toContainText('stops working at once');
  await warning.getByRole('button', { name: 'Revoke every token' }).click();
  await expect(page.getByRole('dialog')).toContainText('All 2 tokens are removed for good.');
  await confirmPassword(page, 'not the password');
  await expect(page.getByRole('dialog').getByRole('alert')).toBeVisible();
  await confirmPassword(page);
  await expect(page.getByRole('status')).toHaveText('2 tokens were revoked.');
  await expect(page.getByText('No access tokens yet.')).toBeVisible();
  for (const value of [first, second]) {
    const r = await request.get(`/1.0/environment/control/rest/getenvinfo?envName=lost-laptop&session=${value}`);
    expect((await r.json()).result).toBe(701);
  }

  // Sessions: both are listed, this one marked; the other one is ended.
  await page.getByRole('link', { name: 'Sessions' }).click();
  await expect(page).toHaveURL('/settings/sessions');
  await waitForHydration(page);
  const table = page.getByRole('table', { name: 'Open sessions' });
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table.getByText('this session')).toHaveCount(1);
  await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
  await confirmPassword(page);
  await expect(page.getByRole('status')).toHaveText('1 other sessions were signed out.');
  await expect(table.getByRole('row')).toHaveCount(2);
  await expect(page.getByRole('button', { name: 'Sign out everywhere else' })).toBeDisabled();

  // The laptop's session is gone; this one still works.
  await other.goto('/settings/access-tokens');
  await expect(other).toHaveURL('/signin');
  await page.goto('/settings/security-log');
  await waitForHydration(page);
  await expect(page.getByRole('table')).toContainText('All tokens revoked');
  await expect(page.getByRole('table')).toContainText('Other sessions signed out');
  await laptop.close();
});
