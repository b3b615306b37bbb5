import { expect, test } from '@playwright/test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signUp } from './helpers';

test('a page on another loopback origin cannot make changes with the cookie', async ({ page, baseURL }) => {
  await signUp(page);
  // Same site as Patio (same host, another port), so the SameSite=Lax cookie travels:
  // only the server's origin check stands in the way.
  const attacker = createServer((_, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<form id="f" method="post" action="${baseURL}/api/create_environment">
      <input name="name" value="forged"><input name="node_type" value="nginx"></form>
      <script>document.getElementById('f').submit()</script>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const port = (attacker.address() as AddressInfo).port;
  try {
    const forged = page.waitForResponse((r) => r.url().endsWith('/api/create_environment'));
    await page.goto(`http://127.0.0.1:${port}/`);
    expect((await forged).status()).toBe(403);
  } finally {
    attacker.close();
  }
  await page.goto('/');
  await expect(page.getByText('No environments yet.')).toBeVisible();
});

test('the hydrated app runs under its content security policy', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.text().includes('Content Security Policy')) violations.push(m.text());
  });
  await signUp(page);
  await page.goto('/settings/access-tokens');
  await page.locator('body[data-hydrated]').waitFor({ state: 'attached' });
  await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('dialog', { name: 'Generate Access Token' })).toBeVisible();
  expect(violations).toEqual([]);
});
