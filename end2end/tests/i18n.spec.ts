import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { PASSWORD, signUp, waitForHydration } from './helpers';

// The dashboard's own words, from the files it is built from.
type Words = Record<string, Record<string, string>>;
const words: Record<'en' | 'id', Words> = {
  en: JSON.parse(readFileSync('../app/locales/en.json', 'utf8')),
  id: JSON.parse(readFileSync('../app/locales/id.json', 'utf8')),
};

/** Chooses the language with the switcher (the sign-up page has one too). */
async function choose(page: Page, lang: 'en' | 'id') {
  await page.getByRole('combobox', { name: words.en.language.label }).or(
    page.getByRole('combobox', { name: words.id.language.label })).selectOption(lang);
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}

for (const lang of ['en', 'id'] as const) {
  const w = words[lang];
  test(`the main token flow in ${lang}`, async ({ page, request }) => {
    await page.goto('/signup');
    await waitForHydration(page);
    await choose(page, lang);
    // The page changed language at once, without a reload.
    await expect(page.getByRole('heading', { name: w.signup.title })).toBeVisible();
    await page.getByLabel(w.common.email).fill(`lang-${lang}-${Date.now()}@example.com`);
    await page.getByLabel(w.common.password).fill(PASSWORD);
    await page.getByRole('button', { name: w.signup.submit }).click();
    await expect(page).toHaveURL('/');
    // Rendered by the server in the remembered language.
    await expect(page.locator('html')).toHaveAttribute('lang', lang);
    await expect(page.getByRole('heading', { name: w.home.title })).toBeVisible();
    await waitForHydration(page);
    const env = `shop-${lang}`;
    await page.getByLabel(w.home.name, { exact: true }).fill(env);
    await page.getByRole('button', { name: w.home.create }).click();
    await expect(page.getByRole('row', { name: new RegExp(env) })).toContainText(w.home.running);

    await page.getByRole('link', { name: w.nav.settings }).click();
    await expect(page.getByRole('heading', { name: w.settings.title })).toBeVisible();
    await waitForHydration(page);
    await page.getByRole('toolbar').getByRole('button', { name: w.tokens.generate }).click();
    const form = page.getByRole('dialog', { name: w.form.generate_title });
    await form.getByLabel(w.form.description).fill('stopper');
    await form.getByLabel(w.form.api, { exact: true }).selectOption({ label: 'Custom' });
    await form.getByRole('searchbox', { name: w.form.search }).fill('StopEnv');
    await form.getByRole('checkbox', { name: 'environment.control.StopEnv', exact: true }).check();
    await form.getByRole('button', { name: w.form.generate }).click();
    const confirm = page.getByRole('dialog', { name: w.tokens.confirm_new });
    await confirm.getByLabel(w.common.password).fill(PASSWORD);
    await confirm.getByRole('button', { name: w.common.confirm }).click();
    const reveal = page.getByRole('dialog', { name: w.reveal.title });
    await expect(reveal.getByText(w.reveal.warning)).toBeVisible();
    await expect(reveal.getByRole('link', { name: w.reveal.download })).toBeVisible();
    const value = await reveal.getByLabel(w.reveal.value).inputValue();
    await reveal.getByRole('button', { name: w.reveal.done }).click();

    const stop = await request.get(`/1.0/environment/control/rest/stopenv?envName=${env}&session=${value}`);
    expect((await stop.json()).result).toBe(0);
    await page.getByRole('toolbar').getByRole('button', { name: w.tokens.refresh }).click();
    await expect(page.getByRole('row', { name: /stopper/ })).toContainText('127.0.0.1');

    await page.getByRole('link', { name: w.nav.environments }).click();
    await expect(page.getByRole('row', { name: new RegExp(env) })).toContainText(w.home.stopped);
  });
}

test('the server picks the language: cookie, then ?lang=, then Accept-Language, else English', async ({ browser }) => {
  const title = async (options: { lang?: string; cookie?: string; query?: string }) => {
    // The browser's own language setting is what it sends as Accept-Language.
    const context = await browser.newContext({ locale: options.lang ?? 'en-US' });
    if (options.cookie) {
      await context.addCookies([{ name: 'patio_lang', value: options.cookie, url: 'http://127.0.0.1' }]);
    }
    const page = await context.newPage();
    // Scripts off: this is what the server sent, before any wasm runs.
    await page.route('**/*.{js,wasm}', (route) => route.abort());
    await page.goto(`/signin${options.query ?? ''}`);
    const heading = await page.getByRole('heading', { level: 1 }).textContent();
    const lang = await page.locator('html').getAttribute('lang');
    await context.close();
    return [lang, heading];
  };
  expect(await title({})).toEqual(['en', words.en.signin.title]);
  expect(await title({ lang: 'id-ID' })).toEqual(['id', words.id.signin.title]);
  expect(await title({ lang: 'en-US', query: '?lang=id' })).toEqual(['id', words.id.signin.title]);
  expect(await title({ cookie: 'en', query: '?lang=id', lang: 'id-ID' })).toEqual(['en', words.en.signin.title]);
  expect(await title({ lang: 'fr-FR' })).toEqual(['en', words.en.signin.title]);
});

test('nothing on the Indonesian token screens is left in English but the kept terms', async ({ page }) => {
  await page.context().addCookies([{ name: 'patio_lang', value: 'id', url: 'http://127.0.0.1' }]);
  await page.goto('/signup');
  await waitForHydration(page);
  await page.getByLabel('Email').fill(`leak-${Date.now()}@example.com`);
  await page.getByLabel(words.id.common.password).fill(PASSWORD);
  await page.getByRole('button', { name: words.id.signup.submit }).click();
  await expect(page).toHaveURL('/');
  await page.goto('/settings/access-tokens');
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  // Every English sentence of these screens, none of which may show in Indonesian.
  const english = [
    ...Object.values(words.en.tokens), ...Object.values(words.en.form), ...Object.values(words.en.common),
  ].filter((text) => text.length > 12 && !text.includes('{{'));
  const shown = await page.locator('body').innerText();
  const leaks = english.filter((text) => shown.includes(text) && !Object.values(words.id.form).includes(text));
  expect(leaks).toEqual([]);
});

test('the Access Tokens page loaded from its address changes language at once, and keeps it', async ({ page }) => {
  await signUp(page);
  // Its own wasm hydrates it (frontend-tokens), without the dashboard's language provider.
  await page.goto('/settings/access-tokens');
  await waitForHydration(page);
  await expect(page.getByText(words.en.tokens.intro)).toBeVisible();
  await choose(page, 'id');
  await expect(page.getByText(words.id.tokens.intro)).toBeVisible();
  await expect(page.getByRole('toolbar', { name: words.id.tokens.actions })).toBeVisible();
  await expect(page.getByText(words.id.tokens.empty)).toBeVisible();
  await expect(page).toHaveTitle(`${words.id.settings.access_tokens} · Patio`);
  // The choice is kept in a cookie (the browser stores it a moment after the page sets it).
  await expect.poll(async () => (await page.context().cookies()).find((c) => c.name === 'patio_lang')?.value)
    .toBe('id');
  await page.reload();
  await waitForHydration(page);
  await expect(page.locator('html')).toHaveAttribute('lang', 'id');
  await expect(page.getByText(words.id.tokens.intro)).toBeVisible();
});
