// cancel_reservation, the reservation_end var it publishes, and list_reservations.
import { type Broker, startBroker } from '../support/broker';
import { endOf, isoIn, reservation, startStation } from '../support/harness';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

describe('cancel_reservation', () => {
  it('answers true and publishes exactly one reservation_end Cancelled in a Var envelope', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    expect(await station.reserveNow(1, reservation(41))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(42))).toBe('Accepted');

    expect(await station.cancel(41)).toBe(true);
    const event = await station.ends.next(5000);
    expect(event.topic).toBe(`${station.prefix}modules/reservation/impl/status/var/reservation_end`);
    expect(event.payload).toEqual({ msg_type: 'Var', data: { data: { reservation_id: 41, reason: 'Cancelled' } } });

    // Cancelling it again: false and no second event; reservation 42 is untouched.
    expect(await station.cancel(41)).toBe(false);
    expect(await station.list()).toEqual([expect.objectContaining({ reservation_id: 42, connector_id: 2 })]);
    // A later, different cancellation is the next event: nothing was published in between.
    expect(await station.cancel(42)).toBe(true);
    expect(endOf((await station.ends.next(5000)).payload)).toEqual({ reservation_id: 42, reason: 'Cancelled' });
    await sleep(200);
    expect(station.endEvents()).toEqual([
      { reservation_id: 41, reason: 'Cancelled' },
      { reservation_id: 42, reason: 'Cancelled' },
    ]);
  });

  it('frees the connector of a cancelled reservation', async () => {
    const station = await startStation(broker);
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(1, reservation(2))).toBe('Occupied');
    expect(await station.cancel(1)).toBe(true);
    expect(await station.reserveNow(1, reservation(2))).toBe('Accepted');
  });

  it('answers false and publishes nothing for an unknown reservation id', async () => {
    const station = await startStation(broker);
    expect(await station.reserveNow(1, reservation(5))).toBe('Accepted');
    expect(await station.cancel(6)).toBe(false);
    expect(await station.cancel(-5)).toBe(false);
    // Barrier: the next event published is for reservation 5, so nothing came before it.
    expect(await station.cancel(5)).toBe(true);
    await station.ends.waitForCount(1, 5000);
    await sleep(200);
    expect(station.endEvents()).toEqual([{ reservation_id: 5, reason: 'Cancelled' }]);
  });

  it('cancels a station-wide reservation', async () => {
    const station = await startStation(broker, { configModule: { connectors: 1, reserve_connector_zero_supported: true } });
    expect(await station.reserveNow(0, reservation(9))).toBe('Accepted');
    expect(await station.reserveNow(1, reservation(10))).toBe('Occupied');
    expect(await station.cancel(9)).toBe(true);
    await station.ends.waitForCount(1, 5000);
    expect(station.endEvents()).toEqual([{ reservation_id: 9, reason: 'Cancelled' }]);
    expect(await station.reserveNow(1, reservation(10))).toBe('Accepted');
  });
});

describe('list_reservations', () => {
  it('is empty when nothing is held', async () => {
    const station = await startStation(broker);
    expect(await station.list()).toEqual([]);
  });

  it('lists every held reservation by reservation_id with its fields, parent_id_token only when given', async () => {
    const station = await startStation(broker, { configModule: { connectors: 3, reserve_connector_zero_supported: true } });
    const expiryA = isoIn(3_600_000);
    const expiryB = '2999-12-31T23:59:59Z';
    const expiryC = isoIn(86_400_000);
    expect(await station.reserveNow(3, { reservation_id: 30, id_token: 'Tok-C', expiry_time: expiryC })).toBe('Accepted');
    expect(await station.reserveNow(1, { reservation_id: 10, id_token: 'Tok-A', parent_id_token: 'Par-A', expiry_time: expiryA })).toBe('Accepted');
    expect(await station.reserveNow(0, { reservation_id: 20, id_token: 'Tok-B', expiry_time: expiryB })).toBe('Accepted');

    const listed = await station.list();
    expect(listed).toEqual([
      { reservation_id: 10, connector_id: 1, id_token: 'Tok-A', parent_id_token: 'Par-A', expiry_time: expiryA },
      { reservation_id: 20, connector_id: 0, id_token: 'Tok-B', expiry_time: expiryB },
      { reservation_id: 30, connector_id: 3, id_token: 'Tok-C', expiry_time: expiryC },
    ]);
    expect(Object.keys(listed[1] as object)).not.toContain('parent_id_token');
    expect(Object.keys(listed[2] as object)).not.toContain('parent_id_token');
  });

  it('drops cancelled reservations from the list', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
    expect(await station.cancel(1)).toBe(true);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([2]);
  });
});
