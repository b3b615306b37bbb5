import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { confirmPassword, createEnvironment, openAccessTokens, signUp, waitForHydration } from './helpers';

test.use({ permissions: ['clipboard-read', 'clipboard-write'] });

// Screenshots of the flow as the two people see it, when PATIO_SHOTS names a folder.
const shots = process.env.PATIO_SHOTS;
async function shot(page: Page, name: string) {
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

/** Everything a page sends: method, URL, headers and body of each request. */
function sent(page: Page): string[] {
  const log: string[] = [];
  page.on('request', (r) => log.push(`${r.method()} ${r.url()} ${JSON.stringify(r.headers())} ${r.postData() ?? ''}`));
  return log;
}

/** Content Security Policy complaints in a page's console. */
function violations(page: Page): string[] {
  const found: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) found.push(m.text());
  });
  return found;
}

/** The whole database as SQL text (blobs in hex), as an attacker with a copy would see it. */
function database(): string {
  return execFileSync('sqlite3', [`${process.env.PATIO_E2E_DATA}/patio.db`, '.dump']).toString();
}

test('a token shared by link reaches a co-worker once, and the server never holds it', async ({ page, browser, request }) => {
  const ownerSent = sent(page);
  const ownerViolations = violations(page);
  const owner = await signUp(page);
  await createEnvironment(page, 'shared-project');
  await openAccessTokens(page);
  await waitForHydration(page);

  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('for Budi, stops shared-project');
  await form.getByLabel('API', { exact: true }).selectOption({ label: 'Custom' });
  await form.getByRole('searchbox', { name: 'Search' }).fill('stopenv');
  await form.getByRole('checkbox', { name: 'environment.control.StopEnv', exact: true }).check();
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);

  // The one-time reveal has a third button: Share link.
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  const value = await reveal.getByLabel('Token value').inputValue();
  await expect(reveal.getByRole('button', { name: 'Share link' })).toBeVisible();
  await shot(page, '1-reveal-with-share-link');
  await reveal.getByRole('button', { name: 'Share link' }).click();
  await reveal.getByLabel('Link works for').selectOption({ label: '1 day' });
  await reveal.getByRole('button', { name: 'Create link' }).click();
  const link = await reveal.getByRole('textbox', { name: 'Share link' }).inputValue();
  expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/share\/[0-9A-Za-z]{24}#[0-9A-Za-z_-]{43}$/);
  const [, key] = link.split('#');
  const id = link.split('/share/')[1].split('#')[0];
  await expect(reveal.getByRole('status')).toContainText('shows the value once');
  await shot(page, '2-share-link-for-owner');
  await reveal.getByRole('button', { name: 'Copy link' }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await reveal.getByRole('button', { name: 'Done' }).click();

  // What the server holds: the link's id and a ciphertext, not the value nor the key.
  const stored = database();
  expect(stored).toContain(id);
  for (const secret of [value, key, Buffer.from(value).toString('hex'), Buffer.from(key, 'base64url').toString('hex')]) {
    expect(stored.toLowerCase()).not.toContain(secret.toLowerCase());
  }

  // A co-worker without an account. A damaged link says so and is not used up.
  const coworker = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const guest = await coworker.newPage();
  const guestSent = sent(guest);
  const guestViolations = violations(guest);
  await guest.goto(link.slice(0, -5));
  await waitForHydration(guest);
  await expect(guest.getByRole('alert')).toContainText('This link is incomplete');
  await expect(guest.getByRole('button', { name: 'Show token' })).toBeDisabled();

  // The whole link: the grant, then Show token. Opening the page twice (a chat preview)
  // uses nothing up.
  await guest.goto(link);
  await waitForHydration(guest);
  await guest.reload();
  await waitForHydration(guest);
  await expect(guest.getByRole('heading', { name: 'A token was shared with you' })).toBeVisible();
  await expect(guest.getByText(`${owner} shared a Patio access token with you`)).toBeVisible();
  await expect(guest.getByText('for Budi, stops shared-project')).toBeVisible();
  await expect(guest.getByText('environment.control.StopEnv')).toBeVisible();
  await expect(guest.getByText('anywhere')).toBeVisible();
  await shot(guest, '3-coworker-before-show');
  await guest.getByRole('button', { name: 'Show token' }).click();
  await expect(guest.getByLabel('Token value')).toHaveValue(value);
  await guest.getByRole('button', { name: 'Copy' }).click();
  await expect(guest.getByRole('button', { name: 'Copied' })).toBeVisible();
  const copied = await guest.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(value);
  await shot(guest, '4-coworker-after-show');

  // The copied value works for what it was granted.
  const stop = await request.post('/1.0/environment/control/rest/stopenv', {
    headers: { Authorization: `Bearer ${copied}` },
    form: { envName: 'shared-project' },
  });
  expect(await stop.json()).toEqual({ result: 0 });

  // A third opening is refused, and says when it was used.
  await guest.reload();
  await waitForHydration(guest);
  await expect(guest.getByRole('heading', { name: 'Link already used' })).toBeVisible();
  await expect(guest.getByText(/already used on \d{2}-\d{2}-\d{4} \d{2}:\d{2}/)).toBeVisible();
  await expect(guest.getByRole('button', { name: 'Show token' })).toHaveCount(0);
  await shot(guest, '5-already-used');
  await coworker.close();

  // The owner's panel: opened, when and from where; the Security Log has it too.
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.getByRole('row', { name: /for Budi/ }).click();
  const panel = page.getByRole('region', { name: /Usage of "for Budi/ });
  await expect(panel.getByText(/^Opened \d{2}-\d{2}-\d{4} \d{2}:\d{2} from 127\.0\.0\.1$/)).toBeVisible();
  await shot(page, '6-owner-panel-opened');
  await page.getByRole('link', { name: 'Security Log' }).click();
  await expect(page.getByRole('cell', { name: 'Share link opened' })).toBeVisible();
  await expect(page.getByRole('cell', { name: 'Share link created' })).toBeVisible();
  await shot(page, '8-security-log');
  await page.getByRole('link', { name: 'Environments' }).click();
  await expect(page.getByRole('row', { name: /shared-project/ })).toContainText('Stopped');

  // Nothing either browser sent held the value or the key; the ciphertext is gone.
  for (const request of [...ownerSent, ...guestSent]) {
    expect(request).not.toContain(value);
    expect(request).not.toContain(key);
  }
  const after = database();
  expect(after).not.toContain(value);
  expect(after).not.toContain(key);
  expect(execFileSync('sqlite3', [`${process.env.PATIO_E2E_DATA}/patio.db`, 'select count(*) from token_shares where ciphertext is not null']).toString().trim()).toBe('0');
  expect([...ownerViolations, ...guestViolations]).toEqual([]);
});

test('the shared page speaks Indonesian, and a cancelled link says so', async ({ page, browser }) => {
  await signUp(page);
  await openAccessTokens(page);
  await waitForHydration(page);
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  const form = page.getByRole('dialog', { name: 'Generate Access Token' });
  await form.getByLabel('Description').fill('cancel me');
  await form.getByRole('button', { name: 'Generate' }).click();
  await confirmPassword(page);
  const reveal = page.getByRole('dialog', { name: 'Your new access token' });
  await reveal.getByRole('button', { name: 'Share link' }).click();
  await reveal.getByRole('button', { name: 'Create link' }).click();
  const link = await reveal.getByRole('textbox', { name: 'Share link' }).inputValue();
  await reveal.getByRole('button', { name: 'Done' }).click();

  const coworker = await browser.newContext({ locale: 'id-ID', extraHTTPHeaders: { 'Accept-Language': 'id' } });
  const guest = await coworker.newPage();
  await guest.goto(link);
  await waitForHydration(guest);
  await expect(guest.getByRole('heading', { name: 'Sebuah token dibagikan kepada Anda' })).toBeVisible();
  await expect(guest.getByRole('button', { name: 'Tampilkan token' })).toBeEnabled();
  await shot(guest, '7-coworker-indonesian');

  // The owner cancels the waiting link from the token's panel.
  await page.getByRole('row', { name: /cancel me/ }).click();
  const panel = page.getByRole('region', { name: /Usage of "cancel me"/ });
  await expect(panel.getByText(/^Waiting to be opened, until/)).toBeVisible();
  await panel.getByRole('button', { name: 'Cancel link' }).click();
  await expect(panel.getByText(/^Cancelled \d{2}-\d{2}-\d{4}/)).toBeVisible();

  await guest.reload();
  await waitForHydration(guest);
  await expect(guest.getByRole('heading', { name: 'Tautan dibatalkan' })).toBeVisible();
  await coworker.close();
});
