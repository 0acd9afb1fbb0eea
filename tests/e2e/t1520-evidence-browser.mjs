// t1520-evidence-browser.mjs: the evidence pages in a real browser (Debian's
// chromium driven by playwright-core), run by t1520-evidence-browser.sh,
// which starts the server, creates the account and the incident:
//   node tests/e2e/t1520-evidence-browser.mjs BASEURL HID FILE
// Environment: IRDESK_USER, IRDESK_PASSWORD. Prints TAP, exits 1 on failure.
import { chromium } from 'playwright-core';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, hid, file] = process.argv.slice(2);
if (!base || !hid || !file) {
  console.error('usage: node t1520-evidence-browser.mjs BASEURL HID FILE');
  process.exit(2);
}
const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
let n = 0;
let failed = 0;
async function test(name, fn) {
  n++;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    for (const line of String(e && e.stack ? e.stack : e).split('\n').slice(0, 8)) console.log(`#   ${line}`);
  }
}
function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

const userData = mkdtempSync(join(tmpdir(), 'irdesk-chromium-'));
const context = await chromium.launchPersistentContext(userData, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
  locale: 'en-US',
  acceptDownloads: true,
});
context.setDefaultTimeout(15000);
const page = context.pages()[0] || await context.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
async function submit(locator) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return resp;
}
const incident = '/incidents/' + encodeURIComponent(hid);

try {
  await test('sign in and open the incident: an empty evidence section with an upload form', async () => {
    await page.goto(base + '/login');
    await page.fill('#username', process.env.IRDESK_USER);
    await page.fill('#password', process.env.IRDESK_PASSWORD);
    await submit(page.locator('form[action="/login"] button[type=submit]'));
    const resp = await page.goto(base + incident);
    assert(resp.status() === 200, `status ${resp.status()}`);
    assert(await page.locator('#evidence').count() === 1, 'evidence section');
    assert((await page.textContent('#evidence')).includes('No evidence yet.'), 'empty');
  });

  await test('upload a file through the form: the item page shows its SHA-256 and the acquisition', async () => {
    await page.locator('#evidence details summary').click();
    await page.fill('#ev-source', 'fs01.example.jp');
    await page.fill('#ev-acquired_at', '2026-11-26 10:00');
    await page.fill('#ev-desc', 'memory image <b>raw</b>');
    await page.setInputFiles('#ev-file', file);
    const resp = await submit(page.locator('#evidence form button[type=submit]'));
    assert(resp.status() === 200, `status ${resp.status()}`);
    assert(/\/evidence\/\d+\?done=evidence_added$/.test(page.url()), `at ${page.url()}`);
    const text = await page.textContent('main');
    assert(text.includes(sha), 'the hash');
    assert(text.includes('memory image <b>raw</b>'), 'the description as text');
    assert(text.includes('fs01.example.jp'), 'the source');
    assert(await page.locator('tr.custody-acquired').count() === 1, 'acquired in custody');
  });

  await test('verify from the page, then download the exact bytes (recorded in custody)', async () => {
    await submit(page.locator('form.evidence-verify button'));
    assert((await page.textContent('.notice')).includes('matches its SHA-256'), 'notice');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator('a.button', { hasText: 'Download' }).click()]);
    const path = await dl.path();
    assert(createHash('sha256').update(readFileSync(path)).digest('hex') === sha, 'downloaded bytes');
    await page.reload();
    assert(await page.locator('tr.custody-verified').count() === 1, 'verified in custody');
    assert(await page.locator('tr.custody-downloaded').count() === 1, 'downloaded in custody');
  });

  await test('the incident page lists the item with its hash', async () => {
    await page.goto(base + incident);
    assert((await page.textContent('#evidence table')).includes(sha), 'hash in the list');
  });

  await test('no script errors or CSP violations', async () => {
    const csp = consoleErrors.filter((t) => /Content Security Policy|Refused to/i.test(t));
    assert(csp.length === 0, `CSP: ${csp.join('; ')}`);
  });
} finally {
  await context.close();
  rmSync(userData, { recursive: true, force: true });
}
console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
