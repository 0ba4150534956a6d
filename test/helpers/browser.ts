/**
 * Browser tests' shared setup: the UI built as `make build` builds it, into a
 * directory of the test's own (served through STOWAGE_UI_DIR), and Debian's
 * chromium launched by playwright-core (nothing downloaded). A missing
 * chromium fails the test: hack/test.sh e2e installs it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ROOT } from './agent.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Build the UI into a new directory and have servers started from now on serve it; returns the cleanup. */
export function buildUi(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'stowage-ui-'));
  execFileSync(process.execPath, [resolve(ROOT, 'hack/build-ui.mjs'), dir], { stdio: 'pipe' });
  process.env.STOWAGE_UI_DIR = dir;
  return () => {
    delete process.env.STOWAGE_UI_DIR;
    rmSync(dir, { recursive: true, force: true });
  };
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no ${CHROMIUM}: run hack/install-deps.sh chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/**
 * A page at 1280 wide whose uncaught errors and console errors land in `errors` (tests
 * assert it stays empty); `ignore` drops console errors that are expected (a 422 the
 * browser logs as a failed load).
 */
export async function newPage(browser: Browser, errors: string[], o: { height?: number; ignore?: RegExp } = {}): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: o.height ?? 800 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && !o.ignore?.test(m.text()) && errors.push(`${m.text()} ${m.location().url}`));
  return page;
}
