// Lighthouse with its mobile profile (the default: a mid-range phone on a throttled connection,
// simulated) in Debian's Chromium against the local server: performance, accessibility, best
// practices and SEO each at least 95 on `/` and on an invoice page, and `/` under 30 KB
// transferred in all. The scores are printed (docs/benchmarks.md, "Lighthouse").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import lighthouse from 'lighthouse';
import * as chromeLauncher from 'chrome-launcher';
import { startWeb } from '../lib/server.mjs';
import { launch, CHROMIUM, CHROMIUM_FLAGS, SCREENSHOTS } from '../lib/browser.mjs';
import { submitLead } from '../lib/flows.mjs';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const MIN_SCORE = 95;
const MAX_FIRST_PAGE_BYTES = 30 * 1024;

let server;
let chrome;
let profile;

before(async () => {
  server = await startWeb();
  profile = mkdtempSync(path.join(tmpdir(), 'wetech-lighthouse-'));
  chrome = await chromeLauncher.launch({
    chromePath: CHROMIUM,
    chromeFlags: [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`],
    userDataDir: false,
  });
});

after(async () => {
  await chrome?.kill();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await server?.stop();
});

async function audit(url, name) {
  const result = await lighthouse(url, {
    port: chrome.port,
    output: 'json',
    logLevel: 'error',
    onlyCategories: CATEGORIES,
  });
  const lhr = result.lhr;
  const scores = Object.fromEntries(CATEGORIES.map((c) => [c, Math.round((lhr.categories[c].score ?? 0) * 100)]));
  const bytes = lhr.audits['total-byte-weight'].numericValue;
  mkdirSync(SCREENSHOTS, { recursive: true });
  writeFileSync(path.join(SCREENSHOTS, `lighthouse-${name}.json`), JSON.stringify(lhr));
  // What cost points, so a failure says why.
  const lost = Object.values(lhr.audits)
    .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode !== 'informative' && a.scoreDisplayMode !== 'manual')
    .map((a) => `${a.id}: ${a.title} (${a.displayValue ?? a.score})`);
  console.log(`lighthouse ${name}: ${JSON.stringify(scores)}, ${bytes} bytes transferred`);
  return { scores, bytes, lost };
}

test('Lighthouse (mobile) on / and on an invoice page', async () => {
  const home = await audit(`${server.origin}/`, 'home');
  const b = await launch();
  const page = await b.context.newPage();
  const invoice = await submitLead(page, server.origin, 'en');
  await b.close();
  const inv = await audit(invoice, 'invoice');
  for (const [name, r] of [['/', home], ['invoice page', inv]]) {
    for (const c of CATEGORIES) {
      assert.ok(r.scores[c] >= MIN_SCORE, `${name}: ${c} ${r.scores[c]} < ${MIN_SCORE}\n${r.lost.join('\n')}`);
    }
  }
  assert.ok(home.bytes < MAX_FIRST_PAGE_BYTES, `/ transferred ${home.bytes} bytes (limit ${MAX_FIRST_PAGE_BYTES})`);
});
