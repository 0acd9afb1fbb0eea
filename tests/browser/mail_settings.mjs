// tests/browser/mail_settings.mjs: the reported-mail settings page in a real
// browser: an admin reaches it from the users page, edits the domains, an
// executive and the thresholds in their fields, saves, and sees them saved;
// a malformed address is refused by the browser before anything is sent;
// nothing breaks the CSP. Run by tests/e2e/t1170-mail-settings-browser.sh:
//   node tests/browser/mail_settings.mjs BASEURL
// Environment: IRDESK_USER and IRDESK_PASSWORD (an admin). Prints TAP.
import { assert, done, launch, signIn, submit, test } from './lib.mjs';

const base = process.argv[2];
const b = await launch();
const page = b.page;

try {
  await test('the users page links to the settings, which show the file in force', async () => {
    await signIn(page, base, process.env.IRDESK_USER, process.env.IRDESK_PASSWORD);
    await page.goto(base + '/users');
    await submit(page, page.locator('#mail-settings-link'));
    assert(page.url().endsWith('/settings/mail'), `at ${page.url()}`);
    assert((await page.inputValue('#ms-own_domains')).includes('example.co.jp'), 'own domains from the file');
    assert(await page.inputValue('#ms-exec0_name_en') === 'Taro Yamada', 'the executive');
    assert((await page.textContent('#mailset-source')).includes('--mail-config'), 'source: the file');
  });

  await test('a malformed e-mail address is refused by the browser: nothing is sent', async () => {
    await page.fill('#ms-exec1_email', 'not an address');
    await page.locator('form[action="/settings/mail"] button[type=submit]').click();
    assert(await page.locator('#ms-exec1_email:invalid').count() === 1, 'the field is invalid');
    assert(page.url().endsWith('/settings/mail'), 'still on the page');
    await page.fill('#ms-exec1_email', '');
  });

  await test('edit the fields and save: the page shows the saved settings', async () => {
    await page.fill('#ms-own_domains', 'example.co.jp\nexample.com');
    await page.fill('#ms-partner_domains', 'supplier-abc.co.jp\npartner-x.co.jp');
    await page.fill('#ms-exec1_name', '佐藤 花子');
    await page.fill('#ms-exec1_name_en', 'Hanako Sato');
    await page.fill('#ms-exec1_email', 'h.sato@example.co.jp');
    await page.fill('#ms-thr-suspicious', '25');
    await page.fill('#ms-thr-malicious', '55');
    const resp = await submit(page, page.locator('form[action="/settings/mail"] button[type=submit]'));
    assert(resp.status() === 200, `status ${resp.status()}`);
    assert(page.url().endsWith('/settings/mail?done=saved'), `at ${page.url()}`);
    assert((await page.textContent('#mailset-source')).includes('saved settings'), 'source: saved');
    assert((await page.inputValue('#ms-partner_domains')).includes('partner-x.co.jp'), 'partner saved');
    assert(await page.inputValue('#ms-exec1_name') === '佐藤 花子', 'executive saved');
    assert(await page.inputValue('#ms-thr-malicious') === '55', 'threshold saved');
  });

  await test('nothing broke the CSP', async () => {
    assert(b.cspErrors.length === 0, b.cspErrors.join('; '));
  });
} finally {
  await b.close();
}
done();
