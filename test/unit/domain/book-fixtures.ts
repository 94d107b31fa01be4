// Small builders shared by the domain tests: a book seen through the connector interface (the
// seed's rules 1-8 and reservation_end's reasons), a request, and the ends an operation reported.
import { connectorResult } from '../../../src/commands/connector';
import { ReservationBook } from '../../../src/domain/reservation-book';
import type { DomainEvent, EvseChange, HeldReservation, ReservationRequest } from '../../../src/domain/types';
import type { ReservationResult } from '../../../src/generated/types';
import { END_REASON } from '../../../src/module/publish';

/** The domain's "now" in these tests: time is an argument, never the wall clock. */
export const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
export const HOUR = 3_600_000;

export type ConnectorChange = EvseChange;

/** A held reservation as the connector interface names it. */
export type ConnectorReservation = HeldReservation & { connectorId: number };

/** A domain event with the reservation_end reason and connector the connector interface gives it. */
export type ConnectorEvent =
  | { kind: 'ReservationAccepted'; reservation: ConnectorReservation; replaced?: ConnectorReservation; restored?: true }
  | { kind: 'ReservationEnded'; reservation: ConnectorReservation; reason: string; why: string };

export interface BookSetup {
  connectorCount: number;
  reservationsEnabled: boolean;
  connectorZeroSupported: boolean;
}

const asConnector = (r: HeldReservation): ConnectorReservation => ({ ...r, connectorId: r.evseId });

function asConnectorEvents(events: DomainEvent[]): ConnectorEvent[] {
  return events.map((e): ConnectorEvent => {
    if (e.kind === 'ReservationEnded') return { ...e, reservation: asConnector(e.reservation), reason: END_REASON[e.reason] };
    const { replaced, ...accepted } = e;
    return { ...accepted, reservation: asConnector(e.reservation), ...(replaced ? { replaced: asConnector(replaced) } : {}) };
  });
}

/** The domain as the connector interface's commands drive it: connector N is the EVSE at position N, 0 is any. */
export class ConnectorBook {
  constructor(readonly domain: ReservationBook) {}

  get size(): number {
    return this.domain.size;
  }

  reserveNow(connectorId: number, request: ReservationRequest, nowMs: number): { result: ReservationResult; events: ConnectorEvent[] } {
    const { decision, events } = this.domain.reserveNow(connectorId === 0 ? 'any' : { evseId: connectorId }, request, nowMs);
    return { result: connectorResult(decision), events: asConnectorEvents(events) };
  }

  cancel(reservationId: number): { cancelled: boolean; events: ConnectorEvent[] } {
    const { cancelled, events } = this.domain.cancel(reservationId);
    return { cancelled, events: asConnectorEvents(events) };
  }

  expireDue(nowMs: number): ConnectorEvent[] {
    return asConnectorEvents(this.domain.expireDue(nowMs));
  }

  nextExpiryMs(): number | undefined {
    return this.domain.nextExpiryMs();
  }

  get(reservationId: number): ConnectorReservation | undefined {
    const held = this.domain.get(reservationId);
    return held && asConnector(held);
  }

  list(): ConnectorReservation[] {
    return this.domain.list().map(asConnector);
  }

  holderOf(connectorId: number): ConnectorReservation | undefined {
    const holder = this.domain.holderAt(connectorId);
    return holder && asConnector(holder);
  }

  exists(connectorId: number, idToken: string, parentIdToken: string | undefined): string {
    return this.domain.exists(connectorId, idToken, parentIdToken);
  }

  connectorChanged(connectorId: number, change: ConnectorChange): ConnectorEvent[] {
    return asConnectorEvents(this.domain.evseChanged(connectorId, change));
  }
}

export function newBook(options: Partial<BookSetup> = {}): ConnectorBook {
  const { connectorCount, reservationsEnabled, connectorZeroSupported } = { connectorCount: 2, reservationsEnabled: true, connectorZeroSupported: true, ...options };
  return new ConnectorBook(new ReservationBook({ evseCount: connectorCount, reservationsEnabled, stationWideSupported: connectorZeroSupported }));
}

/** A request for `TOKEN<id>` expiring in an hour, unless told otherwise. */
export function request(reservationId: number, overrides: Partial<ReservationRequest> = {}): ReservationRequest {
  const expiresAtMs = overrides.expiresAtMs ?? NOW + HOUR;
  return { reservationId, idToken: `TOKEN${reservationId}`, expiryTime: new Date(expiresAtMs).toISOString(), expiresAtMs, ...overrides };
}

/** Reserves and insists on Accepted: for setting up a scene, not for testing reserve_now. */
export function hold(book: ConnectorBook, connectorId: number, reservationId: number, overrides: Partial<ReservationRequest> = {}): void {
  const { result } = book.reserveNow(connectorId, request(reservationId, overrides), NOW);
  if (result !== 'Accepted') throw new Error(`setup: reservation ${reservationId} on connector ${connectorId} was ${result}`);
}

export interface End {
  id: number;
  reason: string;
}

/** The reservation ends among `events`, in order. */
export function ends(events: ConnectorEvent[]): End[] {
  return events.flatMap((e) => (e.kind === 'ReservationEnded' ? [{ id: e.reservation.reservationId, reason: e.reason }] : []));
}

export function heldIds(book: ConnectorBook): number[] {
  return book.list().map((r) => r.reservationId);
}
