// The lead form with the keyboard alone: Tab reaches every field and the button in order, each
// stop shows a visible focus indicator, and Enter sends the form (to the invoice page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchedPage, checkPage, LANGUAGES } from '../lib/browser.mjs';
import { serverAndBrowser } from '../lib/session.mjs';

const session = serverAndBrowser();

/** The focused element: its id (or text), and whether an outline or a shadow shows it. */
function focused(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
    const shadow = style.boxShadow !== 'none';
    return {
      id: el.id || `${el.tagName.toLowerCase()}:${(el.textContent ?? '').trim().slice(0, 30)}`,
      visible: outline || shadow,
      inLeadForm: Boolean(el.closest('#lead form')),
      type: el.type ?? '',
    };
  });
}

for (const lang of LANGUAGES) {
  test(`the lead form with the keyboard alone, ${lang}`, async () => {
    const w = await watchedPage(session.browser.context, 'phone');
    const { page } = w;
    await page.goto(`${session.server.origin}/?lang=${lang}`);
    const typed = { name: 'Neema Kibona', email: 'neema@example.com', phone: '0754 123 456', company: 'Kibona Ltd', message: 'Karibu' };
    const stops = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      stops.push(f);
      assert.ok(f.visible, `no visible focus on ${f.id} (stop ${i + 1})`);
      if (f.id in typed) await page.keyboard.type(typed[f.id]);
      if (f.id === 'service') await page.keyboard.press('ArrowDown');
      if (f.inLeadForm && f.type === 'submit') break;
    }
    const order = stops.filter((s) => s.inLeadForm).map((s) => s.id);
    assert.deepEqual(order.slice(0, 6), ['name', 'email', 'phone', 'company', 'service', 'message'], order.join(' → '));
    assert.notEqual(await page.$eval('#service', (s) => s.value), '', 'the service was not chosen by keyboard');
    await checkPage(w, `${lang}-phone-keyboard-lead-form`);
    // Enter on the focused button sends the form.
    await Promise.all([page.waitForURL(/\/invoices\//), page.keyboard.press('Enter')]);
    const { found } = await checkPage(w, `${lang}-phone-keyboard-invoice`);
    assert.deepEqual(found, [], found.join('\n'));
    await page.close();
  });
}
