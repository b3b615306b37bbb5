import { expect, test } from '@playwright/test';
import { confirmPassword, createEnvironment, generateToken, openAccessTokens, signUp, waitForHydration } from './helpers';

test('usage shows what a token called, and Tighten limits it to exactly that', async ({ page, request }) => {
  await signUp(page);
  await createEnvironment(page, 'shop');
  await openAccessTokens(page);
  await waitForHydration(page);
  const value = await generateToken(page, 'ci deploy', 'IDE Plugins');

  const call = async (method: string) => {
    const reply = await request.get(`/1.0/environment/control/rest/${method}?envName=shop`, {
      headers: { Authorization: `Bearer ${value}`, 'User-Agent': 'deploy-bot/2.0' },
    });
    return (await reply.json()).result;
  };
  for (let i = 0; i < 3; i++) expect(await call('getenvinfo')).toBe(0);
  expect(await call('stopenv')).toBe(0);

  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('row', { name: /ci deploy/ }).click();
  const panel = page.getByRole('region', { name: 'Usage of "ci deploy"' });
  await expect(panel.getByText('deploy-bot/2.0')).toBeVisible();
  await expect(panel.getByRole('img', { name: /4 in all/ })).toBeVisible();
  const called = panel.getByRole('table', { name: 'Methods called' });
  await expect(called.getByRole('row', { name: /GetEnvInfo/ })).toContainText('3');
  await expect(called.getByRole('row', { name: /StopEnv/ })).toContainText('1');

  await panel.getByRole('button', { name: 'Tighten…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Tighten "ci deploy"' });
  const diff = dialog.getByRole('list', { name: 'Proposed changes' });
  await expect(diff.getByRole('listitem').filter({ hasText: 'Keep' })).toHaveText([
    /environment\.control\.GetEnvInfo/,
    /environment\.control\.StopEnv/,
  ]);
  await expect(diff.getByRole('listitem').filter({ hasText: 'environment.control.StartEnv' })).toContainText('Remove');
  await expect(dialog.getByText(/IDE Plugins \(8 methods\) becomes Custom with 2 methods; 6 would be removed/)).toBeVisible();
  await dialog.getByRole('button', { name: 'Apply' }).click();

  // Like any change, it waits for the password; a wrong one changes nothing.
  await confirmPassword(page, 'not my password');
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText(/password/i);
  expect(await call('startenv')).toBe(0);
  await confirmPassword(page);
  await expect(page.getByRole('status')).toContainText('"ci deploy" now holds only the 2 methods it called.');
  await expect(page.getByRole('row', { name: /ci deploy/ })).toContainText('Custom');

  expect(await call('stopenv')).toBe(0);
  expect(await call('startenv')).toBe(8202);
  expect(await call('getenvinfo')).toBe(0);
});

test('a token that called nothing gets no proposal to apply', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await generateToken(page, 'idle', 'Marketplace');
  await page.getByRole('row', { name: /idle/ }).click();
  const panel = page.getByRole('region', { name: 'Usage of "idle"' });
  await expect(panel.getByText('No calls in the last 30 days.')).toBeVisible();
  await panel.getByRole('button', { name: 'Tighten…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Tighten "idle"' });
  await expect(dialog.getByText(/called nothing that needs a grant in the last 30 days/)).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Apply' })).toBeDisabled();
});
