import { expect, test, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { confirmPassword, createEnvironment, openAccessTokens, signUp, waitForHydration } from './helpers';

// Screenshots of the scope as the owner and the co-worker see it, when PATIO_SHOTS names a folder.
const shots = process.env.PATIO_SHOTS;
async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

function row(page: Page, description: string) {
  return page.getByRole('row', { name: new RegExp(description) });
}

test('a token limited to one environment stops it and nothing else, and says so everywhere', async ({ page, browser, request }) => {
  await signUp(page);
  await createEnvironment(page, 'scoped-app');
  await createEnvironment(page, 'scoped-other');
  await openAccessTokens(page);
  await waitForHydration(page);

  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('co-worker stops scoped-app');
  await form.getByLabel('API', { exact: true }).selectOption({ label: 'IDE Plugins' });
  await expect(form.getByRole('radio', { name: 'All environments' })).toBeChecked();
  await form.getByRole('radio', { name: 'Only selected' }).check();
  // Nothing chosen yet: the form says what is missing and sends nothing.
  await form.getByRole('button', { name: 'Generate' }).click();
  await expect(form.getByRole('alert')).toHaveText('Check at least one environment or give a name pattern.');
  const envs = form.locator('.picker.envs');
  await envs.getByRole('searchbox', { name: 'Search' }).fill('scoped-a');
  await expect(form.getByRole('checkbox', { name: 'scoped-other' })).toBeHidden();
  await form.getByRole('checkbox', { name: 'scoped-app' }).check();
  await expect(form.getByText('1 of 2 checked')).toBeVisible();
  await shot(page, 'scope-1-form');
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);

  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  await expect(reveal.getByText('Environments: scoped-app')).toBeVisible();
  const value = await reveal.getByLabel('Token value').inputValue();
  await shot(page, 'scope-2-reveal');
  // Handed over by share link: the co-worker sees the scope before showing the value.
  await reveal.getByRole('button', { name: 'Share link' }).click();
  await reveal.getByRole('button', { name: 'Create link' }).click();
  const link = await reveal.getByRole('textbox', { name: 'Share link' }).inputValue();
  await reveal.getByRole('button', { name: 'Done' }).click();
  const coworker = await browser.newContext();
  const guest = await coworker.newPage();
  await guest.goto(link);
  await waitForHydration(guest);
  const facts = guest.locator('dl.share-facts');
  await expect(facts.locator('dt', { hasText: 'Environments' })).toBeVisible();
  await expect(facts.locator('dt:has-text("Environments") + dd')).toHaveText('scoped-app');
  await shot(guest, 'scope-2b-share-page');
  await guest.getByRole('button', { name: 'Show token' }).click();
  await expect(guest.getByLabel('Token value')).toHaveValue(value);
  await coworker.close();
  await expect(row(page, 'co-worker stops scoped-app').locator('td.envs')).toHaveText('scoped-app');

  // The co-worker's script: scoped-app stops, the other environment is refused.
  const stop = await request.get(`/1.0/environment/control/rest/stopenv?envName=scoped-app&session=${value}`);
  expect(await stop.json()).toEqual({ result: 0 });
  for (const name of ['scoped-other', 'no-such-env']) {
    const refused = await request.get(`/1.0/environment/control/rest/stopenv?envName=${name}&session=${value}`);
    expect(await refused.json()).toEqual({
      result: 8202,
      error: `Permission denied, environment outside this token's scope: ${name}`,
    });
  }
  const listed = await (await request.get(`/1.0/environment/control/rest/getenvs?session=${value}`)).json();
  expect(listed.infos.map((i: { env: { envName: string } }) => i.env.envName)).toEqual(['scoped-app']);

  // The dashboard shows scoped-app stopped, scoped-other still running.
  await page.goto('/');
  await waitForHydration(page);
  await expect(page.getByRole('row', { name: /scoped-app/ })).toContainText('Stopped');
  await expect(page.getByRole('row', { name: /scoped-other/ })).toContainText('Running');

  // The detail panel and Edit carry the scope.
  await page.goto('/settings/access-tokens');
  await waitForHydration(page);
  await row(page, 'co-worker stops scoped-app').click();
  await expect(page.locator('.scope-facts')).toContainText('scoped-app');
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Access Token' });
  await expect(edit.getByRole('radio', { name: 'Only selected' })).toBeChecked();
  await expect(edit.getByRole('checkbox', { name: 'scoped-app' })).toBeChecked();
  await expect(edit.getByRole('checkbox', { name: 'scoped-other' })).not.toBeChecked();
  // A name pattern joins the scope.
  await edit.getByLabel('Name pattern').fill('ci-*');
  await edit.getByRole('button', { name: 'Save' }).click();
  await confirmPassword(page);
  await expect(row(page, 'co-worker stops scoped-app').locator('td.envs')).toHaveText('scoped-app, ci-*');
  await shot(page, 'scope-3-table');
  // Copy starts a new token from the same scope, pattern included.
  await page.getByRole('button', { name: 'Copy' }).click();
  const copy = page.getByRole('dialog', { name: 'Copy Access Token' });
  await expect(copy.getByRole('radio', { name: 'Only selected' })).toBeChecked();
  await expect(copy.getByRole('checkbox', { name: 'scoped-app' })).toBeChecked();
  await expect(copy.getByRole('checkbox', { name: 'scoped-other' })).not.toBeChecked();
  await expect(copy.getByLabel('Name pattern')).toHaveValue('ci-*');
  await copy.getByRole('button', { name: 'Cancel' }).click();
  await expect(copy).toBeHidden();
  const created = await request.post(`/1.0/environment/control/rest/createenvironment`, {
    form: { session: value, env: '{"shortdomain":"ci-build"}', nodes: '[{"nodeType":"nginx"}]' },
  });
  expect((await created.json()).result).toBe(8202); // IDE Plugins does not create environments
  const info = await request.get(`/1.0/environment/control/rest/getenvinfo?envName=ci-none&session=${value}`);
  expect((await info.json()).result).toBe(11); // in scope by pattern, but not there

  // The Security Log names the environment the refused calls asked for.
  await page.getByRole('link', { name: 'Security Log' }).click();
  // One entry for each environment asked for (they were refused in the same minute).
  for (const name of ['scoped-other', 'no-such-env']) {
    const entry = page.getByRole('row', { name: new RegExp(`outside the token's scope.*environment\\.control\\.StopEnv ${name}`) });
    await expect(entry).toHaveCount(1);
  }
  await shot(page, 'scope-4-log');
});

test('the scope in Bahasa Indonesia', async ({ page }) => {
  await signUp(page);
  await createEnvironment(page, 'toko-lingkup');
  await page.goto('/settings/access-tokens?lang=id');
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog');
  await expect(form.getByRole('radio', { name: 'Semua lingkungan' })).toBeChecked();
  await form.getByRole('radio', { name: 'Hanya yang dipilih' }).check();
  await expect(form.getByLabel('Pola nama')).toBeVisible();
  await form.getByRole('checkbox', { name: 'toko-lingkup' }).check();
  await shot(page, 'scope-5-form-id');
});
