// The dashboard for tests: started in-process on a free loopback port against a real broker (its
// session is the client's own), and a headless Chromium (Debian's) to look at it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { ModuleSession } from '../../src/client/session';
import { type Dashboard, startDashboard } from '../../src/dashboard/dashboard';
import { createLogger } from '../../src/log';
import type { Broker } from './broker';
import { REPO_ROOT } from './module-process';
import { track } from './teardown';

export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
/** Committed, linked from the README: the tests keep them current. */
export const SCREENSHOTS = path.join(REPO_ROOT, 'docs', 'screenshots');

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
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, name), fullPage });
}
