// Small builders shared by the domain tests: a book, a request, and the ends an operation reported.
import { ReservationBook } from '../../../src/domain/reservation-book';
import type { BookOptions, DomainEvent, ReservationRequest } from '../../../src/domain/types';

/** The domain's "now" in these tests: time is an argument, never the wall clock. */
export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const HOUR = 3_600_000;

export function newBook(options: Partial<BookOptions> = {}): ReservationBook {
  return new ReservationBook({ connectorCount: 2, reservationsEnabled: true, connectorZeroSupported: true, ...options });
}

/** A request for `TOKEN<id>` expiring in an hour, unless told otherwise. */
export function request(reservationId: number, overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  const expiresAtMs = overrides.expiresAtMs ?? NOW + HOUR;
  return { reservationId, idToken: `TOKEN${reservationId}`, expiryTime: new Date(expiresAtMs).toISOString(), expiresAtMs, ...overrides };
}

/** Reserves and insists on Accepted: for setting up a scene, not for testing reserve_now. */
export function hold(book: ReservationBook, connectorId: number, reservationId: number, overrides: Partial<ReservationRequest> = {}): void {
  const { result } = book.reserveNow(connectorId, request(reservationId, overrides), NOW);
  if (result !== 'Accepted') throw new Error(`setup: reservation ${reservationId} on connector ${connectorId} was ${result}`);
}

export interface End {
  id: number;
  reason: string;
}

/** The reservation ends among `events`, in order. */
export function ends(events: DomainEvent[]): End[] {
  return events.flatMap((e) => (e.kind === 'ReservationEnded' ? [{ id: e.reservation.reservationId, reason: e.reason }] : []));
}

export function heldIds(book: ReservationBook): number[] {
  return book.list().map((r) => r.reservationId);
}
