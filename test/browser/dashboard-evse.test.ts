// The dashboard in a real browser (Debian's headless Chromium) against a module serving today's
// EVerest interface (reservation_interface: evse) on a real mosquitto, with EVSE-manager doubles
// that answer get_evse with typed connectors: one tile per EVSE, reserving for an EVSE and a
// connector type or for any EVSE, faults, and a fleet of modules of both interfaces.
import type { Browser, Locator, Page } from 'playwright-core';
import { type Broker, startBroker } from '../support/broker';
import { type DashboardUnderTest, launchBrowser, openPage, screenshot, startTestDashboard } from '../support/dashboard';
import { type EvseCharger, evseReservation, startEvseCharger, startEvseStation } from '../support/evse-station';
import { expectText as expectTextWithin } from '../support/expect-text';
import { isoIn, reservation, startStation } from '../support/harness';
import { uniquePrefix } from '../support/module-process';
import { card, startTokenCharger } from '../support/token-path';
import { redact } from '../../src/token-path/redact';

/** Generous: the machine is shared; what is timed is that it shows up without a reload. */
const SHOWS_WITHIN_MS = 15_000;
// A browser, a broker and a module with two EVSE managers per test on a shared 2-core machine.
jest.setTimeout(120_000);

const expectText = (locator: Locator, expected: string | RegExp): Promise<void> => expectTextWithin(locator, expected, SHOWS_WITHIN_MS);

let broker: Broker;
let browser: Browser;

beforeAll(async () => {
  broker = await startBroker();
  browser = await launchBrowser();
});

interface Scene {
  charger: EvseCharger;
  dashboard: DashboardUnderTest;
  page: Page;
  errors: string[];
}

/** EVSE 1 with a CCS2 and a Type2 connector, EVSE 2 with one CCS2 connector, and the dashboard open on them. */
async function scene(viewport?: { width: number; height: number }): Promise<Scene> {
  const charger = await startEvseCharger(broker, [
    { id: 1, connectors: [{ id: 1, type: 'cCCS2' }, { id: 2, type: 'cType2' }] },
    { id: 2, connectors: [{ id: 1, type: 'cCCS2' }] },
  ]);
  const dashboard = await startTestDashboard(broker, { prefix: charger.station.prefix });
  const { page, errors } = await openPage(browser, viewport);
  await page.goto(dashboard.url);
  // The snapshot after get_evse's answers: the types are drawn.
  await expectText(evseTile(page, 1).locator('li[data-connector="2"] .type'), 'cType2');
  return { charger, dashboard, page, errors };
}

const evseTile = (page: Page, evseId: number | 'any') => page.locator(`.tile[data-evse="${evseId}"]`);
const row = (page: Page, id: number) => page.locator(`tr[data-reservation="${id}"]`);
const answer = (page: Page) => page.locator('#answer');

/** Each connector of an EVSE's tile as "id type state". */
async function connectorLines(tile: Locator): Promise<string[]> {
  const items = tile.locator('.connectors li');
  const lines: string[] = [];
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    lines.push([await item.locator('.id').textContent(), await item.locator('.type').textContent(), await item.locator('.state').textContent()].join(' '));
  }
  return lines;
}

async function fillReserve(page: Page, fields: { evse: string; type: string; id: number; token: string; expires?: string }): Promise<void> {
  await page.selectOption('#reserve-form select[name="evse_id"]', fields.evse);
  await page.selectOption('#reserve-form select[name="connector_type"]', fields.type);
  await page.fill('#reserve-form input[name="reservation_id"]', String(fields.id));
  await page.fill('#reserve-form input[name="id_token"]', fields.token);
  await page.fill('#reserve-form input[name="expires"]', fields.expires ?? '15m');
  await page.click('#reserve-form button[type="submit"]');
}

describe('dashboard of a module in the evse interface', () => {
  it('shows one tile per EVSE with its connectors, their types and states, and who holds it', async () => {
    const { charger, page, errors } = await scene();
    await expectText(page.locator('.module-head .pill'), 'online');
    expect(await connectorLines(evseTile(page, 1))).toEqual(['1 cCCS2 Available', '2 cType2 Available']);
    expect(await connectorLines(evseTile(page, 2))).toEqual(['1 cCCS2 Available']);
    expect(await page.locator('#reserve-form select[name="connector_id"]').isVisible()).toBe(false);

    expect(await charger.reserve(evseReservation(7, { evse_id: 2, connector_type: 'cCCS2', id_token: 'ALICE-0007', expiry_time: isoIn(30 * 60_000) }))).toBe('Accepted');
    await expectText(evseTile(page, 2).locator('.reservation'), /Reserved #7\s*cCCS2 connector\s*ALICE-0007\s*ends in (29|30):\d\d/);
    await expectText(row(page, 7).locator('td.evse'), '2');
    await expectText(row(page, 7).locator('td.type'), 'cCCS2');

    // A station-wide Type2 reservation: only EVSE 1 has Type2, so it is held for it (reserve(-1)).
    expect(await charger.reserve(evseReservation(8, { connector_type: 'cType2', id_token: 'FLEET-0042', parent_id_token: 'ACME-FLEET', expiry_time: isoIn(45 * 60_000) }))).toBe('Accepted');
    await expectText(evseTile(page, 'any').locator('.reservation'), /Reserved #8\s*cType2 connector\s*FLEET-0042/);
    await expectText(evseTile(page, 1).locator('.reservation'), 'Held for station-wide reservations');
    expect(await evseTile(page, 1).getAttribute('data-held')).toBe('true');
    expect(charger.evse[0]?.callLog()).toEqual(['reserve({"reservation_id":-1})']);
    await expectText(row(page, 8).locator('td.evse'), 'any');
    await expectText(page.locator('.events'), 'Reservation #8 made: any EVSE (cType2) for FLEET-0042 (parent ACME-FLEET)');
    await expectText(page.locator('.events'), 'EVSE 1 is now Available; held for station-wide reservations');
    await page.locator('#reserve-form input[name="id_token"]').blur();
    await screenshot(page, 'dashboard-evse.png');
    expect(errors).toEqual([]);
  });

  it('reserves from the form for an EVSE and a connector type, and for any EVSE; the types offered are the chosen EVSE\'s', async () => {
    const { charger, dashboard, page } = await scene();
    // (Code run in the page is given as text: this project's TypeScript has no DOM types.)
    const typeChoices = (): Promise<unknown> => page.evaluate(`[...document.querySelectorAll('#reserve-form select[name="connector_type"] option')].map((o) => o.value)`);
    expect(await typeChoices()).toEqual(['', 'cCCS2', 'cType2']);
    await page.selectOption('#reserve-form select[name="evse_id"]', '2');
    expect(await typeChoices()).toEqual(['', 'cCCS2']);

    await fillReserve(page, { evse: '1', type: 'cType2', id: 21, token: 'FORM-21' });
    await expectText(answer(page), 'Reserve #21: Accepted');
    await row(page, 21).waitFor({ timeout: SHOWS_WITHIN_MS });
    await fillReserve(page, { evse: '', type: '', id: 22, token: 'FORM-22', expires: '1h' });
    await expectText(answer(page), 'Reserve #22: Accepted');
    await expectText(evseTile(page, 'any').locator('.reservation'), /Reserved #22\s*FORM-22/);
    expect(await charger.station.list()).toEqual([
      { reservation_id: 21, evse_id: 1, connector_type: 'cType2', id_token: 'FORM-21', expiry_time: expect.any(String) },
      { reservation_id: 22, id_token: 'FORM-22', expiry_time: expect.any(String) },
    ]);
    // A connector (the other interface's word) is refused by the dashboard itself, and nothing is sent.
    const wrong = await page.request.post(new URL('api/reserve', dashboard.url).toString(), { data: { connector_id: 1, reservation_id: 24, id_token: 'T', expires: '1h' } });
    expect(wrong.status()).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { type: 'WrongInterface', message: expect.stringContaining('evse interface') } });
    // Both EVSEs are spoken for now: one more for any EVSE is the module's Occupied, shown as its answer.
    await fillReserve(page, { evse: '', type: 'cCCS2', id: 23, token: 'FORM-23' });
    await expectText(answer(page), 'Reserve #23: Occupied');
    expect(await answer(page).getAttribute('data-kind')).toBe('refused');
  });

  it('turns an EVSE tile Faulted, its connectors too, when its EVSE manager raises Inoperative; the reservation there ends Removed (7-inch HMI size)', async () => {
    const { charger, page, errors } = await scene({ width: 800, height: 480 });
    expect(await charger.reserve(evseReservation(41, { evse_id: 2, id_token: 'HMI-0041' }))).toBe('Accepted');
    await row(page, 41).waitFor({ timeout: SHOWS_WITHIN_MS });
    await charger.evse[1]?.raiseInoperative();
    await expectText(evseTile(page, 2).locator('.state').first(), 'Faulted');
    expect(await evseTile(page, 2).getAttribute('data-state')).toBe('Faulted');
    expect(await connectorLines(evseTile(page, 2))).toEqual(['1 cCCS2 Faulted']);
    await row(page, 41).waitFor({ state: 'detached', timeout: SHOWS_WITHIN_MS });
    await expectText(page.locator('.events'), 'Reservation #41 ended: Removed');
    await expectText(page.locator('.events'), 'EVSE 2 is now Faulted');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(800);

    await charger.evse[1]?.clearInoperative();
    await expectText(evseTile(page, 2).locator('.state').first(), 'Available');
    expect(errors).toEqual([]);
  });
});

describe('a module in the token path', () => {
  it('logs each narrowed or refused token as an event and shows the token counts', async () => {
    const charger = await startTokenCharger(broker, [
      { id: 1, connectors: [{ id: 1, type: 'cCCS2' }] },
      { id: 2, connectors: [{ id: 1, type: 'cCCS2' }] },
    ]);
    const dashboard = await startTestDashboard(broker, { prefix: charger.station.prefix });
    const { page, errors } = await openPage(browser);
    await page.goto(dashboard.url);
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'ALICE-0007' }))).toBe('Accepted');
    await row(page, 7).waitFor({ timeout: SHOWS_WITHIN_MS });
    await charger.reader.present(card('STRANGER-CARD'));
    await charger.reader.present(card('STRANGER-CARD', { connectors: [2] }));
    const events = page.locator('.events');
    await expectText(events, `Token narrowed: token ${redact('STRANGER-CARD')} (RFID) from rfid_reader narrowed to EVSE 1 (EVSE 2 reserved for another driver)`);
    await expectText(events, `Token refused: token ${redact('STRANGER-CARD')} (RFID) from rfid_reader refused, no EVSE left (EVSE 2 reserved for another driver)`);
    expect(await events.locator('li[data-kind="token"]').count()).toBe(2);
    await page.locator('details.diagnostics summary').click();
    await expectText(page.locator('details.diagnostics'), /Tokens narrowed\s*1\s*Tokens refused\s*1/);
    expect(await page.locator('.events').textContent()).not.toContain('STRANGER-CARD');
    expect(errors).toEqual([]);
  });
});

describe('fleet view of modules of both interfaces', () => {
  it('draws connector tiles for the one and EVSE tiles with types for the other, side by side', async () => {
    const prefix = uniquePrefix();
    const old = await startStation(broker, { prefix, moduleId: 'charger-a', configModule: { connectors: 2 } });
    const today = await startEvseStation(broker, { prefix, moduleId: 'charger-b', configModule: { evse_connector_types: 'cCCS2,cType2;cCCS2' } });
    expect(await old.reserveNow(2, reservation(101, { id_token: 'OLD-101' }))).toBe('Accepted');
    expect(await today.reserve(evseReservation(201, { evse_id: 1, connector_type: 'cType2', id_token: 'NEW-201' }))).toBe('Accepted');

    const dashboard = await startTestDashboard(broker, { prefix, all: true });
    const { page, errors } = await openPage(browser, { width: 1280, height: 900 });
    await page.goto(dashboard.url);
    const a = page.locator('section.module[data-module="charger-a"]');
    const b = page.locator('section.module[data-module="charger-b"]');
    await expectText(a.locator('.tile[data-connector="2"] .reservation'), /Reserved #101\s*OLD-101/);
    await expectText(b.locator('.tile[data-evse="1"] .reservation'), /Reserved #201\s*cType2 connector\s*NEW-201/);
    expect(await a.locator('.tile[data-evse]').count()).toBe(0);
    expect(await connectorLines(b.locator('.tile[data-evse="1"]'))).toEqual(['1 cCCS2 Available', '2 cType2 Available']);
    expect(await a.locator('th button').allTextContents()).toEqual(['Id', 'Connector', 'Token', 'Parent token', 'Expires']);
    expect(await b.locator('th button').allTextContents()).toEqual(['Id', 'EVSE', 'Type', 'Token', 'Parent token', 'Expires']);
    expect(await page.locator('#actions').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  });
});
