// Reservations that reach their expiry_time end with reservation_end Expired, exactly once.
import { type Broker, startBroker } from '../support/broker';
import { endOf, reservation, startStation } from '../support/harness';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** Generous: the spec allows a second of lateness, and CI machines are slow. */
const LATENESS_ALLOWED_MS = 5000;

describe('expiry', () => {
  it('ends a reservation with exactly one Expired, not before its expiry_time, and drops it from the list', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const expiresAt = Date.now() + 1500;
    const expiring = reservation(11, { expiry_time: new Date(expiresAt).toISOString() });
    expect(await station.reserveNow(1, expiring)).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(12))).toBe('Accepted');
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([11, 12]);

    const event = await station.ends.next(1500 + LATENESS_ALLOWED_MS);
    expect(event.payload).toEqual({ msg_type: 'Var', data: { data: { reservation_id: 11, reason: 'Expired' } } });
    expect(event.receivedAt).toBeGreaterThanOrEqual(expiresAt);

    expect((await station.list()).map((r) => r.reservation_id)).toEqual([12]);
    // Its connector is free again.
    expect(await station.reserveNow(1, reservation(13))).toBe('Accepted');
    // No second Expired for it, however the timer wakes after it.
    await sleep(1500);
    expect(station.endEvents()).toEqual([{ reservation_id: 11, reason: 'Expired' }]);
  });

  it('ends two reservations in the order of their expiry times', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const laterAt = Date.now() + 2800;
    const soonerAt = Date.now() + 1500;
    // The later one is reserved first: the order must come from expiry_time, not from arrival.
    expect(await station.reserveNow(1, reservation(21, { expiry_time: new Date(laterAt).toISOString() }))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(22, { expiry_time: new Date(soonerAt).toISOString() }))).toBe('Accepted');

    const first = await station.ends.next(1500 + LATENESS_ALLOWED_MS);
    expect(endOf(first.payload)).toEqual({ reservation_id: 22, reason: 'Expired' });
    expect(first.receivedAt).toBeGreaterThanOrEqual(soonerAt);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([21]);

    const second = await station.ends.next(2800 + LATENESS_ALLOWED_MS);
    expect(endOf(second.payload)).toEqual({ reservation_id: 21, reason: 'Expired' });
    expect(second.receivedAt).toBeGreaterThanOrEqual(laterAt);
    expect(await station.list()).toEqual([]);
    expect(station.endEvents()).toHaveLength(2);
  });

  it('publishes no Expired for a reservation cancelled before its expiry_time', async () => {
    const station = await startStation(broker);
    const expiresAt = Date.now() + 1500;
    expect(await station.reserveNow(1, reservation(31, { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    expect(await station.cancel(31)).toBe(true);
    await station.ends.waitForCount(1, 5000);
    // Well past the expiry_time plus the second of lateness the spec allows.
    await sleep(Math.max(0, expiresAt - Date.now()) + 2000);
    expect(station.endEvents()).toEqual([{ reservation_id: 31, reason: 'Cancelled' }]);
  });

  it('expires a replaced reservation at its new expiry_time, not the old one', async () => {
    const station = await startStation(broker);
    const oldAt = Date.now() + 1500;
    const newAt = Date.now() + 3000;
    expect(await station.reserveNow(1, reservation(41, { expiry_time: new Date(oldAt).toISOString() }))).toBe('Accepted');
    expect(await station.reserveNow(1, reservation(41, { expiry_time: new Date(newAt).toISOString() }))).toBe('Accepted');
    const event = await station.ends.next(3000 + LATENESS_ALLOWED_MS);
    expect(endOf(event.payload)).toEqual({ reservation_id: 41, reason: 'Expired' });
    expect(event.receivedAt).toBeGreaterThanOrEqual(newAt);
    await sleep(500);
    expect(station.endEvents()).toHaveLength(1);
  });
});
