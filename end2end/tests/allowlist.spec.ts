import { expect, test } from '@playwright/test';
import { confirmPassword, openAccessTokens, signUp, waitForHydration } from './helpers';

test('a token limited to other networks is refused until this address is allowed', async ({ page, request }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('office only');
  await form.getByLabel('Allowed IPs').fill('10.0.0.0/8');
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  const value = await reveal.getByLabel('Token value').inputValue();
  await reveal.getByRole('button', { name: 'Done' }).click();
  const row = page.getByRole('row', { name: /office only/ });
  await expect(row.getByText('IP-limited')).toBeVisible();

  const refused = await request.get('/1.0/environment/control/rest/getenvs', { headers: { Authorization: `Bearer ${value}` } });
  expect((await refused.json()).result).toBe(701);

  await row.click();
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Access Token' });
  await expect(edit.getByLabel('Allowed IPs')).toHaveValue('10.0.0.0/8');
  await edit.getByLabel('Allowed IPs').fill('10.0.0.0/8, 127.0.0.1');
  await edit.getByRole('button', { name: 'Save' }).click();
  await confirmPassword(page);
  await expect(page.getByRole('status')).toContainText('Token saved');

  const allowed = await request.get('/1.0/environment/control/rest/getenvs', { headers: { Authorization: `Bearer ${value}` } });
  expect((await allowed.json()).result).toBe(0);
});

test('a malformed network is refused with a message and nothing is created', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('bad network');
  await form.getByLabel('Allowed IPs').fill('10.0.0.0/99');
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText('not an IP address or CIDR network');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByText('No access tokens yet.')).toBeVisible();
});
