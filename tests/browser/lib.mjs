// tests/browser/lib.mjs: what a browser test script shares: TAP output
// (test, assert, done), Debian's chromium started headless through
// playwright-core with CSP violations collected, and signing in.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let n = 0;
let failed = 0;

// Run one TAP case: "ok N - name", or "not ok" with the first lines of the error.
export async function test(name, fn) {
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

export function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

// A fresh headless chromium: { context, page, cspErrors, close() }.
export async function launch(locale = 'en-US', viewport = undefined) {
  const userData = mkdtempSync(join(tmpdir(), 'irdesk-chromium-'));
  const context = await chromium.launchPersistentContext(userData, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    locale,
    ...(viewport ? { viewport } : {}),
  });
  context.setDefaultTimeout(15000);
  const page = context.pages()[0] || await context.newPage();
  const cspErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Refused|Content Security Policy/.test(m.text())) cspErrors.push(m.text());
  });
  return { context, page, cspErrors, close: async () => { await context.close(); rmSync(userData, { recursive: true, force: true }); } };
}

// Click locator and wait for the page it loads; the response.
export async function submit(page, locator) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return resp;
}

export async function signIn(page, base, user, password) {
  await page.goto(base + '/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await submit(page, page.locator('form[action="/login"] button[type=submit]'));
}

// The plan line; exits 1 when a case failed.
export function done() {
  console.log(`1..${n}`);
  process.exit(failed ? 1 : 0);
}
