import { expect, test, type Page } from '@playwright/test';
import { createEnvironment, generateToken, openAccessTokens, signUp, waitForHydration } from './helpers';

const PHONE = { width: 390, height: 844 };

/** The page is no wider than the phone: a wide table scrolls inside its own box. */
async function fitsThePhone(page: Page, path: string) {
  await page.goto(path);
  await waitForHydration(page);
  await expect(page.locator('main')).toBeVisible();
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `${path} is ${width} px wide on a ${PHONE.width} px screen`).toBeLessThanOrEqual(PHONE.width);
}

test('every page fits a phone, with a row in each table', async ({ browser }) => {
  const context = await browser.newContext({ viewport: PHONE });
  const page = await context.newPage();
  await signUp(page);
  await createEnvironment(page, 'phone-site');
  await openAccessTokens(page);
  await waitForHydration(page);
  await generateToken(page, 'from my phone', 'Maven Plugin');
  for (const path of [
    '/',
    '/settings/access-tokens',
    '/settings/security-log',
    '/settings/sessions',
    '/settings/two-factor',
    '/settings/passkeys',
    '/settings/account',
    '/docs/api',
  ]) {
    await fitsThePhone(page, path);
  }
  await page.goto('/docs/api');
  await page.locator('main a[href^="/docs/api/"]').first().click();
  await expect(page).toHaveURL(/\/docs\/api\/.+/);
  await fitsThePhone(page, new URL(page.url()).pathname);
  await context.close();

  const stranger = await browser.newContext({ viewport: PHONE });
  const signedOut = await stranger.newPage();
  for (const path of ['/signin', '/signup', '/forgot']) {
    await fitsThePhone(signedOut, path);
  }
  await stranger.close();
});
