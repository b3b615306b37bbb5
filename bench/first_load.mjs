// What a person waits for: starts the server given on a fresh SQLite folder, signs an
// account up, and in headless Chromium measures, for /signin and /settings/access-tokens,
// the bytes transferred by type and the time from navigation until the page is hydrated
// and answers a click (Generate opens its dialog; on /signin, the language switcher
// changes the page), cold (empty cache) and warm (the same browser again), on emulated
// Slow 4G (1.6 Mbps down, 750 kbps up, 150 ms round trip: the mobile profile of web
// performance tools) and on a fast link (40 Mbps, 20 ms).
//
//   node bench/first_load.mjs <patio binary> <site root> [runs]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const require = createRequire(resolve('end2end/package.json'));
const { chromium } = require('@playwright/test');

const [bin, siteRoot, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 3);
const port = 3480;
const base = `http://127.0.0.1:${port}`;
const networks = {
  'Slow 4G': { latency: 150, downloadThroughput: (1.6 * 1e6) / 8, uploadThroughput: (750 * 1e3) / 8 },
  fast: { latency: 20, downloadThroughput: (40 * 1e6) / 8, uploadThroughput: (10 * 1e6) / 8 },
};
const targets = { cold: { 'Slow 4G': 2500 }, warm: { 'Slow 4G': 1000 } };
const byteTarget = 300 * 1024;

const dir = mkdtempSync(join(tmpdir(), 'patio-first-load-'));
const server = spawn(resolve(bin), [
  '--bind', `127.0.0.1:${port}`, '--database-url', `sqlite://${dir}/patio.db`, '--data-dir', dir,
  '--site-root', resolve(siteRoot), '--log', 'error', '--signups-per-hour', '1000',
], { stdio: 'inherit' });
const stop = () => { server.kill(); rmSync(dir, { recursive: true, force: true }); };
process.on('exit', stop);

for (let i = 0; ; i++) {
  try { if ((await fetch(`${base}/healthz`)).ok) break; } catch {}
  if (i > 100) throw new Error('the server did not start');
  await new Promise((r) => setTimeout(r, 100));
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

/** One visit: bytes and requests by resource type until the page is interactive, what
 * the click then fetches, and the time until the page answers the click. */
async function visit(page, cdp, path) {
  const types = new Map();
  let bytes = {};
  let requests = 0;
  const onResponse = (e) => {
    const url = e.response.url;
    const type = e.type === 'Document' ? 'HTML' : /\.wasm$/.test(url) ? 'wasm' : /\.js$/.test(url) ? 'JS' : /\.css$/.test(url) ? 'CSS' : 'other';
    types.set(e.requestId, type);
  };
  const onFinished = (e) => {
    const type = types.get(e.requestId) ?? 'other';
    if (process.env.FIRST_LOAD_DEBUG) console.error(type, e.encodedDataLength);
    bytes[type] = (bytes[type] ?? 0) + e.encodedDataLength;
    requests += 1;
  };
  // Requests under way, so that the click's are counted to the last byte.
  const inflight = new Set();
  const onSent = (e) => {
    if (!e.request.url.startsWith('data:')) inflight.add(e.requestId);
  };
  const onDone = (e) => inflight.delete(e.requestId);
  cdp.on('Network.requestWillBeSent', onSent);
  cdp.on('Network.responseReceived', onResponse);
  cdp.on('Network.loadingFinished', onFinished);
  cdp.on('Network.loadingFinished', onDone);
  cdp.on('Network.loadingFailed', onDone);
  const started = Date.now();
  await page.goto(base + path, { waitUntil: 'commit' });
  // Checked on every frame: a locator's wait polls less often the longer it waits (every
  // 500 ms after its first few checks), which put up to half a second on a Slow 4G figure.
  const everyFrame = { polling: 'raf', timeout: 120_000 };
  await page.waitForFunction(() => document.body?.hasAttribute('data-hydrated'), null, everyFrame);
  await page.waitForLoadState('load');
  const before = { bytes, requests };
  bytes = {};
  requests = 0;
  if (path === '/signin') {
    await page.getByRole('combobox').selectOption('id');
    await page.waitForFunction(() => [...document.querySelectorAll('h1')].some((h) => h.textContent.trim() === 'Masuk'), null, everyFrame);
  } else {
    await page.getByRole('toolbar').getByRole('button', { name: 'Generate' }).click();
    await page.waitForFunction(() => document.querySelector('dialog[open]') !== null, null, everyFrame);
  }
  const ms = Date.now() - started;
  // What answered is the right thing: the heading in Indonesian, the token form's dialog.
  if (path === '/signin') await page.getByRole('heading', { name: 'Masuk' }).waitFor({ timeout: 1000 });
  else await page.getByRole('dialog', { name: /Access Token/ }).waitFor({ timeout: 1000 });
  // Playwright's 'networkidle' is reached once per page load, and the page reached it
  // before the click: wait for the click's own requests to end instead (quiet 500 ms).
  await quiet(inflight);
  cdp.off('Network.requestWillBeSent', onSent);
  cdp.off('Network.responseReceived', onResponse);
  cdp.off('Network.loadingFinished', onFinished);
  cdp.off('Network.loadingFinished', onDone);
  cdp.off('Network.loadingFailed', onDone);
  return { ms, bytes: before.bytes, requests: before.requests, clickBytes: bytes };
}

/** Resolves once no request has been under way for 500 ms. */
async function quiet(inflight) {
  const deadline = Date.now() + 60_000;
  let since = Date.now();
  while (Date.now() < deadline) {
    if (inflight.size > 0) since = Date.now();
    else if (Date.now() - since >= 500) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${inflight.size} requests still under way after a minute`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (n) => (n / 1024).toFixed(1);
const rows = [];
for (const path of ['/signin', '/settings/access-tokens']) {
  for (const [network, conditions] of Object.entries(networks)) {
    const cold = [];
    const warm = [];
    let coldBytes;
    let coldRequests;
    let clickBytes;
    let warmBytes;
    for (let run = 0; run < runs; run++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      if (path !== '/signin') {
        const email = `first-load-${Date.now()}-${run}@example.com`;
        await context.request.post(`${base}/api/sign_up`, { form: { email, password: 'correct horse battery' } });
      } else {
        await context.addCookies([{ name: 'patio_lang', value: 'en', url: base }]);
      }
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, ...conditions });
      const first = await visit(page, cdp, path);
      if (path === '/signin') await context.addCookies([{ name: 'patio_lang', value: 'en', url: base }]);
      const again = await visit(page, cdp, path);
      cold.push(first.ms);
      warm.push(again.ms);
      coldBytes = first.bytes;
      coldRequests = first.requests;
      clickBytes = first.clickBytes;
      warmBytes = again.bytes;
      await context.close();
    }
    rows.push({ path, network, cold: median(cold), warm: median(warm), coldBytes, coldRequests, clickBytes, warmBytes });
  }
}
await browser.close();

const mark = (value, target) => (target === undefined ? '' : value <= target ? ' (met)' : ' (missed)');
console.log(`first load, median of ${runs} runs, release build, headless Chromium`);
console.log('cold bytes: what the first visit transfers until the page is interactive (HTML, JS, CSS, wasm);');
console.log('then: what the timed click fetches on top (the parts of the wasm it needs)');
console.log('| page | network | cold ms | warm ms | cold bytes: HTML / JS / CSS / wasm / total KB (requests) | then KB | warm total KB |');
console.log('| --- | --- | ---: | ---: | --- | ---: | ---: |');
const total = (b) => Object.values(b).reduce((s, n) => s + n, 0);
for (const r of rows) {
  const parts = ['HTML', 'JS', 'CSS', 'wasm'].map((t) => kb(r.coldBytes[t] ?? 0)).join(' / ');
  console.log(`| ${r.path} | ${r.network} | ${r.cold}${mark(r.cold, targets.cold[r.network])} | ${r.warm}${mark(r.warm, targets.warm[r.network])} | ${parts} / ${kb(total(r.coldBytes))} (${r.coldRequests}) | ${kb(total(r.clickBytes))} | ${kb(total(r.warmBytes))} |`);
}
// The targets, each counted until the page answered its click (Generate's dialog open on
// Access Tokens): what the click fetches is part of the first visit.
console.log('');
for (const r of rows.filter((r) => r.network === 'Slow 4G')) {
  const bytes = total(r.coldBytes) + total(r.clickBytes);
  console.log(`target: ${r.path} first visit ≤ ${kb(byteTarget)} KB (click included): ${kb(bytes)} KB:${mark(bytes, byteTarget).replace(/[()]/g, '')}`);
  console.log(`target: ${r.path} interactive cold on Slow 4G ≤ ${targets.cold['Slow 4G']} ms (click answered): ${r.cold} ms:${mark(r.cold, targets.cold['Slow 4G']).replace(/[()]/g, '')}`);
  console.log(`target: ${r.path} warm on Slow 4G ≤ ${targets.warm['Slow 4G']} ms: ${r.warm} ms:${mark(r.warm, targets.warm['Slow 4G']).replace(/[()]/g, '')}`);
}
process.exit(0);
