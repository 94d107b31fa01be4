// The dashboard in a real browser (Debian's headless Chromium) against the module on a real
// mosquitto with two simulated EVSE managers: what an operator sees and does. Takes the README's
// screenshots (saved in docs/screenshots/ by `npm run screenshots` only).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { type Broker, startBroker } from '../support/broker';
import { type DashboardUnderTest, launchBrowser, openPage, screenshot, startTestDashboard } from '../support/dashboard';
import { type Charger, startCharger } from '../support/evse-double';
import { expectText } from '../support/expect-text';
import { endOf, isoIn, reservation } from '../support/harness';
import { sleep, track } from '../support/teardown';

/** Generous: the machine is shared; what is timed is that it shows up without a reload. */
const SHOWS_WITHIN_MS = 10_000;
// A browser, brokers and modules per test on a shared 2-core machine: room beyond jest's default 30 s.
jest.setTimeout(120_000);

let broker: Broker;
let browser: Browser;

beforeAll(async () => {
  broker = await startBroker();
  browser = await launchBrowser();
});

interface Scene {
  charger: Charger;
  dashboard: DashboardUnderTest;
  page: Page;
  dialogs: string[];
  errors: string[];
}

async function scene(viewport?: { width: number; height: number }): Promise<Scene> {
  const charger = await startCharger(broker);
  const dashboard = await startTestDashboard(broker, { prefix: charger.station.prefix });
  const { page, dialogs, errors } = await openPage(browser, viewport);
  await page.goto(dashboard.url);
  // The module's retained snapshot has arrived: both connectors are drawn.
  await page.locator('.tile[data-connector="2"]').waitFor({ timeout: SHOWS_WITHIN_MS });
  return { charger, dashboard, page, dialogs, errors };
}

const row = (page: Page, id: number) => page.locator(`tr[data-reservation="${id}"]`);
const tile = (page: Page, connector: number) => page.locator(`.tile[data-connector="${connector}"]`);
const answer = (page: Page) => page.locator('#answer');

async function fillReserve(page: Page, fields: { connector: number; id: number; token: string; expires: string; parent?: string }): Promise<void> {
  await page.selectOption('#reserve-form select[name="connector_id"]', String(fields.connector));
  await page.fill('#reserve-form input[name="reservation_id"]', String(fields.id));
  await page.fill('#reserve-form input[name="id_token"]', fields.token);
  await page.fill('#reserve-form input[name="parent_id_token"]', fields.parent ?? '');
  await page.fill('#reserve-form input[name="expires"]', fields.expires);
  await page.click('#reserve-form button[type="submit"]');
}

/** Seconds left in a countdown such as 0:07 or 1:02:03. */
function secondsIn(text: string): number {
  return text.split(':').reduce((total, part) => total * 60 + Number(part), 0);
}

describe('dashboard in a browser', () => {
  it('shows the module online with its connectors, and a reservation made by another client without a reload', async () => {
    const { charger, page, errors } = await scene();
    await expectText(page.locator('.module-head .pill'), 'online');
    await expectText(tile(page, 1).locator('.state').first(), 'Available');
    await expectText(page.locator('#broker'), 'Broker connected');

    const made = Date.now();
    expect(await charger.station.reserveNow(1, reservation(7, { id_token: 'ABC12345', expiry_time: isoIn(15 * 60_000) }))).toBe('Accepted');
    await row(page, 7).waitFor({ timeout: SHOWS_WITHIN_MS });
    const shownAfterMs = Date.now() - made;
    await expectText(row(page, 7).locator('td.token').first(), 'ABC12345');
    await expectText(tile(page, 1).locator('.reservation'), /Reserved #7\s*ABC12345\s*ends in 1[45]:\d\d/);
    await expectText(page.locator('.events li').first(), /Reservation #7 made: connector 1 for ABC12345/);
    // Informational: the push path (snapshot at once, SSE) is well under a second on an idle machine.
    expect(shownAfterMs).toBeLessThan(SHOWS_WITHIN_MS);

    // The README's picture: a station-wide reservation, a car on connector 2, an answer beside the form.
    expect(await charger.station.reserveNow(0, reservation(8, { id_token: 'FLEET-0042', parent_id_token: 'ACME-FLEET', expiry_time: isoIn(45 * 60_000) }))).toBe('Accepted');
    await charger.evse[1].sessionStarted();
    await expectText(tile(page, 2).locator('.state').first(), 'Occupied');
    await fillReserve(page, { connector: 2, id: 9, token: 'LATE-CAR', expires: '30m' });
    await expectText(answer(page), 'Reserve #9: Occupied');
    await page.fill('#reserve-form input[name="reservation_id"]', '');
    await page.fill('#reserve-form input[name="id_token"]', '');
    await row(page, 8).waitFor();
    await page.locator('#reserve-form input[name="id_token"]').blur();
    await screenshot(page, 'dashboard.png');
    expect(errors).toEqual([]);
  });

  it('reserves from the form: the module answers Accepted, shown beside the form, and the reservation appears', async () => {
    const { charger, page } = await scene();
    await fillReserve(page, { connector: 2, id: 21, token: 'FORM-TOKEN', parent: 'GROUP-1', expires: '15m' });
    await expectText(answer(page), 'Reserve #21: Accepted');
    await row(page, 21).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expectText(row(page, 21).locator('td.parent'), 'GROUP-1');

    const [held] = await charger.station.list();
    expect(held).toMatchObject({ reservation_id: 21, connector_id: 2, id_token: 'FORM-TOKEN', parent_id_token: 'GROUP-1' });
    const expiresInMs = Date.parse(held?.expiry_time as string) - Date.now();
    expect(expiresInMs).toBeGreaterThan(13 * 60_000);
    expect(expiresInMs).toBeLessThanOrEqual(15 * 60_000);

    // The table is sorted by expiry, soonest first; a click on the heading reverses it.
    expect(await charger.station.reserveNow(1, reservation(20, { expiry_time: isoIn(40 * 60_000) }))).toBe('Accepted');
    await row(page, 20).waitFor();
    const order = (): Promise<unknown> => page.evaluate("[...document.querySelectorAll('table.reservations tbody tr')].map((r) => r.dataset.reservation)");
    expect(await order()).toEqual(['21', '20']);
    await page.click('th button[data-sort="expiry"]');
    expect(await order()).toEqual(['20', '21']);
    expect(await page.getAttribute('th:has(button[data-sort="expiry"])', 'aria-sort')).toBe('descending');

    // The snapshot's diagnostics, folded away.
    await page.click('details.diagnostics summary');
    await expectText(page.locator('details.diagnostics dl'), /Commands in flight\s*\d+[\s\S]*Resident memory\s*[\d.]+ MB/);
  });

  it("shows the module's refusals and errors as its answer: Occupied, a schema error, an expiry it cannot read", async () => {
    const { charger, page } = await scene();
    await charger.evse[0].sessionStarted();
    await expectText(tile(page, 1).locator('.state').first(), 'Occupied');
    await fillReserve(page, { connector: 1, id: 22, token: 'TOKEN-22', expires: '15m' });
    await expectText(answer(page), 'Reserve #22: Occupied');
    expect(await page.locator('#answer').getAttribute('data-kind')).toBe('refused');

    await fillReserve(page, { connector: 2, id: 23, token: 'T'.repeat(256), expires: '15m' });
    await expectText(answer(page), /Reserve #23: SchemaValidationError: .*id_token/);

    await fillReserve(page, { connector: 2, id: 24, token: 'TOKEN-24', expires: 'tomorrow' });
    await expectText(answer(page), /Reserve #24: BadExpiry: expiry "tomorrow" is neither a duration/);
    expect(await charger.station.list()).toEqual([]);
  });

  it('cancels from the page (two taps): the module publishes reservation_end Cancelled and the row goes', async () => {
    const { charger, page } = await scene();
    expect(await charger.station.reserveNow(1, reservation(31))).toBe('Accepted');
    const cancel = row(page, 31).locator('button.cancel');
    await cancel.click();
    await expectText(cancel, 'Confirm');
    expect(charger.station.endEvents()).toEqual([]);
    await cancel.click();

    const end = await charger.station.ends.waitFor((payload) => endOf(payload).reservation_id === 31, SHOWS_WITHIN_MS);
    expect(endOf(end.payload)).toEqual({ reservation_id: 31, reason: 'Cancelled' });
    await expectText(answer(page), 'Cancel #31: cancelled');
    await row(page, 31).waitFor({ state: 'detached', timeout: SHOWS_WITHIN_MS });
    await expectText(page.locator('.events li').first(), 'Reservation #31 ended: Cancelled');
  });

  it('turns a tile to Faulted when its EVSE manager raises Inoperative, in colour and in words (7-inch HMI size)', async () => {
    const { charger, page } = await scene({ width: 800, height: 480 });
    expect(await charger.station.reserveNow(1, reservation(41, { id_token: 'HMI-0041' }))).toBe('Accepted');
    await row(page, 41).waitFor();
    await charger.evse[1].raiseInoperative();
    await expectText(tile(page, 2).locator('.state').first(), 'Faulted');
    expect(await tile(page, 2).getAttribute('data-state')).toBe('Faulted');
    // (Code run in the page is given as text: this project's TypeScript has no DOM types.)
    const borderColour = (connector: number): Promise<unknown> => page.evaluate(`getComputedStyle(document.querySelector('.tile[data-connector="${connector}"]')).borderLeftColor`);
    const [faultedColour, availableColour] = await Promise.all([borderColour(2), borderColour(1)]);
    expect(faultedColour).toMatch(/^rgb/);
    expect(faultedColour).not.toBe(availableColour);
    await expectText(page.locator('.events li').first(), 'Connector 2 is now Faulted');
    // Nothing is cut off sideways on the HMI.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(800);
    await screenshot(page, 'dashboard-hmi.png');

    await charger.evse[1].clearInoperative();
    await expectText(tile(page, 2).locator('.state').first(), 'Available');
  });

  it('counts an expiry down and ends it: the row goes and the log says Expired', async () => {
    const { page } = await scene();
    await fillReserve(page, { connector: 1, id: 51, token: 'SHORT', expires: '6s' });
    await expectText(answer(page), 'Reserve #51: Accepted');
    const countdown = row(page, 51).locator('.countdown');
    const first = secondsIn((await countdown.textContent()) ?? '');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(6);
    // It ticks down in the page, between snapshots.
    const deadline = Date.now() + SHOWS_WITHIN_MS;
    let later = first;
    while (later >= first && Date.now() < deadline) {
      await sleep(250);
      const text = (await countdown.textContent()) ?? '';
      if (/^\d+:\d\d$/.test(text)) later = secondsIn(text);
    }
    expect(later).toBeLessThan(first);
    await row(page, 51).waitFor({ state: 'detached', timeout: 20_000 });
    await expectText(page.locator('.events li').first(), 'Reservation #51 ended: Expired');
    await expectText(tile(page, 1).locator('.detail'), 'Not reserved');
  });

  it('shows an id_token of <img src=x onerror=alert(1)> as text: no element made, no script run', async () => {
    const { charger, page, dialogs, errors } = await scene();
    const hostile = '<img src=x onerror=alert(1)>';
    expect(await charger.station.reserveNow(1, reservation(61, { id_token: hostile, parent_id_token: '<script>alert(2)</script>' }))).toBe('Accepted');
    await row(page, 61).waitFor({ timeout: SHOWS_WITHIN_MS });
    expect(await row(page, 61).locator('td.token').first().textContent()).toBe(hostile);
    expect(await row(page, 61).locator('td.parent').textContent()).toBe('<script>alert(2)</script>');
    expect(await tile(page, 1).locator('.token').textContent()).toBe(hostile);
    await expectText(page.locator('.events li').first(), hostile);
    await sleep(500);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('refuses a cross-site POST (a form on another site posting to the dashboard) with 403, and nothing is reserved', async () => {
    const { charger, dashboard, page } = await scene();
    // The attacker's page, on another origin: a text/plain form that smuggles JSON, the classic CSRF.
    const target = new URL('api/reserve', dashboard.url).toString();
    const attacker = http.createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<form id="f" method="POST" action="${target}" enctype="text/plain">
        <input name='{"connector_id":1,"reservation_id":666,"id_token":"EVIL","expires":"1h","x":"' value='"}'></form>
        <script>document.getElementById('f').submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    track('attacker page', () => new Promise<void>((resolve) => attacker.close(() => resolve())));
    const attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;

    const refused = page.waitForResponse((response) => response.url() === target);
    await page.goto(attackerUrl);
    const response = await refused;
    expect(response.status()).toBe(403);
    expect(await response.text()).toMatch(/cross-site request refused/);

    // And a script there cannot post JSON either (no-cors fetch: sent, refused, answer unreadable).
    await page.evaluate(
      (url) => fetch(url, { method: 'POST', mode: 'no-cors', body: '{"connector_id":1,"reservation_id":667,"id_token":"EVIL","expires":"1h"}' }).catch(() => undefined),
      target,
    );
    await sleep(300);
    expect(await charger.station.list()).toEqual([]);
  });

  it('says so when the broker goes away, and recovers when it is back', async () => {
    const { charger, page } = await scene();
    expect(await charger.station.reserveNow(1, reservation(71, { id_token: 'KEPT-71' }))).toBe('Accepted');
    await row(page, 71).waitFor();

    await broker.stop();
    await expectText(page.locator('#banner'), /broker connection is lost/);
    await expectText(page.locator('#broker'), 'Broker lost');
    // The last state stays readable, marked as such.
    await expectText(row(page, 71).locator('td.token').first(), 'KEPT-71');
    expect(await page.locator('.module').getAttribute('data-stale')).toBe('true');
    await screenshot(page, 'dashboard-broker-lost.png');

    await broker.restart();
    await expectText(page.locator('#broker'), 'Broker connected', 30_000);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    // Live again: a reservation made now shows (every client reconnects with back-off, so wait for the module's answer).
    await waitUntilAccepted(() => charger.station.reserveNow(2, reservation(72, { id_token: 'AFTER-72' }), { timeoutMs: 3000 }));
    await row(page, 72).waitFor({ timeout: SHOWS_WITHIN_MS });
    await expectText(page.locator('.module-head .pill'), 'online');
  });
});

async function waitUntilAccepted(attempt: () => Promise<string>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await attempt()) === 'Accepted') return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline) throw new Error('the module did not accept a reservation after the broker came back');
    await sleep(500);
  }
}
