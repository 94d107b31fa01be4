// Reservations end when the station changes: UsedToStartCharging by token, parent token or
// reservation_id; Cancelled on fault, on disable, and for station-wide reservations that no
// longer fit. Each end is published exactly once, also when two causes race.
import { type Broker, startBroker } from '../support/broker';
import { startCharger } from '../support/evse-double';
import { isoIn, reservation } from '../support/harness';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** Long enough for a stray second event to arrive after the first. */
const SETTLE_MS = 1500;

describe('UsedToStartCharging', () => {
  it('ends a reservation when a transaction starts on its connector with its token, in any letter case', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(1, { id_token: 'AbC123' }))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(2, { id_token: 'OTHER' }))).toBe('Accepted');
    await evse[0].transactionStarted({ token: 'abc123' });
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'UsedToStartCharging' }]);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([2]);
  });

  it('ends it by parent token', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(2, reservation(7, { id_token: 'CARD-1', parent_id_token: 'FLEET-9' }))).toBe('Accepted');
    await evse[1].transactionStarted({ token: 'CARD-2', parentToken: 'fleet-9' });
    await station.ends.waitForCount(1, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 7, reason: 'UsedToStartCharging' }]);
  });

  it('ends it by reservation_id whatever the token', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(9, { id_token: 'CARD-1' }))).toBe('Accepted');
    await evse[0].transactionStarted({ token: 'SOMEONE-ELSE', reservationId: 9 });
    await station.ends.waitForCount(1, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 9, reason: 'UsedToStartCharging' }]);
  });

  it('does not end a specific reservation for a transaction with its token on another connector', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(1, { id_token: 'CARD-1' }))).toBe('Accepted');
    await evse[1].transactionStarted({ token: 'CARD-1' });
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([]);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([1]);
  });

  it('ends a station-wide reservation for its token on any connector', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(0, reservation(3, { id_token: 'CARD-3' }))).toBe('Accepted');
    await evse[1].sessionStarted();
    await evse[1].transactionStarted({ token: 'card-3' });
    await station.ends.waitForCount(1, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 3, reason: 'UsedToStartCharging' }]);
  });
});

describe('Cancelled by the station', () => {
  it('ends a reservation whose connector becomes faulted', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
    await evse[0].raiseInoperative();
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'Cancelled' }]);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([2]);
  });

  it('ends a reservation whose connector becomes disabled', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
    await evse[1].disabled();
    await station.ends.waitForCount(1, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 2, reason: 'Cancelled' }]);
    expect(await station.list()).toEqual([]);
  });

  it('ends the newest station-wide reservation when a connector faults and they no longer fit', async () => {
    const { station, evse } = await startCharger(broker);
    // Accepted in this order: 20 is the newest although its id is lower.
    expect(await station.reserveNow(0, reservation(30))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(20))).toBe('Accepted');
    await evse[0].raiseInoperative();
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([{ reservation_id: 20, reason: 'Cancelled' }]);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([30]);
  });

  it('ends nothing when a car merely plugs in, but the newest station-wide one when a stranger starts charging', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(0, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(2))).toBe('Accepted');
    await evse[0].sessionStarted();
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([]);
    expect(await station.list()).toHaveLength(2);
    await evse[0].transactionStarted({ token: 'STRANGER' });
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([{ reservation_id: 2, reason: 'Cancelled' }]);
  });
});

describe('two causes at once', () => {
  it('publishes one end when expiry and a transaction start race', async () => {
    const { station, evse } = await startCharger(broker);
    const expiresAt = Date.now() + 1200;
    expect(await station.reserveNow(1, reservation(1, { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    await sleep(Math.max(0, expiresAt - Date.now()));
    await evse[0].transactionStarted({ token: 'TOKEN-1' });
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS + 1000);
    const ends = station.endEvents();
    expect(ends).toHaveLength(1);
    expect(ends[0]?.reservation_id).toBe(1);
    expect(['Expired', 'UsedToStartCharging']).toContain(ends[0]?.reason);
  });

  it('publishes one Cancelled when a cancel and a fault race', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(1, { expiry_time: isoIn(60_000) }))).toBe('Accepted');
    await Promise.all([station.cancel(1), evse[0].raiseInoperative()]);
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'Cancelled' }]);
    // Whichever came first, a second cancel finds nothing.
    expect(await station.cancel(1)).toBe(false);
  });

  it('publishes one end when a transaction with the token follows a fault on the same connector', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(2, reservation(5))).toBe('Accepted');
    await Promise.all([evse[1].raiseInoperative(), evse[1].transactionStarted({ token: 'TOKEN-5' })]);
    await station.ends.waitForCount(1, 10_000);
    await sleep(SETTLE_MS);
    expect(station.endEvents()).toHaveLength(1);
    expect(await station.list()).toEqual([]);
  });
});
