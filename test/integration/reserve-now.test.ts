// reserve_now through a real broker and a real module process (spec: rules 1-8).
import { type Broker, startBroker } from '../support/broker';
import { isoIn, reservation, type Station, startStation } from '../support/harness';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** Cancels a marker reservation and waits for its Cancelled event: every earlier event has arrived by then. */
async function barrier(station: Station, connectorId: number, markerId = 999_999): Promise<void> {
  expect(await station.reserveNow(connectorId, reservation(markerId))).toBe('Accepted');
  expect(await station.cancel(markerId)).toBe(true);
  await station.ends.waitFor((p) => (p as { data: { data: { reservation_id: number } } }).data.data.reservation_id === markerId, 5000);
}

describe('reserve_now on a specific connector', () => {
  it('accepts a free connector and holds the reservation', async () => {
    const station = await startStation(broker);
    const r = reservation(1);
    expect(await station.reserveNow(1, r)).toBe('Accepted');
    expect(await station.list()).toEqual([{ ...r, connector_id: 1 }]);
  });

  it('answers Occupied for a connector another reservation holds, and keeps the first one', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const first = reservation(1);
    expect(await station.reserveNow(1, first)).toBe('Accepted');
    expect(await station.reserveNow(1, reservation(2))).toBe('Occupied');
    expect(await station.list()).toEqual([{ ...first, connector_id: 1 }]);
    // The other connector is still free.
    expect(await station.reserveNow(2, reservation(3))).toBe('Accepted');
  });

  it('rejects an unknown connector', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    expect(await station.reserveNow(3, reservation(1))).toBe('Rejected');
    expect(await station.list()).toEqual([]);
  });

  it('rejects a negative connector', async () => {
    const station = await startStation(broker);
    expect(await station.reserveNow(-1, reservation(1))).toBe('Rejected');
    expect(await station.list()).toEqual([]);
  });

  it('rejects an expiry_time in the past', async () => {
    const station = await startStation(broker);
    expect(await station.reserveNow(1, reservation(1, { expiry_time: isoIn(-60_000) }))).toBe('Rejected');
    expect(await station.list()).toEqual([]);
    // The connector is still free for a valid request.
    expect(await station.reserveNow(1, reservation(2))).toBe('Accepted');
  });

  it('rejects every request when reservations_enabled is false', async () => {
    const station = await startStation(broker, { configModule: { reservations_enabled: false, connectors: 2, reserve_connector_zero_supported: true } });
    expect(await station.reserveNow(1, reservation(1))).toBe('Rejected');
    expect(await station.reserveNow(0, reservation(2))).toBe('Rejected');
    expect(await station.list()).toEqual([]);
  });

  it('returns id_token and parent_id_token exactly as given', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const withParent = reservation(7, { id_token: 'AbC-def-ÄÖü 042', parent_id_token: 'PaReNt-Group_9' });
    const without = reservation(8, { id_token: 'lower-UPPER-MiXeD' });
    expect(await station.reserveNow(1, withParent)).toBe('Accepted');
    expect(await station.reserveNow(2, without)).toBe('Accepted');
    const listed = await station.list();
    expect(listed).toEqual([
      { reservation_id: 7, connector_id: 1, id_token: 'AbC-def-ÄÖü 042', parent_id_token: 'PaReNt-Group_9', expiry_time: withParent.expiry_time },
      { reservation_id: 8, connector_id: 2, id_token: 'lower-UPPER-MiXeD', expiry_time: without.expiry_time },
    ]);
  });
});

describe('reserve_now on connector 0 (station-wide)', () => {
  it('rejects connector 0 when reserve_connector_zero_supported is false (the default)', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    expect(await station.reserveNow(0, reservation(1))).toBe('Rejected');
    expect(await station.list()).toEqual([]);
  });

  it('accepts connector 0 when supported', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2, reserve_connector_zero_supported: true } });
    const r = reservation(1);
    expect(await station.reserveNow(0, r)).toBe('Accepted');
    expect(await station.list()).toEqual([{ ...r, connector_id: 0 }]);
  });

  it('accepts as many station-wide reservations as there are connectors, then answers Occupied', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2, reserve_connector_zero_supported: true } });
    expect(await station.reserveNow(0, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(2))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(3))).toBe('Occupied');
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([1, 2]);
  });

  it('refuses a specific connector that a station-wide reservation needs', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2, reserve_connector_zero_supported: true } });
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(2))).toBe('Accepted');
    // Connector 2 is free but is the last one the station-wide reservation can use.
    expect(await station.reserveNow(2, reservation(3))).toBe('Occupied');
    // And no further station-wide reservation fits either.
    expect(await station.reserveNow(0, reservation(4))).toBe('Occupied');
    expect((await station.list()).map((r) => [r.reservation_id, r.connector_id])).toEqual([
      [1, 1],
      [2, 0],
    ]);
  });
});

describe('reserve_now with the reservation_id of a held reservation (replacement)', () => {
  it('moves the reservation to another connector without a reservation_end for the old one', async () => {
    const station = await startStation(broker, { configModule: { connectors: 3 } });
    expect(await station.reserveNow(1, reservation(1, { id_token: 'OLD' }))).toBe('Accepted');
    const moved = reservation(1, { id_token: 'NEW', expiry_time: isoIn(7_200_000) });
    expect(await station.reserveNow(2, moved)).toBe('Accepted');
    expect(await station.list()).toEqual([{ ...moved, connector_id: 2 }]);
    // Connector 1 is free again.
    expect(await station.reserveNow(1, reservation(2))).toBe('Accepted');
    await barrier(station, 3);
    expect(station.endEvents()).toEqual([{ reservation_id: 999_999, reason: 'Cancelled' }]);
  });

  it('may replace a reservation on the same connector (new token and expiry)', async () => {
    const station = await startStation(broker);
    expect(await station.reserveNow(1, reservation(1, { id_token: 'FIRST' }))).toBe('Accepted');
    const replacement = reservation(1, { id_token: 'SECOND', parent_id_token: 'P', expiry_time: isoIn(5_000_000) });
    expect(await station.reserveNow(1, replacement)).toBe('Accepted');
    expect(await station.list()).toEqual([{ ...replacement, connector_id: 1 }]);
  });

  it('leaves the old reservation exactly as it was when the replacement is refused', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const original = reservation(1, { id_token: 'Keep-Me', parent_id_token: 'Parent-1' });
    expect(await station.reserveNow(1, original)).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
    const before = await station.list();

    expect(await station.reserveNow(2, reservation(1, { id_token: 'Other' }))).toBe('Occupied');
    expect(await station.reserveNow(5, reservation(1, { id_token: 'Other' }))).toBe('Rejected');
    expect(await station.reserveNow(1, reservation(1, { id_token: 'Other', expiry_time: isoIn(-1000) }))).toBe('Rejected');

    expect(await station.list()).toEqual(before);
    expect(before).toContainEqual({ ...original, connector_id: 1 });
    // Still held: connector 1 stays reserved for it, and it can be cancelled once.
    expect(await station.reserveNow(1, reservation(3))).toBe('Occupied');
    expect(await station.cancel(1)).toBe(true);
    await station.ends.waitFor(() => true);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'Cancelled' }]);
  });
});
