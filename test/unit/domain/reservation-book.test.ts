// The reservation book against spec/reservation-module.md: reserve_now rules 1-8, cancel,
// list, exists, what connector changes end, and expiry. Time is an argument (NOW).
import fc from 'fast-check';
import type { ConnectorBook as ReservationBook } from './book-fixtures';
import type { ConnectorChange } from './book-fixtures';
import { HOUR, NOW, ends, heldIds, hold, newBook, request } from './book-fixtures';

const fault = (book: ReservationBook, connector: number) => book.connectorChanged(connector, { kind: 'Faulted' });
const disable = (book: ReservationBook, connector: number) => book.connectorChanged(connector, { kind: 'Disabled' });
const plugIn = (book: ReservationBook, connector: number) => book.connectorChanged(connector, { kind: 'SessionStarted' });
const startTx = (book: ReservationBook, connector: number, tx: Omit<Extract<ConnectorChange, { kind: 'TransactionStarted' }>, 'kind'>) =>
  book.connectorChanged(connector, { kind: 'TransactionStarted', ...tx });

describe('reserve_now', () => {
  describe('rule 1: reservations disabled', () => {
    it.each([0, 1])('answers Rejected on connector %i and holds nothing', (connector) => {
      const book = newBook({ reservationsEnabled: false });
      expect(book.reserveNow(connector, request(1), NOW)).toEqual({ result: 'Rejected', events: [] });
      expect(book.size).toBe(0);
    });
  });

  describe('rule 2: unknown connector', () => {
    it.each([3, -1, 1.5, Number.MAX_SAFE_INTEGER])('answers Rejected for connector %p of 2', (connector) => {
      const book = newBook({ connectorCount: 2 });
      expect(book.reserveNow(connector, request(1), NOW).result).toBe('Rejected');
      expect(book.size).toBe(0);
    });
  });

  describe('rule 3: connector 0', () => {
    it('is Rejected when reserve_connector_zero_supported is false', () => {
      const book = newBook({ connectorZeroSupported: false });
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Rejected');
      expect(book.size).toBe(0);
    });

    it('is Accepted as a station-wide reservation when it is supported', () => {
      const book = newBook({ connectorZeroSupported: true });
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Accepted');
      expect(book.get(1)?.connectorId).toBe(0);
    });
  });

  describe('rule 4: expiry_time not in the future', () => {
    it.each([
      ['in the past', NOW - 1],
      ['exactly now', NOW],
    ])('answers Rejected for an expiry %s', (_when, expiresAtMs) => {
      const book = newBook();
      expect(book.reserveNow(1, request(1, { expiresAtMs }), NOW).result).toBe('Rejected');
      expect(book.reserveNow(0, request(2, { expiresAtMs }), NOW).result).toBe('Rejected');
      expect(book.size).toBe(0);
    });

    it('comes before the connector rules: a faulted connector with a past expiry is Rejected, not Faulted', () => {
      const book = newBook();
      fault(book, 1);
      expect(book.reserveNow(1, request(1, { expiresAtMs: NOW - 1 }), NOW).result).toBe('Rejected');
    });
  });

  describe('rule 5: replacement by reservation_id', () => {
    it('replaces on the same connector with a new token and expiry, without ending the old one', () => {
      const book = newBook({ connectorCount: 1 });
      hold(book, 1, 7, { idToken: 'OLD' });
      const later = NOW + 2 * HOUR;
      const { result, events } = book.reserveNow(1, request(7, { idToken: 'NEW', expiresAtMs: later }), NOW);
      // Without rule 5 the only connector would be Occupied by reservation 7 itself.
      expect(result).toBe('Accepted');
      expect(ends(events)).toEqual([]);
      expect(events).toEqual([expect.objectContaining({ kind: 'ReservationAccepted', replaced: expect.objectContaining({ idToken: 'OLD' }) })]);
      expect(book.list()).toEqual([expect.objectContaining({ reservationId: 7, connectorId: 1, idToken: 'NEW', expiresAtMs: later })]);
      // The old expiry no longer ends it; the new one does.
      expect(book.expireDue(NOW + HOUR)).toEqual([]);
      expect(book.nextExpiryMs()).toBe(later);
    });

    it('moves to another connector and frees the old one', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 1, 7);
      expect(book.reserveNow(2, request(7), NOW).result).toBe('Accepted');
      expect(book.holderOf(1)).toBeUndefined();
      expect(book.holderOf(2)?.reservationId).toBe(7);
      expect(book.reserveNow(1, request(8), NOW).result).toBe('Accepted');
    });

    it('keeps the old reservation exactly as it was when the replacement is refused', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 1, 7, { idToken: 'OLD' });
      const before = book.get(7);
      fault(book, 2);
      expect(book.reserveNow(2, request(7, { idToken: 'NEW' }), NOW).result).toBe('Faulted');
      expect(book.reserveNow(1, request(7, { idToken: 'NEW', expiresAtMs: NOW - 1 }), NOW).result).toBe('Rejected');
      expect(book.get(7)).toEqual(before);
      expect(book.holderOf(1)?.idToken).toBe('OLD');
      expect(book.nextExpiryMs()).toBe(before?.expiresAtMs);
    });

    it('lets a station-wide reservation be replaced although it is the one using the last free connector', () => {
      const book = newBook({ connectorCount: 1 });
      hold(book, 0, 5, { idToken: 'OLD' });
      expect(book.reserveNow(0, request(99), NOW).result).toBe('Occupied');
      expect(book.reserveNow(0, request(5, { idToken: 'NEW' }), NOW).result).toBe('Accepted');
      expect(book.list()).toEqual([expect.objectContaining({ reservationId: 5, connectorId: 0, idToken: 'NEW' })]);
    });

    it('turns a specific reservation into a station-wide one on a single connector', () => {
      const book = newBook({ connectorCount: 1 });
      hold(book, 1, 7);
      expect(book.reserveNow(0, request(7), NOW).result).toBe('Accepted');
      expect(book.holderOf(1)).toBeUndefined();
      expect(book.get(7)?.connectorId).toBe(0);
    });

    it('turns a station-wide reservation into a specific one when the other station-wide one still fits', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 0, 10);
      hold(book, 0, 11);
      // Counted without reservation 10: one station-wide reservation, two free connectors.
      expect(book.reserveNow(1, request(10), NOW).result).toBe('Accepted');
      expect(heldIds(book)).toEqual([10, 11]);
      expect(book.get(10)?.connectorId).toBe(1);
    });
  });

  describe('rule 6: a specific connector', () => {
    it('answers Faulted for a faulted connector, also when it is disabled too', () => {
      const book = newBook();
      fault(book, 1);
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Faulted');
      disable(book, 1);
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Faulted');
    });

    it('answers Unavailable for a disabled connector', () => {
      const book = newBook();
      disable(book, 1);
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Unavailable');
    });

    it('answers Occupied while a car is plugged in, and Accepted once the session finished', () => {
      const book = newBook();
      plugIn(book, 1);
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Occupied');
      book.connectorChanged(1, { kind: 'SessionFinished' });
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Accepted');
    });

    it('answers Occupied when another reservation holds the connector', () => {
      const book = newBook();
      hold(book, 1, 1);
      expect(book.reserveNow(1, request(2), NOW)).toEqual({ result: 'Occupied', events: [] });
      expect(book.holderOf(1)?.reservationId).toBe(1);
    });

    it('answers Occupied when taking the connector would leave a station-wide reservation without one', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 0, 10);
      plugIn(book, 2);
      // Connector 1 is the last free one and reservation 10 needs it.
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Occupied');
      book.connectorChanged(2, { kind: 'SessionFinished' });
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Accepted');
    });

    it('answers Occupied when two station-wide reservations need both free connectors', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 0, 10);
      hold(book, 0, 11);
      expect(book.reserveNow(1, request(1), NOW).result).toBe('Occupied');
      expect(book.reserveNow(2, request(1), NOW).result).toBe('Occupied');
    });
  });

  describe('rule 7: connector 0', () => {
    it('accepts while the free connectors outnumber the station-wide reservations, then answers Occupied', () => {
      const book = newBook({ connectorCount: 2 });
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Accepted');
      expect(book.reserveNow(0, request(2), NOW).result).toBe('Accepted');
      expect(book.reserveNow(0, request(3), NOW).result).toBe('Occupied');
      expect(heldIds(book)).toEqual([1, 2]);
    });

    it('counts connectors held by specific reservations as not free', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 1, 1);
      hold(book, 0, 10);
      expect(book.reserveNow(0, request(11), NOW).result).toBe('Occupied');
    });

    it('answers Faulted when every connector is faulted', () => {
      const book = newBook({ connectorCount: 2 });
      fault(book, 1);
      fault(book, 2);
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Faulted');
    });

    it('answers Unavailable when every connector is disabled, or disabled and faulted', () => {
      const book = newBook({ connectorCount: 2 });
      disable(book, 1);
      disable(book, 2);
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Unavailable');
      fault(book, 1);
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Unavailable');
    });

    it('answers Occupied when one connector is busy and the others are faulted', () => {
      const book = newBook({ connectorCount: 2 });
      fault(book, 1);
      plugIn(book, 2);
      expect(book.reserveNow(0, request(1), NOW).result).toBe('Occupied');
    });
  });

  describe('rule 8: Accepted', () => {
    it('holds the reservation with its token exactly as given and reports it once', () => {
      const book = newBook();
      const { result, events } = book.reserveNow(2, request(4, { idToken: 'MiXeD', parentIdToken: 'Group-1' }), NOW);
      expect(result).toBe('Accepted');
      expect(events).toEqual([{ kind: 'ReservationAccepted', reservation: expect.objectContaining({ reservationId: 4, connectorId: 2 }) }]);
      expect(book.get(4)).toEqual(expect.objectContaining({ idToken: 'MiXeD', parentIdToken: 'Group-1', expiresAtMs: NOW + HOUR }));
      expect(book.holderOf(2)?.reservationId).toBe(4);
    });
  });
});

describe('cancel_reservation', () => {
  it('ends a held reservation with Cancelled and frees its connector', () => {
    const book = newBook({ connectorCount: 1 });
    hold(book, 1, 3);
    const { cancelled, events } = book.cancel(3);
    expect(cancelled).toBe(true);
    expect(ends(events)).toEqual([{ id: 3, reason: 'Cancelled' }]);
    expect(book.size).toBe(0);
    expect(book.reserveNow(1, request(4), NOW).result).toBe('Accepted');
  });

  it('answers false with no event for a reservation not held, and for one already cancelled', () => {
    const book = newBook();
    expect(book.cancel(3)).toEqual({ cancelled: false, events: [] });
    hold(book, 0, 3);
    book.cancel(3);
    expect(book.cancel(3)).toEqual({ cancelled: false, events: [] });
  });

  it('leaves the other reservations alone', () => {
    const book = newBook();
    hold(book, 1, 1);
    hold(book, 0, 2);
    book.cancel(1);
    expect(heldIds(book)).toEqual([2]);
  });
});

describe('list_reservations', () => {
  it('lists by reservation_id, not by arrival, with tokens as given', () => {
    const book = newBook({ connectorCount: 3 });
    hold(book, 2, 30, { idToken: 'c' });
    hold(book, 0, 10, { idToken: 'A', parentIdToken: 'p' });
    hold(book, 1, 20, { idToken: 'b' });
    expect(book.list().map((r) => [r.reservationId, r.connectorId, r.idToken, r.parentIdToken])).toEqual([
      [10, 0, 'A', 'p'],
      [20, 1, 'b', undefined],
      [30, 2, 'c', undefined],
    ]);
  });
});

describe('exists_reservation', () => {
  it('answers NotReserved for an unknown connector and when nothing is reserved', () => {
    const book = newBook();
    expect(book.exists(1, 'T', undefined)).toBe('NotReserved');
    hold(book, 1, 1);
    expect(book.exists(3, 'T', undefined)).toBe('NotReserved');
    expect(book.exists(0, 'T', undefined)).toBe('NotReserved');
  });

  it('matches the token of the connector reservation case-insensitively', () => {
    const book = newBook();
    hold(book, 1, 1, { idToken: 'AbC' });
    expect(book.exists(1, 'abc', undefined)).toBe('ReservedForToken');
    expect(book.exists(1, 'ABC', 'other-parent')).toBe('ReservedForToken');
    expect(book.exists(1, 'xyz', undefined)).toBe('ReservedForOtherToken');
    expect(book.exists(2, 'xyz', undefined)).toBe('NotReserved');
  });

  it('matches the parent token case-insensitively, and tells when a parent token was needed but not given', () => {
    const book = newBook();
    hold(book, 1, 1, { idToken: 'CARD-1', parentIdToken: 'Fleet' });
    expect(book.exists(1, 'CARD-2', 'fLEET')).toBe('ReservedForToken');
    expect(book.exists(1, 'CARD-2', undefined)).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(book.exists(1, 'CARD-2', 'OtherFleet')).toBe('ReservedForOtherToken');
  });

  it('answers ReservedForToken on a free connector for the token of a station-wide reservation', () => {
    const book = newBook({ connectorCount: 2 });
    hold(book, 0, 10, { idToken: 'Driver', parentIdToken: 'Fleet' });
    expect(book.exists(1, 'DRIVER', undefined)).toBe('ReservedForToken');
    expect(book.exists(2, 'someone', 'fleet')).toBe('ReservedForToken');
  });

  it('lets other tokens charge while a spare connector remains for the station-wide reservations', () => {
    const book = newBook({ connectorCount: 2 });
    hold(book, 0, 10, { idToken: 'Driver' });
    expect(book.exists(1, 'stranger', undefined)).toBe('NotReserved');
  });

  it('keeps the last free connectors for station-wide reservations of other tokens', () => {
    const book = newBook({ connectorCount: 2 });
    hold(book, 0, 10, { idToken: 'Driver' });
    plugIn(book, 2);
    expect(book.exists(1, 'stranger', undefined)).toBe('ReservedForOtherToken');
    // The busy connector is not one the reservation counts on.
    expect(book.exists(2, 'stranger', undefined)).toBe('NotReserved');
  });

  it('says a parent token was needed when the station-wide reservation that keeps the connector has one', () => {
    const book = newBook({ connectorCount: 1 });
    hold(book, 0, 10, { idToken: 'Driver', parentIdToken: 'Fleet' });
    expect(book.exists(1, 'stranger', undefined)).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(book.exists(1, 'stranger', 'OtherFleet')).toBe('ReservedForOtherToken');
  });

  it('still recognises the station-wide token once that driver has plugged in, about to authorise', () => {
    const book = newBook({ connectorCount: 1 });
    hold(book, 0, 10, { idToken: 'Driver' });
    plugIn(book, 1);
    expect(book.exists(1, 'driver', undefined)).toBe('ReservedForToken');
  });
});

describe('connector changes', () => {
  describe('UsedToStartCharging', () => {
    it('ends the connector reservation when a transaction starts with its token, in any case', () => {
      const book = newBook();
      hold(book, 1, 1, { idToken: 'AbC' });
      expect(ends(startTx(book, 1, { idToken: 'aBc' }))).toEqual([{ id: 1, reason: 'UsedToStartCharging' }]);
      expect(book.size).toBe(0);
    });

    it('ends it for a token of the same parent', () => {
      const book = newBook();
      hold(book, 1, 1, { idToken: 'CARD-1', parentIdToken: 'Fleet' });
      expect(ends(startTx(book, 1, { idToken: 'CARD-2', parentIdToken: 'FLEET' }))).toEqual([{ id: 1, reason: 'UsedToStartCharging' }]);
    });

    it('ends the reservation named by reservation_id, whatever the token', () => {
      const book = newBook();
      hold(book, 1, 1, { idToken: 'A' });
      hold(book, 2, 2, { idToken: 'B' });
      expect(ends(startTx(book, 2, { idToken: 'unrelated', reservationId: 2 }))).toEqual([{ id: 2, reason: 'UsedToStartCharging' }]);
      expect(heldIds(book)).toEqual([1]);
    });

    it('ends a station-wide reservation whose token starts charging on any connector', () => {
      const book = newBook({ connectorCount: 3 });
      hold(book, 0, 10, { idToken: 'Driver' });
      hold(book, 0, 11, { idToken: 'Other' });
      expect(ends(startTx(book, 3, { idToken: 'DRIVER' }))).toEqual([{ id: 10, reason: 'UsedToStartCharging' }]);
      expect(heldIds(book)).toEqual([11]);
    });

    it('ends nothing when another token starts charging on a reserved connector', () => {
      const book = newBook();
      hold(book, 1, 1, { idToken: 'A' });
      expect(startTx(book, 1, { idToken: 'B' })).toEqual([]);
      expect(heldIds(book)).toEqual([1]);
    });
  });

  describe('Cancelled because the connector can no longer honour it', () => {
    it.each([
      ['faults', { kind: 'Faulted' }],
      ['is disabled', { kind: 'Disabled' }],
    ] as const)('ends the reservation of a connector that %s', (_what, change) => {
      const book = newBook();
      hold(book, 1, 1);
      hold(book, 2, 2);
      expect(ends(book.connectorChanged(1, change))).toEqual([{ id: 1, reason: 'Cancelled' }]);
      expect(heldIds(book)).toEqual([2]);
    });

    it('ends the newest station-wide reservations, by acceptance not by id, until the rest fit', () => {
      const book = newBook({ connectorCount: 3 });
      hold(book, 0, 30);
      hold(book, 0, 10);
      hold(book, 0, 20);
      expect(ends(fault(book, 1))).toEqual([{ id: 20, reason: 'Cancelled' }]);
      expect(ends(disable(book, 2))).toEqual([{ id: 10, reason: 'Cancelled' }]);
      expect(heldIds(book)).toEqual([30]);
    });

    it('ends several station-wide reservations at once when one change leaves several without a connector', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 0, 10);
      hold(book, 0, 11);
      plugIn(book, 2); // ends nothing, though now only one connector is free
      expect(ends(fault(book, 1))).toEqual([
        { id: 11, reason: 'Cancelled' },
        { id: 10, reason: 'Cancelled' },
      ]);
    });

    it('ends the newest station-wide reservation when a transaction that used none of them takes a connector', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 0, 10);
      hold(book, 0, 11);
      expect(ends(startTx(book, 1, { idToken: 'stranger' }))).toEqual([{ id: 11, reason: 'Cancelled' }]);
    });

    it('ends no other station-wide reservation when a transaction used one of them', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 0, 10, { idToken: 'First' });
      hold(book, 0, 11, { idToken: 'Second' });
      expect(ends(startTx(book, 1, { idToken: 'first' }))).toEqual([{ id: 10, reason: 'UsedToStartCharging' }]);
      expect(heldIds(book)).toEqual([11]);
    });

    it('ends no station-wide reservation when a fault hits a connector a specific reservation held', () => {
      const book = newBook({ connectorCount: 2 });
      hold(book, 1, 1);
      hold(book, 0, 10);
      expect(ends(fault(book, 1))).toEqual([{ id: 1, reason: 'Cancelled' }]);
      expect(heldIds(book)).toEqual([10]);
    });
  });

  it('ends nothing when a car is merely plugged in, on a reserved connector or the last free one', () => {
    const book = newBook({ connectorCount: 2 });
    hold(book, 1, 1);
    hold(book, 0, 10);
    expect(plugIn(book, 1)).toEqual([]);
    expect(plugIn(book, 2)).toEqual([]);
    expect(heldIds(book)).toEqual([1, 10]);
  });
});

describe('expiry', () => {
  it('tells when the earliest reservation expires, following changes', () => {
    const book = newBook({ connectorCount: 3 });
    expect(book.nextExpiryMs()).toBeUndefined();
    hold(book, 1, 1, { expiresAtMs: NOW + 3 * HOUR });
    hold(book, 2, 2, { expiresAtMs: NOW + HOUR });
    hold(book, 0, 3, { expiresAtMs: NOW + 2 * HOUR });
    expect(book.nextExpiryMs()).toBe(NOW + HOUR);
    book.cancel(2);
    expect(book.nextExpiryMs()).toBe(NOW + 2 * HOUR);
  });

  it('ends nothing before the expiry_time and ends the reservation at it, with Expired', () => {
    const book = newBook();
    hold(book, 1, 1, { expiresAtMs: NOW + HOUR });
    expect(book.expireDue(NOW + HOUR - 1)).toEqual([]);
    expect(ends(book.expireDue(NOW + HOUR))).toEqual([{ id: 1, reason: 'Expired' }]);
    expect(book.size).toBe(0);
    expect(book.nextExpiryMs()).toBeUndefined();
    expect(book.reserveNow(1, request(2, { expiresAtMs: NOW + 2 * HOUR }), NOW + HOUR).result).toBe('Accepted');
  });

  it('ends every due reservation in expiry order, ties in acceptance order, and keeps the rest', () => {
    const book = newBook({ connectorCount: 4 });
    hold(book, 1, 5, { expiresAtMs: NOW + 2 * HOUR });
    hold(book, 2, 9, { expiresAtMs: NOW + HOUR });
    hold(book, 0, 4, { expiresAtMs: NOW + 2 * HOUR });
    hold(book, 3, 1, { expiresAtMs: NOW + 3 * HOUR });
    expect(ends(book.expireDue(NOW + 2 * HOUR + 1))).toEqual([
      { id: 9, reason: 'Expired' },
      { id: 5, reason: 'Expired' },
      { id: 4, reason: 'Expired' },
    ]);
    expect(heldIds(book)).toEqual([1]);
  });
});

describe('each reservation ends exactly once', () => {
  it('does not expire a reservation already cancelled, nor cancel one already expired', () => {
    const book = newBook();
    hold(book, 1, 1);
    hold(book, 2, 2);
    book.cancel(1);
    expect(ends(book.expireDue(NOW + HOUR))).toEqual([{ id: 2, reason: 'Expired' }]);
    expect(book.cancel(2)).toEqual({ cancelled: false, events: [] });
  });

  it('does not use for charging a reservation that already expired', () => {
    const book = newBook();
    hold(book, 1, 1, { idToken: 'A' });
    book.expireDue(NOW + HOUR);
    expect(startTx(book, 1, { idToken: 'A', reservationId: 1 })).toEqual([]);
  });

  it('does not cancel again, or expire, a reservation its connector fault already ended', () => {
    const book = newBook();
    hold(book, 1, 1);
    expect(ends(fault(book, 1))).toEqual([{ id: 1, reason: 'Cancelled' }]);
    expect(disable(book, 1)).toEqual([]);
    expect(fault(book, 1)).toEqual([]);
    expect(book.expireDue(NOW + HOUR)).toEqual([]);
  });

  it('does not end a used reservation again when its connector then faults', () => {
    const book = newBook();
    hold(book, 1, 1, { idToken: 'A' });
    startTx(book, 1, { idToken: 'A' });
    expect(fault(book, 1)).toEqual([]);
    expect(book.cancel(1).cancelled).toBe(false);
  });

  it('does not use a station-wide reservation a fault already cancelled', () => {
    const book = newBook({ connectorCount: 2 });
    hold(book, 0, 10, { idToken: 'A' });
    hold(book, 0, 11, { idToken: 'B' });
    fault(book, 1);
    expect(ends(startTx(book, 2, { idToken: 'B' }))).toEqual([{ id: 10, reason: 'Cancelled' }]);
  });

  // Any sequence of operations: every end names a reservation held at that moment, and the
  // book then holds exactly the reservations accepted and not yet ended.
  it('never reports an end twice or for a reservation not held, whatever happens in between', () => {
    const id = fc.integer({ min: 1, max: 5 });
    const connector = fc.integer({ min: 1, max: 3 });
    const token = fc.constantFrom('A', 'a', 'B', 'C');
    const op = fc.oneof(
      fc.record({ op: fc.constant('reserve' as const), connector: fc.integer({ min: 0, max: 3 }), id, token, lifetime: fc.integer({ min: 1, max: 100 }) }),
      fc.record({ op: fc.constant('cancel' as const), id }),
      fc.record({ op: fc.constant('tick' as const), by: fc.integer({ min: 0, max: 60 }) }),
      fc.record({
        op: fc.constant('change' as const),
        connector,
        change: fc.oneof(
          fc.constantFrom<ConnectorChange>(
            { kind: 'Enabled' },
            { kind: 'Disabled' },
            { kind: 'Faulted' },
            { kind: 'FaultCleared' },
            { kind: 'SessionStarted' },
            { kind: 'SessionFinished' },
          ),
          fc.record({ kind: fc.constant('TransactionStarted' as const), idToken: token, reservationId: fc.option(id, { nil: undefined }) }).map(
            ({ reservationId, ...tx }): ConnectorChange => (reservationId === undefined ? tx : { ...tx, reservationId }),
          ),
        ),
      }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60, size: 'max' }), (ops) => {
        const book = newBook({ connectorCount: 3 });
        const held = new Set<number>();
        let now = NOW;
        for (const step of ops) {
          let events;
          if (step.op === 'reserve') {
            events = book.reserveNow(step.connector, request(step.id, { idToken: step.token, expiresAtMs: now + step.lifetime }), now).events;
          } else if (step.op === 'cancel') {
            events = book.cancel(step.id).events;
          } else if (step.op === 'tick') {
            now += step.by;
            events = book.expireDue(now);
          } else {
            events = book.connectorChanged(step.connector, step.change);
          }
          // Plain checks, not expect(): this loop runs thousands of times.
          for (const event of events) {
            const eventId = event.reservation.reservationId;
            if (event.kind === 'ReservationEnded') {
              if (!held.delete(eventId)) throw new Error(`${event.reason} reported for ${eventId}, which was not held`);
            } else {
              if (held.has(eventId) !== (event.replaced !== undefined)) throw new Error(`${eventId} accepted twice without a replacement`);
              held.add(eventId);
            }
          }
          const expected = [...held].sort((a, b) => a - b);
          if (JSON.stringify(heldIds(book)) !== JSON.stringify(expected)) throw new Error(`holds ${JSON.stringify(heldIds(book))}, expected ${JSON.stringify(expected)}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
