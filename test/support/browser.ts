/**
 * Headless Chromium (Debian's `chromium` package, driven by playwright-core: no browser downloads) against the real
 * service. Every page records console errors and uncaught exceptions so a test can require there were none; pages
 * are screenshotted into test-results/screenshots, and with UPDATE_SCREENSHOTS=1 into docs/screenshots for the README.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import axe from 'axe-core';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
const shots = resolve(__dirname, '../../test-results/screenshots');
const docs = resolve(__dirname, '../../docs/screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium is not installed: apt-get install chromium (.ci/run does)');
  // --no-sandbox: CI runs as root in a VM, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface ConsolePage {
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  screenshot(name: string): Promise<void>;
  /** axe-core's serious and critical accessibility violations on the page as it is now. */
  accessibilityViolations(): Promise<string[]>;
}

/** A fresh browser context (its own sessionStorage) on the console, signed in with `key`. */
export async function openConsole(browser: Browser, baseUrl: string, key: string, viewport = { width: 1366, height: 800 }): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
  return {
    page,
    errors,
    async screenshot(name) {
      mkdirSync(shots, { recursive: true });
      const file = join(shots, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        mkdirSync(docs, { recursive: true });
        copyFileSync(file, join(docs, `${name}.png`));
      }
    },
    async accessibilityViolations() {
      // Evaluated over the DevTools protocol, not added as an inline <script>: the console's content security policy
      // (rightly) refuses inline scripts, and the tests must see the policy the console is served with.
      await page.evaluate(`${axe.source}; void 0`);
      // Runs in the page, where axe is now a global (the test's tsconfig has no DOM types, hence the string).
      const results = (await page.evaluate("axe.run(document, { resultTypes: ['violations'] })")) as axe.AxeResults;
      return results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
    },
  };
}
