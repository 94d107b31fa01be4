// The chaos soak's reference model (issue 17), on rules of spec/reservation-module.md that the
// soak relies on it to predict: replacement, the station-wide count, and who gives way.
import { World } from '../../../chaos/model';

const NOW = 1_000_000;
const request = (id: number, token = `T${id}`, expiryMs = NOW + 60_000) => ({ id, token, expiryTime: new Date(expiryMs).toISOString(), expiryMs });

describe('chaos model', () => {
  it('replaces a reservation with the same id as if it did not exist, and keeps it when the new one is refused', () => {
    const w = new World();
    expect(w.reserveNow(1, request(1), NOW, 0)).toBe('Accepted');
    expect(w.reserveNow(1, request(1, 'OTHER'), NOW, 0)).toBe('Accepted'); // its own connector is not "held by another"
    expect(w.reserveNow(2, request(2), NOW, 0)).toBe('Accepted');
    expect(w.reserveNow(2, request(1), NOW, 0)).toBe('Occupied');
    expect(w.list().map((r) => [r.reservation_id, r.connector_id, r.id_token])).toEqual([[1, 1, 'OTHER'], [2, 2, 'T2']]);
    expect(w.ends).toEqual([]);
  });

  it('keeps one free connector per station-wide reservation, and ends the newest first when one goes away', () => {
    const w = new World();
    expect(w.reserveNow(0, request(5), NOW, 0)).toBe('Accepted');
    expect(w.reserveNow(0, request(3), NOW, 0)).toBe('Accepted');
    expect(w.reserveNow(0, request(4), NOW, 0)).toBe('Occupied');
    expect(w.reserveNow(1, request(6), NOW, 0)).toBe('Occupied');
    expect(w.exists(1, 'T5', undefined)).toBe('ReservedForToken');
    expect(w.exists(1, 'T9', undefined)).toBe('ReservedForOtherToken');
    w.restart(NOW); // order survives a restart
    w.connectorEvent(2, 'Disabled', undefined, NOW, 1);
    expect(w.ends.map((e) => [e.id, e.reason])).toEqual([[3, 'Cancelled']]);
    // A car plugged in ends nothing, even where the station-wide reservation no longer fits.
    w.connectorEvent(1, 'SessionStarted', undefined, NOW, 2);
    expect(w.list().map((r) => r.reservation_id)).toEqual([5]);
  });

  it('ends the reservation a transaction uses: by id, else by token on the connector, else station-wide (any of several)', () => {
    const w = new World();
    w.reserveNow(0, request(1, 'ALICE'), NOW, 0);
    w.reserveNow(0, request(2, 'alice'), NOW, 0);
    // Tokens compare case-insensitively: either station-wide reservation may be the one used.
    const worlds = w.connectorEvent(1, 'TransactionStarted', { token: 'Alice' }, NOW, 1);
    expect(worlds.map((x) => x.ends.map((e) => [e.id, e.reason]))).toEqual([[[1, 'UsedToStartCharging']], [[2, 'UsedToStartCharging']]]);

    const byId = new World();
    byId.reserveNow(2, request(3, 'BOB'), NOW, 0);
    byId.connectorEvent(2, 'TransactionStarted', { token: 'SOMEONE', reservationId: 3 }, NOW, 1);
    expect(byId.ends.map((e) => [e.id, e.reason])).toEqual([[3, 'UsedToStartCharging']]);
  });

  it('expires in expiry order and gives one world per number of possibly expired reservations', () => {
    const w = new World();
    w.reserveNow(1, request(1, 'A', NOW + 1000), NOW, 0);
    w.reserveNow(2, request(2, 'B', NOW + 2000), NOW, 0);
    const worlds = w.expire(NOW + 900, NOW + 2500, 2000, 1);
    expect(worlds.map((x) => x.ends.map((e) => e.id))).toEqual([[], [1], [1, 2]]);
    expect(w.expire(NOW + 5000, NOW + 5000, 2000, 1)[0]?.ends.map((e) => e.id)).toEqual([1, 2]);
  });
});
