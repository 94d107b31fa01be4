// The dashboard for tests: started in-process on a free loopback port against a real broker (its
// session is the client's own), and a headless Chromium (Debian's) to look at it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ModuleSession } from '../../src/client/session';
import { type Dashboard, startDashboard } from '../../src/dashboard/dashboard';
import { createLogger } from '../../src/log';
import type { Broker } from './broker';
import { REPO_ROOT } from './module-process';
import { track } from './teardown';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
let screenshots: string | undefined;

/**
 * Where screenshot() saves: SCREENSHOTS_DIR (relative to the checkout) when set, as
 * `npm run screenshots` sets it to refresh the README's docs/screenshots/; otherwise a temporary
 * directory removed after the file, so a test run leaves the checkout as it found it.
 */
function screenshotsDir(): string {
  if (screenshots !== undefined) return screenshots;
  const wanted = process.env.SCREENSHOTS_DIR;
  if (wanted !== undefined && wanted !== '') {
    screenshots = path.resolve(REPO_ROOT, wanted);
    mkdirSync(screenshots, { recursive: true });
    return screenshots;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-screenshots-'));
  track('screenshots', () => {
    rmSync(dir, { recursive: true, force: true });
    screenshots = undefined;
  }, 'file');
  return (screenshots = dir);
}

export interface DashboardUnderTest extends Dashboard {
  session: ModuleSession;
}

export async function startTestDashboard(
  broker: Broker,
  options: { prefix: string; moduleId?: string; all?: boolean; token?: string; timeoutMs?: number },
): Promise<DashboardUnderTest> {
  const log = createLogger(process.env.DASHBOARD_TEST_LOG ?? 'silent');
  const session = await ModuleSession.open(
    { mqtt: { url: broker.url, urlGiven: true }, prefix: options.prefix, moduleId: options.moduleId ?? 'reservation', timeoutMs: options.timeoutMs ?? 10_000, caller: 'test-dashboard' },
    log,
  );
  let dashboard: Dashboard;
  try {
    dashboard = await startDashboard({
      session,
      listen: { host: '127.0.0.1', port: 0 },
      guard: { loopback: true, ...(options.token !== undefined ? { token: options.token } : {}) },
      all: options.all ?? false,
      now: () => Date.now(),
      log,
    });
  } catch (err) {
    await session.close();
    throw err;
  }
  track(`dashboard ${dashboard.url}`, async () => {
    await dashboard.close();
    await session.close();
  });
  return { ...dashboard, session };
}

/** One Chromium per test file (started from beforeAll), closed after the file. */
export async function launchBrowser(): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  track('chromium', () => browser.close());
  return browser;
}

export interface WatchedPage {
  page: Page;
  /** Messages of alert/confirm/prompt dialogs the page opened (there should be none). */
  dialogs: string[];
  /** Uncaught errors in the page's script. */
  errors: string[];
}

/** A fresh page (own cookies) at `viewport`, dialogs and script errors recorded; closed after the test. */
export async function openPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport });
  track('browser context', () => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, dialogs, errors };
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<void> {
  await page.screenshot({ path: path.join(screenshotsDir(), name), fullPage });
}
