// The fleet view in a real browser: two reservation modules on a charger's mosquitto, bridged with
// the shipped examples/mosquitto-bridge.conf into a central mosquitto, where the dashboard --all reads them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type Broker, startBroker } from '../support/broker';
import { launchBrowser, openPage, screenshot, startTestDashboard } from '../support/dashboard';
import { isoIn, reservation, startStation } from '../support/harness';
import { REPO_ROOT, uniquePrefix } from '../support/module-process';
import { sleep } from '../support/teardown';

const SHOWS_WITHIN_MS = 15_000;
// A browser, brokers and modules per test on a shared 2-core machine: room beyond jest's default 30 s.
jest.setTimeout(120_000);

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

/** The example's bridge lines, pointed at `centralPort` and at this test's prefix instead of everest/. */
function bridgeLines(centralPort: number, prefix: string): string[] {
  const example = readFileSync(path.join(REPO_ROOT, 'examples', 'mosquitto-bridge.conf'), 'utf8');
  const lines = example.split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  expect(lines.filter((line) => line.startsWith('topic '))).toEqual(['topic everest/modules/+/snapshot out 1', 'topic everest/modules/+/status out 1']);
  return lines.map((line) => line.replace(/^address .*/, `address 127.0.0.1:${centralPort}`).replace(/^(topic )everest\//, `$1${prefix}`).replace(/^restart_timeout .*/, 'restart_timeout 1 2'));
}

async function waitForText(page: Page, selector: string, expected: string | RegExp, timeoutMs = SHOWS_WITHIN_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string | null = null;
  for (;;) {
    last = await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null);
    if (last !== null && (typeof expected === 'string' ? last.includes(expected) : expected.test(last))) return;
    if (Date.now() > deadline) throw new Error(`expected ${String(expected)} in ${selector}, last text: ${JSON.stringify(last)}`);
    await sleep(100);
  }
}

describe('fleet view behind a bridged broker', () => {
  it('shows each module of the charger in a section of its own, read-only, and their status; reservations stay local', async () => {
    const central: Broker = await startBroker();
    const prefix = uniquePrefix();
    const charger: Broker = await startBroker(bridgeLines(central.port, prefix));
    const stationA = await startStation(charger, { prefix, moduleId: 'station-a', configModule: { connectors: 2, reserve_connector_zero_supported: true } });
    const stationB = await startStation(charger, { prefix, moduleId: 'station-b', configModule: { connectors: 1 } });
    expect(await stationA.reserveNow(1, reservation(101, { id_token: 'DRIVER-A1', expiry_time: isoIn(20 * 60_000) }))).toBe('Accepted');
    expect(await stationA.reserveNow(0, reservation(102, { id_token: 'DRIVER-A2', expiry_time: isoIn(50 * 60_000) }))).toBe('Accepted');
    expect(await stationB.reserveNow(1, reservation(201, { id_token: 'DRIVER-B1', expiry_time: isoIn(35 * 60_000) }))).toBe('Accepted');

    // The dashboard reads the central broker only.
    const dashboard = await startTestDashboard(central, { prefix, all: true });
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    await page.goto(dashboard.url);
    await page.locator('section.module[data-module="station-b"] tr[data-reservation="201"]').waitFor({ timeout: SHOWS_WITHIN_MS });
    await page.locator('section.module[data-module="station-a"] tr[data-reservation="102"]').waitFor({ timeout: SHOWS_WITHIN_MS });

    expect(await page.locator('section.module h2').allTextContents()).toEqual(['station-a', 'station-b']);
    await waitForText(page, 'section.module[data-module="station-a"] .module-head .pill', 'online');
    await waitForText(page, 'section.module[data-module="station-b"] .module-head .pill', 'online');
    await waitForText(page, '#scope', `fleet · 2 modules under ${prefix}`);
    expect(await page.locator('section.module[data-module="station-a"] .tile').count()).toBe(3);
    // Read-only: no reserve form, no cancel buttons.
    expect(await page.locator('#actions').isHidden()).toBe(true);
    expect(await page.locator('button.cancel').count()).toBe(0);
    expect(await page.request.post(new URL('api/cancel', dashboard.url).toString(), { data: { reservation_id: 201 } }).then((r) => r.status())).toBe(404);

    // A change on the charger crosses the bridge.
    expect(await stationB.reserveNow(1, reservation(202, { id_token: 'DRIVER-B2' }))).toBe('Occupied');
    expect(await stationA.cancel(101)).toBe(true);
    await page.locator('section.module[data-module="station-a"] tr[data-reservation="101"]').waitFor({ state: 'detached', timeout: SHOWS_WITHIN_MS });
    await screenshot(page, 'fleet.png');

    // A module that stops says offline through the bridge too.
    await stationB.module.stop('SIGTERM');
    await waitForText(page, 'section.module[data-module="station-b"] .module-head .pill', 'offline');

    // The WAN goes: the charger's own broker still takes reservations; the fleet view says what it knows.
    await central.stop();
    expect(await stationA.reserveNow(2, reservation(103, { id_token: 'DRIVER-A3' }))).toBe('Accepted');
    await waitForText(page, '#broker', 'Broker lost');
    expect(errors).toEqual([]);
  });
});
