import { expect, test, type Page } from '@playwright/test';
import { readFile } from 'node:fs/promises';
import { confirmPassword, createEnvironment, generateToken, openAccessTokens, signUp, waitForHydration } from './helpers';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

function row(page: Page, description: string) {
  return page.getByRole('row', { name: new RegExp(description) });
}

test('the whole token life: generate, use, refresh, regenerate, remove', async ({ page, request }) => {
  await signUp(page);
  await createEnvironment(page, 'my-project');
  await openAccessTokens(page);
  await waitForHydration(page);
  await expect(page.getByText('No access tokens yet.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Edit' })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Remove' })).toBeDisabled();

  // A Custom token with only StopEnv, found through Search.
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('stop my project');
  await form.getByLabel('API', { exact: true }).selectOption({ label: 'Custom' });
  await form.getByRole('searchbox', { name: 'Search' }).fill('stopenv');
  await expect(form.getByRole('checkbox', { name: 'environment.control.StartEnv', exact: true })).toBeHidden();
  await form.getByRole('checkbox', { name: 'environment.control.StopEnv', exact: true }).check();
  await expect(form.getByText('1 of 16 checked')).toBeVisible();
  await form.getByRole('searchbox', { name: 'Search' }).fill('');
  await form.getByLabel('Only Checked').check();
  await expect(form.getByRole('checkbox', { name: /^environment\.control\./ })).toHaveCount(1);
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);

  // The one-time reveal: Copy puts the value on the clipboard.
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  await expect(reveal.getByText('shown only this once')).toBeVisible();
  const value = await reveal.getByLabel('Token value').inputValue();
  await reveal.getByRole('button', { name: 'Copy' }).click();
  await expect(reveal.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);

  // Download saves a file named after the description.
  const [download] = await Promise.all([page.waitForEvent('download'), reveal.getByRole('link', { name: 'Download' }).click()]);
  expect(download.suggestedFilename()).toBe('stop-my-project.txt');
  expect((await readFile(await download.path())).toString()).toBe(value);

  await reveal.getByRole('button', { name: 'Done' }).click();
  await expect(reveal).toBeHidden();
  expect(await page.content()).not.toContain(value);
  expect(await page.evaluate(() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage))).not.toContain(value);
  await expect(row(page, 'stop my project')).toContainText('Custom');
  await expect(row(page, 'stop my project')).toContainText('never');

  // The token stops the environment; it may not start it.
  const stop = await request.get(`/1.0/environment/control/rest/stopenv?envName=my-project&session=${value}`);
  expect(await stop.json()).toEqual({ result: 0 });
  const start = await request.get(`/1.0/environment/control/rest/startenv?envName=my-project&session=${value}`);
  expect((await start.json()).result).toBe(8202);

  // Refresh shows it was used.
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(row(page, 'stop my project')).toContainText('127.0.0.1');

  // Regenerate from Edit: the old value is refused, the new one works.
  await row(page, 'stop my project').click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('dialog', { name: 'Edit Access Token' }).getByRole('button', { name: 'Regenerate' }).click();
  await confirmPassword(page);
  const fresh = await page.getByRole('dialog', { name: 'Your new access token' }).getByLabel('Token value').inputValue();
  expect(fresh).not.toBe(value);
  await page.getByRole('button', { name: 'Done' }).click();
  const old = await request.get(`/1.0/environment/control/rest/stopenv?envName=my-project&session=${value}`);
  expect((await old.json()).result).toBe(701);
  const again = await request.get(`/1.0/environment/control/rest/getenvinfo?envName=my-project`, {
    headers: { Authorization: `Bearer ${fresh}` },
  });
  expect((await again.json()).result).toBe(8202);

  // Remove it together with another token, chosen with Ctrl-click.
  await generateToken(page, 'second token', 'Marketplace');
  await row(page, 'stop my project').click();
  await row(page, 'second token').click({ modifiers: ['Control'] });
  await expect(page.getByText('2 selected')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Edit' })).toBeDisabled();
  await page.getByRole('button', { name: 'Remove' }).click();
  const confirm = page.getByRole('dialog', { name: 'Remove access tokens' });
  await expect(confirm).toContainText('stop my project');
  await expect(confirm).toContainText('second token');
  await confirm.getByRole('button', { name: 'Remove' }).click();
  await confirmPassword(page);
  await expect(page.getByText('No access tokens yet.')).toBeVisible();
  const gone = await request.get(`/1.0/environment/control/rest/stopenv?envName=my-project&session=${fresh}`);
  expect((await gone.json()).result).toBe(701);

  // The dashboard shows the environment the token stopped.
  await page.getByRole('link', { name: 'Environments' }).click();
  await expect(row(page, 'my-project')).toContainText('Stopped');
});

test('a wrong password says so and changes nothing', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('never made');
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page, 'not my password');
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText('Wrong password');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByText('No access tokens yet.')).toBeVisible();
});

test('after a wrong password the right one goes through, and the alert goes with it', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('second try');
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page, 'not my password');
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText('Wrong password');
  await confirmPassword(page);
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  await expect(reveal.getByLabel('Token value')).toHaveValue(/^patio_/);
  await reveal.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('row', { name: /second try/ })).toBeVisible();
  await expect(page.getByText('Wrong password')).toHaveCount(0);
});

test('shift-click and the keyboard select ranges; Copy and Edit start from the selected token', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  for (const name of ['alpha', 'bravo', 'charlie']) {
    await generateToken(page, name, 'IDE Plugins');
  }
  await row(page, 'alpha').click();
  await row(page, 'charlie').click({ modifiers: ['Shift'] });
  await expect(page.getByText('3 selected')).toBeVisible();
  await row(page, 'bravo').click({ modifiers: ['Control'] });
  await expect(page.getByText('2 selected')).toBeVisible();

  // Keyboard: arrows move, Shift+arrow extends, Space toggles.
  await row(page, 'alpha').click();
  await page.getByRole('table', { name: 'Access tokens' }).focus();
  await page.keyboard.press('Shift+ArrowDown');
  await expect(page.getByText('2 selected')).toBeVisible();
  await page.keyboard.press('ArrowDown');
  await expect(page.getByText('1 selected')).toBeVisible();
  await expect(row(page, 'charlie')).toHaveAttribute('aria-selected', 'true');

  await page.getByRole('button', { name: 'Copy' }).click();
  const copy = page.getByRole('dialog', { name: 'Copy Access Token' });
  await expect(copy.getByLabel('Description')).toHaveValue('charlie');
  await expect(copy.getByLabel('API', { exact: true })).toHaveValue('ide-plugins');
  await copy.getByLabel('Description').fill('charlie copy');
  await copy.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  await page.getByRole('dialog', { name: 'Your new access token' }).getByRole('button', { name: 'Done' }).click();
  await expect(row(page, 'charlie copy')).toContainText('IDE Plugins');

  await row(page, 'bravo').click();
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit Access Token' });
  await edit.getByLabel('Description').fill('bravo renamed');
  await edit.getByRole('button', { name: 'No expiry' }).click();
  await edit.getByRole('button', { name: 'Save' }).click();
  await confirmPassword(page);
  await expect(page.getByRole('status')).toContainText('Token saved');
  await expect(row(page, 'bravo renamed')).toContainText('never');
});

test('dialogs close on Escape and give focus back', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  const generate = page.getByRole('toolbar').getByRole('button', { name: 'Generate' });
  await generate.click();
  await expect(page.getByRole('dialog', { name: 'Generate Access Token' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(generate).toBeFocused();
});

test('a first visit loads the page\'s own wasm alone; from another page, its dialogs load once they are near', async ({ page }) => {
  await signUp(page);
  const wasm: string[] = [];
  page.on('request', (r) => {
    const name = new URL(r.url()).pathname;
    if (name.endsWith('.wasm')) wasm.push(name);
  });
  await page.goto('/settings/access-tokens');
  await waitForHydration(page);
  // One file, the page's island (frontend-tokens): nothing of the dashboard's wasm.
  expect(wasm, wasm.join(' ')).toEqual([expect.stringMatching(/^\/pkg\/patio_tokens\.[0-9a-f]+\.wasm$/)]);
  // Everything the page does is in it: Generate, the password step, the reveal.
  await generateToken(page, 'first visit', 'Extended Access');
  await expect(row(page, 'first visit')).toBeVisible();
  expect(wasm).toHaveLength(1);

  // Reached from another page, the dashboard's wasm shows it: the page's own part came
  // with it (preloaded), the tools' part did not.
  await page.goto('/');
  await waitForHydration(page);
  wasm.length = 0;
  await openAccessTokens(page);
  await expect(row(page, 'first visit')).toBeVisible();
  expect(wasm.some((n) => /\/split_tokens\.[0-9a-f]+\.wasm$/.test(n)), wasm.join(' ')).toBe(true);
  expect(wasm.some((n) => n.includes('split_token_tools')), wasm.join(' ')).toBe(false);
  // Its small chunks came inside the part's file (tools/wasm-split), not a request each.
  for (const name of wasm) {
    const body = await (await page.request.get(name)).body();
    expect(body.length, name).toBeGreaterThanOrEqual(16 * 1024);
  }
  // A pointer over the table starts fetching it; it shows the new token's value.
  const tools = page.waitForRequest((r) => r.url().includes('split_token_tools'));
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).hover();
  await tools;
  await generateToken(page, 'loaded later', 'Extended Access');
  await expect(row(page, 'loaded later')).toBeVisible();
});

test('a part of the wasm that cannot be fetched says so, and Try again fetches it', async ({ page }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await generateToken(page, 'on a bad network', 'Extended Access');
  // A new document, then the page reached from the dashboard: the token tools are not
  // loaded yet, and the network drops them.
  await page.route('**/split_token_tools.*', (route) => route.abort());
  await page.goto('/');
  await waitForHydration(page);
  await openAccessTokens(page);
  await row(page, 'on a bad network').click();
  const note = page.getByRole('alert').filter({ hasText: 'could not be loaded' });
  await expect(note).toBeVisible();
  await page.unroute('**/split_token_tools.*');
  await note.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByRole('heading', { name: 'Usage of "on a bad network"' })).toBeVisible();
  await expect(note).toBeHidden();

  // A page's part: the dashboard stays up and offers to load the page anew.
  await page.route('**/split_other_pages.*', (route) => route.abort());
  await page.getByRole('link', { name: 'Security Log' }).click();
  const failed = page.getByRole('alert').filter({ hasText: 'could not be loaded' });
  await expect(failed).toBeVisible();
  await page.unroute('**/split_other_pages.*');
  await failed.getByRole('button', { name: 'Try again' }).click();
  await waitForHydration(page);
  await expect(page).toHaveURL('/settings/security-log');
  await expect(page.getByRole('cell', { name: 'Token generated' }).first()).toBeVisible();
});

test('the API Docs link of a method opens its docs page', async ({ page, context }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('API', { exact: true }).selectOption({ label: 'Custom' });
  await form.getByRole('searchbox', { name: 'Search' }).fill('deployapp');
  const method = form.locator('.method', { hasText: 'environment.control.DeployApp' });
  await method.hover();
  const [docs] = await Promise.all([context.waitForEvent('page'), method.getByRole('link', { name: 'API Docs' }).click()]);
  await docs.waitForLoadState();
  await expect(docs).toHaveURL(/\/docs\/api\/environment\.control\.DeployApp$/);
  await expect(docs.getByRole('heading', { name: 'environment.control.DeployApp' })).toBeVisible();
});

test('the tokens page works on a phone', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await generateToken(page, 'from my phone', 'Maven Plugin');
  await expect(row(page, 'from my phone')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  expect(overflow).toBe(false);
  await context.close();
});

test('tokens expiring within 7 days are flagged in the list and on the dashboard', async ({ page }) => {
  await signUp(page);
  await expect(page.getByText(/expire within 7 days/)).toHaveCount(0);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('short lived');
  await form.getByRole('button', { name: '7 days' }).click();
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  await page.getByRole('dialog', { name: 'Your new access token' }).getByRole('button', { name: 'Done' }).click();
  await expect(row(page, 'short lived')).toContainText('in 7 days');

  await page.getByRole('link', { name: 'Environments' }).click();
  const banner = page.getByRole('status').filter({ hasText: 'expire' });
  await expect(banner).toContainText('1 access token expires within 7 days.');
  await banner.getByRole('link', { name: 'Review access tokens' }).click();
  await expect(page).toHaveURL('/settings/access-tokens');
});

test('the security log shows token changes and denied calls, filters them and exports CSV', async ({ page, request }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  const value = await generateToken(page, 'log me', 'Marketplace');
  const denied = await request.get(`/1.0/environment/control/rest/stopenv?envName=x&session=${value}`);
  expect((await denied.json()).result).toBe(8202);

  await page.getByRole('link', { name: 'Security Log' }).click();
  await expect(page).toHaveURL('/settings/security-log');
  await waitForHydration(page);
  const log = page.getByRole('table', { name: 'Security log' });
  await expect(log).toContainText('Token generated');
  await expect(log).toContainText("API call outside the token's set");

  await page.getByLabel('Show').selectOption({ label: 'Denied calls' });
  await expect(log).not.toContainText('Token generated');
  await expect(log.getByRole('row')).toHaveCount(2);
  await expect(log).toContainText('environment.control.StopEnv');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  expect(download.suggestedFilename()).toBe('patio-security-log.csv');
  const csv = (await readFile(await download.path())).toString();
  expect(csv.split('\r\n')[0]).toBe('time_utc,action,outcome,target,actor,ip,count');
  expect(csv).toContain('api.call,denied,environment.control.StopEnv');
  expect(csv).not.toContain(value);
});
