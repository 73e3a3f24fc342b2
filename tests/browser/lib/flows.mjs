// The customer's steps as a person takes them in the browser: the lead form, the pay forms, the
// simulator's pages. Each returns when the page it leads to has loaded.

/** Fills the lead form on `/` (the first service) and submits it; resolves on the invoice page. */
export async function submitLead(page, origin, lang, name = 'Asha Mwakyusa') {
  await page.goto(`${origin}/?lang=${lang}`);
  await page.fill('#name', name);
  await page.fill('#email', 'asha@example.com');
  await page.fill('#phone', '0754 123 456');
  await page.fill('#company', 'Duka la Asha');
  const first = await page.$eval('#service option:not([value=""])', (o) => o.value);
  await page.selectOption('#service', first);
  await page.fill('#message', 'Tunahitaji tovuti.');
  await Promise.all([page.waitForURL(/\/invoices\//), page.click('#lead button[type=submit]')]);
  return page.url().split('?')[0];
}

/** Waits until the invoice at `url` is no longer pending (a notification has been applied). */
export async function untilSettled(page, url, lang) {
  for (let i = 0; i < 60; i++) {
    await page.goto(`${url}?lang=${lang}`);
    if (!(await page.$('meta[http-equiv="refresh"]'))) return;
    await page.waitForTimeout(250);
  }
  throw new Error(`${url} stayed pending`);
}

/** Sends an AzamPay push from the invoice page; resolves on the invoice page that says so. */
export async function startAzamPay(page) {
  await page.fill('#pay-phone', '0712 345 678');
  await page.selectOption('#pay-provider', { index: 0 });
  await Promise.all([page.waitForURL(/sent=1/), page.click('form:has(#pay-phone) button[type=submit]')]);
}

/** Goes from the invoice page to the simulator's Pesapal page. */
export async function startPesapal(page) {
  await Promise.all([
    page.waitForURL(/_simulator\/pesapal/),
    page.click('form:has(input[name=gateway][value=pesapal]) button[type=submit]'),
  ]);
}
