import { expect, test, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { confirmPassword, createEnvironment, openAccessTokens, signUp, waitForHydration } from '../tests/helpers';

// Run by scripts/deploy-test, which checks afterwards what the servers recorded (the
// client address, the request ids) from what this spec writes to $DEPLOY_TMP/spec.json.
const base = process.env.DEPLOY_URL ?? 'https://patio.test';
const out = `${process.env.DEPLOY_TMP}/spec.json`;
const shots = process.env.PATIO_SHOTS;

async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

/** Content Security Policy complaints in a page's console. */
function violations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) found.push(m.text());
  });
  return found;
}

/** What the page itself says about its connection: secure context, and the protocol to nginx. */
async function connection(page: Page) {
  return page.evaluate(() => ({
    secure: window.isSecureContext,
    crypto: typeof crypto.subtle?.encrypt === 'function',
    protocol: (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
  }));
}

test('the recipe serves Patio over https: sign-up, a token shared by link, the API through nginx', async ({ page, browser }) => {
  const ownerViolations = violations(page);

  // A page through nginx: TLS, HTTP/2 to the browser, one HSTS header (nginx's).
  const first = await page.goto('/signin');
  expect(first?.status()).toBe(200);
  expect(page.url()).toBe(`${base}/signin`);
  const hsts = (await first!.headersArray()).filter((h) => h.name.toLowerCase() === 'strict-transport-security');
  expect(hsts.map((h) => h.value)).toEqual(['max-age=63072000; includeSubDomains']);
  expect(first!.headers()['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  expect(first!.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(await connection(page)).toEqual({ secure: true, crypto: true, protocol: 'h2' });

  // Sign up: the session cookie is Secure (https public URL) and HttpOnly.
  const owner = await signUp(page);
  const session = (await page.context().cookies(base)).find((c) => c.name === 'patio_session');
  expect(session).toBeDefined();
  expect(session!.secure).toBe(true);
  expect(session!.httpOnly).toBe(true);
  expect(session!.sameSite).toBe('Lax');

  const envName = `deploy-${Date.now().toString(36)}`;
  await createEnvironment(page, envName);

  // Settings → Access Tokens → Generate; the reveal dialog's Share link → Create link.
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('deploy test: maven through nginx');
  await form.getByLabel('API', { exact: true }).selectOption({ label: 'Maven Plugin' });
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  const value = await reveal.getByLabel('Token value').inputValue();
  expect(value).toMatch(/^patio_[0-9A-Za-z]{38}$/);
  await reveal.getByRole('button', { name: 'Share link' }).click();
  await reveal.getByRole('button', { name: 'Create link' }).click();
  const link = await reveal.getByRole('textbox', { name: 'Share link' }).inputValue();
  expect(link).toMatch(/^https:\/\/patio\.test\/share\/[0-9A-Za-z]{24}#[0-9A-Za-z_-]{43}$/);
  await shot(page, '1-owner-share-link');
  await reveal.getByRole('button', { name: 'Done' }).click();
  await expect(reveal).toBeHidden();

  // The link in a second browser: Web Crypto decrypts the value in the page.
  const coworker = await browser.newContext();
  const guest = await coworker.newPage();
  const guestViolations = violations(guest);
  await guest.goto(link);
  await waitForHydration(guest);
  expect(await connection(guest)).toEqual({ secure: true, crypto: true, protocol: 'h2' });
  await expect(guest.getByRole('heading', { name: 'A token was shared with you' })).toBeVisible();
  await expect(guest.getByText(`${owner} shared a Patio access token with you`)).toBeVisible();
  await shot(guest, '2-share-page-before-show');
  await guest.getByRole('button', { name: 'Show token' }).click();
  await expect(guest.getByLabel('Token value')).toHaveValue(value);
  await shot(guest, '3-share-page-shown');
  await coworker.close();

  // The owner's panel says where the link was opened from: the browser, not nginx.
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('row', { name: /deploy test: maven/ }).click();
  const panel = page.getByRole('region', { name: /Usage of "deploy test: maven/ });
  await expect(panel.getByText(/^Opened \d{2}-\d{2}-\d{4} \d{2}:\d{2} from 127\.0\.0\.1$/)).toBeVisible();
  await shot(page, '4-owner-panel-opened');

  // The token through nginx, as a script would send it (no cookie), once plain and once
  // with a forged X-Forwarded-For, once with a forged Forwarded: every answer is the
  // token's, with the request id nginx made.
  const calls = await page.evaluate(
    async ({ token, env }) => {
      const forged: Record<string, string>[] = [{}, { 'X-Forwarded-For': '6.6.6.6' }, { Forwarded: 'for=6.6.6.6' }];
      const answers = [];
      for (const headers of forged) {
        const r = await fetch(`/1.0/environment/control/rest/getenvinfo?envName=${encodeURIComponent(env)}`, {
          headers: { Authorization: `Bearer ${token}`, ...headers },
          credentials: 'omit',
          cache: 'no-store',
        });
        answers.push({ forged: headers, status: r.status, requestId: r.headers.get('x-request-id'), body: await r.json() });
      }
      return answers;
    },
    { token: value, env: envName },
  );
  for (const call of calls) {
    expect(call.status, JSON.stringify(call)).toBe(200);
    expect(call.body.result, JSON.stringify(call)).toBe(0);
    expect(call.requestId).toMatch(/^[0-9a-f]{32}$/);
  }
  expect(new Set(calls.map((c) => c.requestId)).size).toBe(calls.length);

  expect([...ownerViolations, ...guestViolations]).toEqual([]);
  writeFileSync(
    out,
    JSON.stringify({ envName, token: value, requestIds: calls.map((c) => c.requestId), pageRequestId: first!.headers()['x-request-id'] }),
    { mode: 0o600 },
  );
});
