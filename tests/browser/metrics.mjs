// tests/browser/metrics.mjs: the metrics page in a real browser (Debian's
// chromium driven by playwright-core): both charts are drawn as inline SVG
// without breaking the CSP, the tables show what GET /api/v1/metrics says,
// and a screenshot is kept. Run by tests/e2e/t1630-metrics-browser.sh:
//   node tests/browser/metrics.mjs BASEURL
// Environment: IRDESK_USER and IRDESK_PASSWORD (who signs in), IRDESK_PERIOD
// (the query string of the period), IRDESK_SCREENSHOT (the PNG to write).
// Prints TAP ("ok N - ...") and exits 1 on failure.
import { statSync } from 'node:fs';
import { assert, done, launch, signIn, test } from './lib.mjs';

const base = process.argv[2];
const user = process.env.IRDESK_USER;
const password = process.env.IRDESK_PASSWORD;
const period = process.env.IRDESK_PERIOD || '';
const shot = process.env.IRDESK_SCREENSHOT;
const browser = await launch('en-US', { width: 1280, height: 900 });
const { context, page } = browser;
// CSP violations reported on the console ("Refused to ...").
const consoleErrors = browser.cspErrors;

// The table with this id as {data-key: [cell texts or data-seconds]}.
async function table(id) {
  return page.locator(`#${id} tbody tr`).evaluateAll((rows) => Object.fromEntries(rows.map((r) =>
    [r.dataset.key, [...r.querySelectorAll('td')].map((td) => td.dataset.seconds ?? td.textContent.trim())])));
}

try {
  let api = null;

  await test('sign in and open the metrics page from the navigation', async () => {
    await signIn(page, base, user, password);
    await Promise.all([page.waitForNavigation(), page.click('nav a[href="/metrics"]')]);
    assert((await page.textContent('h1')).includes('Metrics'), 'metrics heading');
    const resp = await page.goto(`${base}/metrics?${period}`);
    assert(resp.status() === 200, `status ${resp.status()}`);
  });

  await test('both charts are drawn: bars per month and type, median and p90 per duration', async () => {
    const bars = page.locator('svg#chart-months rect.bar');
    assert(await bars.count() >= 3, `bars: ${await bars.count()}`);
    assert(await page.locator('svg#chart-months').isVisible(), 'month chart visible');
    const box = await page.locator('svg#chart-months').boundingBox();
    assert(box && box.width > 300 && box.height > 150, `month chart size ${JSON.stringify(box)}`);
    const medians = await page.locator('svg#chart-durations rect.median').count();
    assert(medians >= 3, `medians: ${medians}`);
    assert(await page.locator('svg#chart-durations rect.range').count() === medians, 'a range per median');
    const title = await page.locator('svg#chart-months rect.bar title').first().textContent();
    assert(/^2026-10 .*: \d+$/.test(title), `bar title ${title}`);
  });

  await test('the charts keep to the CSP: no style attributes, no scripts, no violations', async () => {
    assert(await page.locator('svg [style], svg script, svg style').count() === 0, 'no inline style or script');
    assert(consoleErrors.length === 0, `console errors: ${consoleErrors.join(' | ')}`);
  });

  await test('the tables show what the API says', async () => {
    const resp = await page.request.get(`${base}/api/v1/metrics?${period}`);
    assert(resp.status() === 200, `API status ${resp.status()}`);
    api = await resp.json();
    assert((await page.textContent('#metrics-total strong')) === String(api.total), 'total');
    const types = await table('t-type');
    assert(Object.keys(types).length === Object.keys(api.by_type).length, 'as many types');
    for (const [k, v] of Object.entries(api.by_type))
      assert(types[k] && types[k][1] === String(v), `type ${k}: page ${types[k]}, API ${v}`);
    const months = await table('t-month');
    for (const m of api.by_month)
      assert(months[m.month] && months[m.month][1] === String(m.total), `month ${m.month}`);
    const states = await table('t-state');
    for (const [k, v] of Object.entries(api.by_state))
      assert(states[k] && states[k][1] === String(v), `state ${k}`);
    const durations = await table('t-durations');
    for (const [k, d] of Object.entries(api.durations)) {
      const row = durations[k];
      assert(row && row[1] === String(d.count), `${k} count`);
      assert(row[2] === String(d.median ?? 0) && row[3] === String(d.p90 ?? 0),
        `${k}: page ${row}, API ${JSON.stringify(d)}`);
    }
    assert((await page.textContent('#recurrence-count')).endsWith(`: ${api.recurrence.count}`), 'recurrence');
  });

  await test('a screenshot of the page is kept', async () => {
    await page.screenshot({ path: shot, fullPage: true });
    assert(statSync(shot).size > 10000, 'a real image');
  });

  await test('the page works in Japanese too', async () => {
    await page.goto(`${base}/metrics?${period}&lang=ja`);
    await context.addCookies([{ name: 'irdesk_lang', value: 'ja', url: base }]);
    await page.goto(`${base}/metrics?${period}`);
    assert((await page.textContent('h1')).includes('メトリクス'), 'Japanese heading');
    assert(await page.locator('svg#chart-months rect.bar').count() >= 3, 'chart in Japanese too');
  });
} finally {
  await browser.close();
}
done();
