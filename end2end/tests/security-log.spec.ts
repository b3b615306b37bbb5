import { expect, test } from '@playwright/test';
import { createEnvironment, signUp, waitForHydration } from './helpers';

test('the security log pages back to its first entry and forward again, filter kept', async ({ page }) => {
  await signUp(page);
  await createEnvironment(page, 'pager');
  // 120 more entries through the API: the sign-in and the creation fall off page one.
  const session = (await page.context().cookies()).find((c) => c.name === 'patio_session')!.value;
  for (let i = 0; i < 60; i++) {
    for (const method of ['stopenv', 'startenv']) {
      const r = await page.request.post(`/1.0/environment/control/rest/${method}`, { form: { envName: 'pager', session } });
      expect((await r.json()).result).toBe(0);
    }
  }

  await page.goto('/settings/security-log');
  await waitForHydration(page);
  const log = page.getByRole('table', { name: 'Security log' });
  await expect(log.getByRole('row')).toHaveCount(101);
  await expect(log).not.toContainText('Environment created');
  await expect(page.getByRole('link', { name: '← Newer' })).toHaveCount(0);

  await page.getByRole('link', { name: 'Older →' }).click();
  await expect(page).toHaveURL(/filter=all&before=\d+/);
  await expect(log).toContainText('Environment created');
  await expect(log).toContainText('Sign-in');
  await expect(log.getByRole('row')).toHaveCount(23);
  await expect(page.getByRole('link', { name: 'Older →' })).toHaveCount(0);

  await page.getByRole('link', { name: '← Newer' }).click();
  await expect(log.getByRole('row')).toHaveCount(101);
  await expect(log).not.toContainText('Environment created');

  await page.getByLabel('Show').selectOption({ label: 'Sign-ins, password and code checks' });
  await expect(page).toHaveURL(/filter=signins/);
  await expect(log.getByRole('row')).toHaveCount(2);
  await expect(log).toContainText('Sign-in');
  await expect(page.getByRole('link', { name: 'Older →' })).toHaveCount(0);

  // A reload keeps the filter; the export follows it.
  await page.reload();
  await expect(page.getByLabel('Show')).toHaveValue('signins');
  await expect(page.getByRole('link', { name: 'Export CSV' })).toHaveAttribute('href', '/settings/security-log/export.csv?filter=signins');
});
