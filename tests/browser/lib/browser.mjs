// Debian's Chromium driven by playwright-core (never a browser playwright downloads: there is
// none on a closed network), and the checks every page gets: axe-core's WCAG 2.1 A/AA rules with
// zero violations, no console error, no Content-Security-Policy violation, a screenshot.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from './server.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const CHROMIUM = process.env.CHROME_PATH ?? '/usr/bin/chromium';

/** The flags Chromium needs here: headless, and no call home (the closed network refuses it). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SIZES = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1280, height: 900 },
};

export const LANGUAGES = ['en', 'sw'];

/** Where screenshots go: build output, never committed. */
export const SCREENSHOTS =
  process.env.BROWSER_SCREENSHOTS ?? path.join(repoRoot, 'target', 'browser-screenshots');

/** A fresh browser with its own profile directory; `close()` removes the profile. */
export async function launch() {
  const profile = mkdtempSync(path.join(tmpdir(), 'wetech-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: SIZES.desktop,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A page that records console errors, failed requests answered >= 400 (other than the ones a
 * test expects) and CSP violations; `problems()` lists them.
 */
export async function watchedPage(context, size) {
  const page = await context.newPage();
  await page.setViewportSize(SIZES[size]);
  const problems = [];
  let expected = new Set();
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      // The browser's own line for a page that is an HTTP error on purpose (404, 409 pages).
      const loc = msg.location()?.url ?? '';
      if (/Failed to load resource: the server responded with a status of (\d+)/.test(msg.text()) && expected.has(loc)) return;
      problems.push(`console error: ${msg.text()} (${loc})`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('response', (res) => {
    if (res.status() >= 400 && !expected.has(res.url())) problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  // securitypolicyviolation events are collected in the page from the first script on.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`),
    );
  });
  return {
    page,
    problems,
    /** The next navigation to `url` is expected to answer with an error status. */
    expectError(url) {
      expected = new Set([url]);
    },
    clearExpected() {
      expected = new Set();
    },
  };
}

/**
 * axe-core's WCAG 2.0/2.1 A and AA rules on the current page: the violations, readable.
 *
 * One exception, and only where the page offers its remedy: the invoice page reloads itself
 * while a payment is pending (CONTRACT §6, without JavaScript: a meta refresh), which axe's
 * `meta-refresh` rule refuses outright. WCAG 2.2.1 is met when the person can turn the timing
 * off before it happens, so a page with a timed refresh must carry a link to `?refresh=off`
 * near the top (checked here), and the caller checks that page again with every rule.
 */
export async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const refresh = await page.$('meta[http-equiv="refresh"]');
  const turnOff = await page.$('main a[href$="refresh=off"]');
  const rules = refresh && turnOff ? { 'meta-refresh': { enabled: false } } : {};
  const result = await page.evaluate(
    (rules) =>
      window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
        rules,
      }),
    rules,
  );
  return result.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary}`).join('\n')}`,
  );
}

/** Every check on the page as it is now; a screenshot named `name`. Returns the problems. */
export async function checkPage(watched, name) {
  const { page, problems } = watched;
  const found = [...problems];
  found.push(...(await axeViolations(page)).map((v) => `axe: ${v}`));
  const csp = await page.evaluate(() => window.__cspViolations ?? []);
  found.push(...csp.map((c) => `CSP violation: ${c}`));
  const lang = await page.evaluate(() => document.documentElement.lang);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  problems.length = 0;
  const refreshOff = await page.$eval('main a[href$="refresh=off"]', (a) => a.href).catch(() => null);
  return { found, lang, refreshOff };
}
