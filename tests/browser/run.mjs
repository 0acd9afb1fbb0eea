// tests/browser/run.mjs: irdesk's pages in a real browser (Debian's chromium
// driven by playwright-core). Run by tests/e2e/t0800-browser.sh, which starts
// the server and creates the accounts:
//   node tests/browser/run.mjs BASEURL
// Environment: IRDESK_LEAD / IRDESK_VENDOR (usernames), IRDESK_PASSWORD
// (theirs), IRDESK_BIN and IRDESK_DB (to add the vendor to an incident the
// way an operator would, with the CLI), IRDESK_SCREENSHOTS (a folder: save
// screenshots there too). Prints TAP ("ok N - ...") and exits 1 on failure.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2];
if (!base) {
  console.error('usage: node tests/browser/run.mjs BASEURL');
  process.exit(2);
}
const lead = process.env.IRDESK_LEAD || 'lead';
const vendor = process.env.IRDESK_VENDOR || 'vendor';
const password = process.env.IRDESK_PASSWORD;
const shots = process.env.IRDESK_SCREENSHOTS || '';
const XSS = '<img src=x onerror=alert(1)>';

let n = 0;
let failed = 0;
const dialogs = [];

async function test(name, fn) {
  n++;
  try {
    await fn();
    console.log(`ok ${n} - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    for (const line of String(e && e.stack ? e.stack : e).split('\n').slice(0, 8))
      console.log(`#   ${line}`);
  }
}

function assert(cond, what) {
  if (!cond) throw new Error(`assertion failed: ${what}`);
}

const userData = mkdtempSync(join(tmpdir(), 'irdesk-chromium-'));
const context = await chromium.launchPersistentContext(userData, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  locale: 'en-US',
  viewport: { width: 1280, height: 900 },
});
context.setDefaultTimeout(15000);
const page = context.pages()[0] || await context.newPage();
// An alert, confirm or prompt from injected markup would open a dialog.
// Confirmations our own app.js asks for are accepted, but recorded too:
// the tests below never click a button that asks.
page.on('dialog', async (d) => { dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

// Go somewhere and return the main document's response.
async function go(path) {
  return page.goto(base + path, { waitUntil: 'load' });
}

// Click and wait for the navigation it causes; returns the final response.
async function submit(locator) {
  const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), locator.click()]);
  return resp;
}

async function signIn(user) {
  await go('/login');
  await page.fill('#username', user);
  await page.fill('#password', password);
  return submit(page.locator('form[action="/login"] button[type=submit]'));
}

async function signOut() {
  await submit(page.locator('form[action="/logout"] button'));
}

function incidentId() {
  const m = new URL(page.url()).pathname.match(/^\/incidents\/([^/?]+)$/);
  assert(m, `on an incident page (${page.url()})`);
  return decodeURIComponent(m[1]);
}

async function stateText() {
  return (await page.locator('.facts .state').first().textContent()).trim();
}

// Press the state button for `to` (its form carries to=...).
async function move(to, fields = {}) {
  const form = page.locator(`form.move:has(input[name=to][value="${to}"])`);
  assert(await form.count() === 1, `a button to ${to} is offered`);
  for (const [name, value] of Object.entries(fields)) {
    const el = form.locator(`[name="${name}"]`);
    if (await el.evaluate((e) => e.tagName) === 'SELECT') await el.selectOption(value);
    else await el.fill(value);
  }
  return submit(form.locator('button[type=submit]'));
}

// Fill, on the incident page, every item the catalog says state `to` still
// needs (the "missing" list), with test values, and save them.
async function fillMissing(to) {
  const keys = await page.locator(`.missing li[data-state="${to}"] code`).allTextContents();
  let n = 0;
  for (const key of keys) {
    if (key === 'occurred_at') {
      await page.fill('#e-occurred_at', '2026-11-01 09:00');
      const r = await submit(page.locator('form:has(input[name=_form][value=edit]) button[type=submit]'));
      assert(r.status() === 200, `occurred_at saved: ${r.status()}`);
      continue;
    }
    const el = page.locator(`#item-${key}`);
    assert(await el.count() === 1, `an input for item ${key}`);
    const tag = await el.evaluate((e) => e.tagName);
    if (tag === 'SELECT') {
      const values = await el.locator('option').evaluateAll((os) => os.map((o) => o.value));
      await el.selectOption(values.find((v) => v !== '' && v !== 'yes') || values[1]);
    } else if ((await el.getAttribute('placeholder')) === '2026-11-26 09:30') {
      await el.fill('2026-11-01 09:00');
    } else if ((await el.getAttribute('inputmode')) === 'decimal') {
      await el.fill('1');
    } else {
      await el.fill(`test value for ${key}`);
    }
    n++;
  }
  if (n) {
    const r = await submit(page.locator('form[action$="/items"] button[type=submit]'));
    assert(r.status() === 200, `items saved: ${r.status()} ${await page.textContent("body")}`);
  }
  return keys.length;
}

async function offeredMoves() {
  return page.locator('form.move input[name=to]').evaluateAll((els) => els.map((e) => e.value));
}

async function screenshot(name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

let mainId = '';
let xssId = '';
let otherId = '';

try {
  await test('a wrong password is refused on the sign-in page', async () => {
    await go('/login');
    await page.fill('#username', lead);
    await page.fill('#password', 'not-the-password');
    const resp = await submit(page.locator('form[action="/login"] button[type=submit]'));
    assert(resp.status() === 401, `status ${resp.status()}`);
    assert((await page.textContent('.error')).includes('Invalid username or password'), 'message');
    assert(await page.inputValue('#username') === lead, 'username kept');
  });

  await test('sign in with username and password lands on the dashboard', async () => {
    const resp = await signIn(lead);
    assert(resp.status() === 200, `status ${resp.status()}`);
    assert(new URL(page.url()).pathname === '/', `at ${page.url()}`);
    assert((await page.textContent('h1')).includes('Dashboard'), 'dashboard heading');
    assert(await page.locator('nav a[href="/incidents"]').textContent() === 'Incidents', 'English nav');
  });

  await test('create an incident from the form', async () => {
    await go('/incidents/new');
    await page.fill('#title', 'Phishing mail to the sales team');
    await page.selectOption('#type', 'phishing');
    await page.fill('#summary', 'Three people clicked a link in a mail\nfrom a look-alike domain.');
    await page.fill('#reporter', 'sales desk');
    await page.fill('#occurred_at', 'now-3h');
    const resp = await submit(page.locator('form[action="/incidents"] button[type=submit]'));
    assert(resp.status() === 200, `status ${resp.status()}`);
    mainId = incidentId();
    assert(/^IR-\d{4}-\d{4,}$/.test(mainId), `human id ${mainId}`);
    assert((await page.textContent('.incident-title')) === 'Phishing mail to the sales team', 'title');
    assert(await stateText() === 'New', 'state New');
    assert((await page.textContent('.notice')).includes('created'), 'created notice');
    assert(await page.locator('.nist').textContent() === 'Detection & analysis', 'NIST phase shown');
    assert((await page.locator('.csf').textContent()).includes('DE'), 'CSF function shown');
  });

  await test('only the legal next states are offered', async () => {
    const moves = await offeredMoves();
    assert(JSON.stringify(moves) === '["triage"]', `offered ${moves}`);
    await move('triage');
    assert(await stateText() === 'Triage', 'state Triage');
    const next = await offeredMoves();
    assert(JSON.stringify(next.sort()) === '["analysis","rejected"]', `offered ${next}`);
  });

  await test('a gate that fails is explained on the page (needs an owner)', async () => {
    const resp = await move('analysis');
    assert([409, 422].includes(resp.status()), `status ${resp.status()}`);
    const msg = await page.textContent('.error');
    assert(/owner/i.test(msg), `message names the owner: ${msg}`);
    assert(await stateText() === 'Triage', 'still Triage');
  });

  await test('set owner and classification: the priority is derived', async () => {
    await page.selectOption('#e-owner', lead);
    await page.selectOption('#e-attack_vector', 'email');
    await page.selectOption('#e-functional_impact', 'low');
    await page.check('input[name=information_impact][value=none]');
    await page.selectOption('#e-recoverability', 'regular');
    const resp = await submit(page.locator('form:has(input[name=_form][value=edit]) button[type=submit]'));
    assert(resp.status() === 200, `status ${resp.status()}`);
    assert((await page.textContent('.notice')).includes('Saved'), 'saved notice');
    assert((await page.textContent('.facts')).includes(lead), 'owner shown');
    assert(await page.locator('.facts .pri').textContent() === 'P3', 'derived P3');
  });

  await test('move through the states to closed', async () => {
    const path = [['analysis', 'Analysis'], ['containment', 'Containment'],
      ['eradication', 'Eradication'], ['recovery', 'Recovery'],
      ['post_incident', 'Post-incident'], ['closed', 'Closed']];
    let gated = 0;
    for (const [to, label] of path) {
      if (await fillMissing(to)) gated++;
      const resp = await move(to);
      assert(resp.status() === 200, `to ${to}: status ${resp.status()} ${await page.textContent('main')}`);
      assert(await stateText() === label, `state ${label}, got ${await stateText()}`);
    }
    assert(gated >= 2, `the phishing catalog gated ${gated} moves`);
    assert(await page.locator('.nist').textContent() === 'Post-incident activity', 'NIST phase follows');
    const next = await offeredMoves();
    assert(JSON.stringify(next) === '["analysis"]', `reopen only: ${next}`);
    assert(await page.locator('form.move input[name=reason]').count() === 1, 'reopening asks for a reason');
    // The lifecycle wrote its own timeline entries.
    assert(await page.locator('ol.timeline li.tl-state_change').count() >= 7, 'state changes on the timeline');
  });

  await test('add a timeline entry', async () => {
    await page.selectOption('#tl-kind', 'action');
    await page.fill('#tl-when', 'now-1h');
    await page.fill('#tl-text', 'Blocked the look-alike domain at the mail gateway');
    const resp = await submit(page.locator('form:has(input[name=_form][value=timeline]) button[type=submit]'));
    assert(resp.status() === 200, `status ${resp.status()}`);
    const entry = page.locator('ol.timeline li', { hasText: 'Blocked the look-alike domain' });
    assert(await entry.count() === 1, 'entry listed');
    assert((await entry.locator('.kind').textContent()) === 'Action', 'kind label');
  });

  await test('add and complete a task', async () => {
    await page.click('summary:has-text("Add a task")');
    await page.fill('#t-title', 'Reset the passwords of the three users');
    await page.selectOption('#t-assignee', lead);
    await submit(page.locator('form:has(input[name=_form][value=task]) button[type=submit]'));
    const item = page.locator('ul.tasks li', { hasText: 'Reset the passwords' });
    assert(await item.count() === 1, 'task listed');
    await submit(item.locator('button'));
    assert(await page.locator('ul.tasks li.done', { hasText: 'Reset the passwords' }).count() === 1, 'done');
  });

  await screenshot('incident-en');
  await go('/');
  await screenshot('dashboard-en');

  await test('an incident titled with markup is shown as text and runs nothing', async () => {
    await go('/incidents/new');
    await page.fill('#title', XSS);
    await page.fill('#summary', `<script>alert(2)</script> and ${XSS}`);
    await submit(page.locator('form[action="/incidents"] button[type=submit]'));
    xssId = incidentId();
    assert(await page.textContent('.incident-title') === XSS, 'title as text');
    assert(await page.locator('main img').count() === 0, 'no img element on the incident page');
    assert((await page.textContent('.summary')).includes('<script>alert(2)</script>'), 'summary as text');
    await page.fill('#tl-text', XSS);
    await submit(page.locator('form:has(input[name=_form][value=timeline]) button[type=submit]'));
    assert(await page.locator('ol.timeline li', { hasText: XSS }).count() === 1, 'timeline text as text');
    await go('/incidents?state=all');
    assert(await page.locator('main img').count() === 0, 'no img element in the list');
    assert(await page.locator('table.list a', { hasText: XSS }).count() === 1, 'listed as text');
    await go('/');
    assert(await page.locator('main img').count() === 0, 'no img element on the dashboard');
    await page.waitForTimeout(300);
    assert(dialogs.length === 0, `no dialog opened (${dialogs.join('; ')})`);
  });

  await test('a form posted without its CSRF token is refused with 403', async () => {
    await go('/incidents/' + encodeURIComponent(xssId));
    const before = await page.locator('ol.timeline li').count();
    await page.evaluate(() => {
      document.querySelectorAll('form:has(input[name=_form][value=timeline]) input[name=csrf]')
        .forEach((el) => el.remove());
    });
    await page.fill('#tl-text', 'this must not be saved');
    const resp = await submit(page.locator('form:has(input[name=_form][value=timeline]) button[type=submit]'));
    assert(resp.status() === 403, `status ${resp.status()}`);
    assert((await page.textContent('h1')).includes('Not allowed'), 'the 403 page');
    assert((await page.textContent('main')).includes('CSRF'), 'says why');
    await go('/incidents/' + encodeURIComponent(xssId));
    assert(await page.locator('ol.timeline li').count() === before, 'nothing was added');
    assert(await page.locator('ol.timeline li', { hasText: 'this must not be saved' }).count() === 0, 'no entry');
  });

  await test('switch to Japanese: labels come from the Japanese catalog', async () => {
    await go('/account');
    await page.selectOption('#p-lang', 'ja');
    const resp = await submit(page.locator('form[action="/account/prefs"] button[type=submit]'));
    assert(resp.status() === 200, `status ${resp.status()}`);
    assert(await page.locator('nav a[href="/incidents"]').textContent() === 'インシデント', 'nav in Japanese');
    assert(await page.getAttribute('html', 'lang') === 'ja', 'html lang');
    assert((await page.textContent('.notice')).includes('保存しました'), 'notice in Japanese');
    await go('/incidents/' + encodeURIComponent(mainId));
    assert(await stateText() === '完了', `state label in Japanese: ${await stateText()}`);
    assert((await page.textContent('.facts')).includes('NISTフェーズ'), 'facts in Japanese');
    assert((await page.textContent('.nist')) === '事後対応', 'NIST phase in Japanese');
    await screenshot('incident-ja');
    await go('/');
    assert((await page.textContent('h1')).includes('ダッシュボード'), 'dashboard heading in Japanese');
    await screenshot('dashboard-ja');
  });

  await test('in Japanese: fill the Appendix C items of an info-leak incident, generate the 速報, see it listed', async () => {
    await go('/incidents/new');
    await page.fill('#title', '委託先サーバからの顧客情報漏えい');
    await page.selectOption('#type', 'info_leak');
    await page.fill('#summary', '委託先のファイルサーバに置かれた顧客名簿が外部から閲覧可能だった。');
    let resp = await submit(page.locator('form[action="/incidents"] button[type=submit]'));
    assert(resp.status() === 200, `created: ${resp.status()}`);
    const id = incidentId();
    // Appendix C table 1 and the info-leak table, labelled in Japanese.
    const items = await page.locator('section.items').textContent();
    for (const label of ['事業者名', '責任者・担当者', '連絡先', '発覚日時', '漏えいした個人データの項目', '本人の数'])
      assert(items.includes(label), `item label ${label}`);
    await page.fill('#item-organisation', '株式会社サンプル商事');
    await page.fill('#item-responsible', '情報セキュリティ部 山田 太郎');
    await page.fill('#item-contact', '03-0000-0000 / csirt@example.co.jp');
    await page.selectOption('#item-business_sector', 'wholesale_retail');
    await page.fill('#item-data_items', '氏名\nメールアドレス\n電話番号');
    await page.fill('#item-persons_count', '1,234');
    resp = await submit(page.locator('form[action$="/items"] button[type=submit]'));
    assert(resp.status() === 200, `items saved: ${resp.status()}`);
    assert((await page.textContent('.notice')).includes('保存しました'), 'saved notice');
    assert(await page.inputValue('#item-persons_count') === '1234', 'number normalised');
    // A wrong value is refused with the reason, nothing saved.
    await page.fill('#item-persons_count', 'たくさん');
    resp = await submit(page.locator('form[action$="/items"] button[type=submit]'));
    assert(resp.status() === 422, `bad number refused: ${resp.status()}`);
    assert((await page.textContent('main')).includes('persons_count'), 'message names the item');
    await go('/incidents/' + encodeURIComponent(id));
    assert(await page.inputValue('#item-persons_count') === '1234', 'old value kept');
    // Generate the 速報 in Japanese and find it in the list.
    await page.selectOption('form[action$="/reports"] select[name=kind]', 'appi_preliminary');
    resp = await submit(page.locator('form[action$="/reports"] button[type=submit]'));
    assert(resp.status() === 200, `report generated: ${resp.status()}`);
    const row = page.locator('table.report-list tr', { hasText: '速報' });
    assert(await row.count() === 1, 'the 速報 is listed');
    await screenshot('incident-items-ja');
    await row.locator('a').click();
    await page.waitForLoadState();
    const report = await page.textContent('body');
    for (const text of ['個人情報保護委員会への報告(速報)', '株式会社サンプル商事', 'メールアドレス', '1234',
      '1 概要', '9 その他参考となる事項'])
      assert(report.includes(text), `report has ${text}`);
    await screenshot('appi-preliminary-ja');
    await go('/incidents/' + encodeURIComponent(id));
    // A second 速報 after learning more: the versions can be compared.
    await page.fill('#item-persons_count', '2,345');
    await submit(page.locator('form[action$="/items"] button[type=submit]'));
    await page.selectOption('form[action$="/reports"] select[name=kind]', 'appi_preliminary');
    await submit(page.locator('form[action$="/reports"] button[type=submit]'));
    assert(await page.locator('table.report-list tr', { hasText: '速報' }).count() === 2, 'two versions');
    await page.locator('tr.compare a').first().click();
    await page.waitForLoadState();
    assert((await page.locator('pre.diff .add').allTextContents()).some((t) => t.includes('2345')), 'added line');
    assert((await page.locator('pre.diff .del').allTextContents()).some((t) => t.includes('1234')), 'removed line');
    await screenshot('appi-compare-ja');
    await go('/incidents/' + encodeURIComponent(id));
    // The playbook's tasks, in Japanese, with the volatile-data command sheet.
    const tasks = await page.locator('ul.tasks').textContent();
    assert(tasks.includes('個人情報保護委員会'), 'the info-leak playbook tasks are listed');
    await page.locator('a.sheet[href="/catalog/sheets/windows_volatile"]').first().click();
    await page.waitForLoadState();
    assert((await page.textContent('pre.sheet')).includes('Get-CimInstance'), 'the command sheet opens');
  });

  await test('switch back to English through the account page', async () => {
    await go('/account');
    await page.selectOption('#p-lang', 'en');
    await submit(page.locator('form[action="/account/prefs"] button[type=submit]'));
    assert(await page.locator('nav a[href="/incidents"]').textContent() === 'Incidents', 'nav in English');
  });

  await test('an external user cannot open an incident it is not a member of (404)', async () => {
    // One more incident for the vendor to be added to.
    await go('/incidents/new');
    await page.fill('#title', 'Ransom note on the file server');
    await page.selectOption('#type', 'ransomware');
    await submit(page.locator('form[action="/incidents"] button[type=submit]'));
    otherId = incidentId();
    await signOut();
    const resp = await signIn(vendor);
    assert(resp.status() === 200, `signed in: ${resp.status()}`);
    const r = await go('/incidents/' + encodeURIComponent(mainId));
    assert(r.status() === 404, `status ${r.status()}`);
    assert(!(await page.textContent('main')).includes('Phishing mail'), 'no hint of the title');
    await go('/incidents?state=all');
    assert(await page.locator('table.list').count() === 0, 'the list shows nothing');
    assert(await page.locator('nav a[href="/audit"]').count() === 0, 'no audit link for an external user');
    const u = await go('/users');
    assert(u.status() === 403, `users page refused: ${u.status()}`);
  });

  await test('an external user added to an incident can open it', async () => {
    execFileSync(process.env.IRDESK_BIN, ['--db', process.env.IRDESK_DB, 'incident', 'member',
      otherId, vendor, 'forensic_engineer'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const r = await go('/incidents/' + encodeURIComponent(otherId));
    assert(r.status() === 200, `status ${r.status()}`);
    assert(await page.textContent('.incident-title') === 'Ransom note on the file server', 'title');
    await page.fill('#tl-text', 'Imaged the file server disk');
    const s = await submit(page.locator('form:has(input[name=_form][value=timeline]) button[type=submit]'));
    assert(s.status() === 200, `member adds to the timeline: ${s.status()}`);
    assert(await page.locator('ol.timeline li', { hasText: 'Imaged the file server disk' }).count() === 1, 'entry');
    assert(await page.locator('form.move').count() === 0, 'a forensic engineer is offered no moves');
    const other = await go('/incidents/' + encodeURIComponent(mainId));
    assert(other.status() === 404, `still 404 for the other: ${other.status()}`);
  });

  await test('no dialog opened and no script errors during the whole run', async () => {
    assert(dialogs.length === 0, `dialogs: ${dialogs.join('; ')}`);
    const csp = consoleErrors.filter((t) => /Content Security Policy|Refused to/i.test(t));
    assert(csp.length === 0, `CSP violations: ${csp.join('; ')}`);
  });
} finally {
  await context.close();
  rmSync(userData, { recursive: true, force: true });
}

console.log(`1..${n}`);
process.exit(failed ? 1 : 0);
