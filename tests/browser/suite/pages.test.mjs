// Every page a customer, the simulator or the staff sees, in English and Swahili, at phone and
// desktop size: axe-core (WCAG 2.1 A/AA) finds nothing, the console has no error, the CSP blocks
// nothing, and a screenshot is kept (target/browser-screenshots/, build output).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STAFF } from '../lib/server.mjs';
import { watchedPage, checkPage, SIZES, LANGUAGES } from '../lib/browser.mjs';
import { serverAndBrowser } from '../lib/session.mjs';
import { submitLead, untilSettled, startAzamPay, startPesapal } from '../lib/flows.mjs';

const session = serverAndBrowser();

for (const lang of LANGUAGES) {
  for (const size of Object.keys(SIZES)) {
    test(`customer and simulator pages, ${lang}, ${size}`, async () => {
      const { origin } = session.server;
      const w = await watchedPage(session.browser.context, size);
      const { page } = w;
      const failures = [];
      const check = async (what) => {
        const { found, lang: shown, refreshOff } = await checkPage(w, `${lang}-${size}-${what}`);
        if (shown !== lang) found.push(`<html lang="${shown}">, expected ${lang}`);
        failures.push(...found.map((f) => `${what}: ${f}`));
        w.clearExpected();
        // A page that reloads itself: the same page with the reload turned off, every rule on.
        if (refreshOff) {
          const back = page.url();
          await page.goto(refreshOff);
          if (await page.$('meta[http-equiv="refresh"]')) failures.push(`${what}: ?refresh=off still reloads`);
          const off = await checkPage(w, `${lang}-${size}-${what}-refresh-off`);
          failures.push(...off.found.map((f) => `${what} (refresh off): ${f}`));
          await page.goto(back);
        }
      };

      await page.goto(`${origin}/?lang=${lang}`);
      await check('home');

      // The lead form sent empty: 422 with the messages next to the fields.
      w.expectError(`${origin}/leads`);
      await page.click('#lead button[type=submit]');
      await page.waitForSelector('.field.invalid');
      await check('lead-form-errors');

      // An unpaid invoice; a second tab keeps its pay forms for the 409 below.
      const invoice = await submitLead(page, origin, lang);
      await check('invoice-unpaid');
      const stale = await watchedPage(session.browser.context, size);
      await stale.page.goto(`${invoice}?lang=${lang}`);

      // An AzamPay push waiting on the phone.
      await startAzamPay(page);
      await check('invoice-pending-azampay');

      // The other tab sends a second push while the first is pending: 409 page.
      stale.expectError(`${invoice}/pay`);
      await stale.page.fill('#pay-phone', '0712 345 678');
      await Promise.all([
        stale.page.waitForURL(`${invoice}/pay`),
        stale.page.click('form:has(#pay-phone) button[type=submit]'),
      ]);
      const staleCheck = await checkPage(stale, `${lang}-${size}-conflict-409`);
      failures.push(...staleCheck.found.map((f) => `409 page: ${f}`));
      assert.match(await stale.page.title(), /./);
      await stale.page.close();

      // The simulator's phone: decline the push, and the invoice says it failed.
      await page.goto(`${origin}/_simulator/azampay/phone?lang=${lang}`);
      await check('simulator-azampay-phone');
      await Promise.all([page.waitForURL(/azampay\/phone/), page.click('button[value=decline] >> nth=0')]);
      await untilSettled(page, invoice, lang);
      await check('invoice-failed');

      // Pesapal's hosted page in the simulator, paid: the invoice is paid.
      await startPesapal(page);
      await check('simulator-pesapal-page');
      await page.click('button[value=pay]');
      await page.waitForLoadState('load');
      await untilSettled(page, invoice, lang);
      await check('invoice-paid');

      // The simulator's index page.
      await page.goto(`${origin}/_simulator/?lang=${lang}`);
      await check('simulator-index');

      // An invoice that does not exist: 404 page.
      const missing = `${origin}/invoices/no-such-invoice?lang=${lang}`;
      w.expectError(missing);
      await page.goto(missing);
      await check('not-found-404');

      await page.close();
      assert.deepEqual(failures, [], failures.join('\n'));
    });
  }
}

for (const size of Object.keys(SIZES)) {
  test(`back-office pages, ${size}`, async () => {
    const { origin } = session.server;
    const w = await watchedPage(session.browser.context, size);
    const { page } = w;
    const failures = [];
    const check = async (what) => {
      const { found } = await checkPage(w, `admin-${size}-${what}`);
      failures.push(...found.map((f) => `${what}: ${f}`));
    };
    // Something to list: a lead with its invoice.
    await submitLead(page, origin, 'en', 'Juma Staff-View');
    await session.browser.context.clearCookies();

    await page.goto(`${origin}/admin/login`);
    await check('login');
    await page.fill('#email', STAFF.email);
    await page.fill('#password', STAFF.password);
    await Promise.all([page.waitForURL(`${origin}/admin/`), page.click('form[action="/admin/login"] button[type=submit]')]);
    await check('dashboard');
    for (const [what, url] of [
      ['leads', '/admin/leads'],
      ['invoices', '/admin/invoices'],
      ['payments', '/admin/payments?state=review'],
      ['catalogue', '/admin/catalog'],
      ['audit', '/admin/audit'],
    ]) {
      await page.goto(`${origin}${url}`);
      await check(what);
    }
    await page.goto(`${origin}/admin/leads`);
    await Promise.all([page.waitForURL(/\/admin\/leads\/.+/), page.click('a[href^="/admin/leads/"] >> nth=0')]);
    await check('lead');
    await page.goto(`${origin}/admin/invoices`);
    await Promise.all([page.waitForURL(/\/admin\/invoices\/.+/), page.click('a[href^="/admin/invoices/"] >> nth=0')]);
    await check('invoice');
    await page.close();
    await session.browser.context.clearCookies();
    assert.deepEqual(failures, [], failures.join('\n'));
  });
}
