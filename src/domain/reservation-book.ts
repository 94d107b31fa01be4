import { offers } from './guarantee';
import { ExpiryQueue } from './expiry-queue';
import { decideReserveNow } from './rules';
import { Station } from './station';
import { StationWideReservations } from './station-wide';
import { reservedFor } from './tokens';
import {
  type BookOptions,
  type Decision,
  type DomainEvent,
  type EndReason,
  type EvseChange,
  type EvseLayout,
  type HeldReservation,
  type ReservationRequest,
  type SessionClaim,
  type Target,
  UNKNOWN_TYPE,
} from './types';

/** check_start's answer: whether a session for the token may start there, and the reservation it uses. */
export interface StartCheck {
  allowed: boolean;
  reservationId?: number;
}

export type CheckStatus = 'NotReserved' | 'ReservedForToken' | 'ReservedForOtherToken' | 'ReservedForOtherTokenAndHasParentToken';

/**
 * The reservations held and the station they are held on, with every rule of
 * spec/reservation-module.md and spec/everest-evse-dialect.md: one model for both wire
 * interfaces (in the connector interface each connector is an EVSE with one Unknown connector).
 * Pure: no I/O, no timers; time is an argument, and every operation returns what happened as
 * DomainEvents for the edges to publish.
 */
export class ReservationBook {
  private readonly reservations = new Map<number, HeldReservation>();
  private readonly stationWide: StationWideReservations;
  private readonly expiries = new ExpiryQueue<HeldReservation>((reservation) => this.reservations.get(reservation.reservationId) === reservation);
  readonly station: Station;
  private nextOrder = 1;

  constructor(private readonly options: BookOptions) {
    this.station = new Station(options.evseCount, options.layouts);
    this.stationWide = new StationWideReservations(this.station);
  }

  get size(): number {
    return this.reservations.size;
  }

  /** reserve_now's decision, as if a held reservation with the same id were not held; changes nothing. */
  evaluate(target: Target, request: ReservationRequest, nowMs: number): Decision {
    const replacing = this.reservations.get(request.reservationId);
    return this.without(replacing, () =>
      decideReserveNow({
        station: this.station,
        reservationsEnabled: this.options.reservationsEnabled,
        stationWideSupported: this.options.stationWideSupported,
        othersHeld: this.reservations.size > (replacing ? 1 : 0),
        stationWide: this.stationWide,
        target,
        request,
        nowMs,
      }),
    );
  }

  /** reserve_now: the decision, and the events of an accepted reservation (a replacement is not an end). */
  reserveNow(target: Target, request: ReservationRequest, nowMs: number): { decision: Decision; events: DomainEvent[] } {
    const decision = this.evaluate(target, request, nowMs);
    if (!decision.accepted) return { decision, events: [] };
    const replaced = this.reservations.get(request.reservationId);
    if (replaced) this.detach(replaced);
    const reservation = heldReservation(request, target === 'any' ? 0 : target.evseId, this.nextOrder++);
    this.attach(reservation);
    return { decision, events: [{ kind: 'ReservationAccepted', reservation, ...(replaced ? { replaced } : {}) }] };
  }

  /** Holds again a reservation from before a restart, if it is still possible: Expired if its time passed, else Removed. */
  restore(target: Target, request: ReservationRequest, nowMs: number): DomainEvent[] {
    const reservation = heldReservation(request, target === 'any' ? 0 : target.evseId, this.nextOrder++);
    if (request.expiresAtMs <= nowMs) return [{ kind: 'ReservationEnded', reservation, reason: 'Expired', why: 'expiry_time passed while the module was down' }];
    const decision = this.reservations.has(request.reservationId) ? undefined : this.evaluate(target, request, nowMs);
    if (!decision?.accepted) {
      const why = decision ? `no longer possible after the restart (${decision.refusal.kind})` : 'its id is in the file twice';
      return [{ kind: 'ReservationEnded', reservation, reason: 'Removed', why }];
    }
    this.attach(reservation);
    return [{ kind: 'ReservationAccepted', reservation, restored: true }];
  }

  cancel(reservationId: number): { cancelled: boolean; events: DomainEvent[] } {
    const reservation = this.reservations.get(reservationId);
    if (!reservation) return { cancelled: false, events: [] };
    return { cancelled: true, events: [this.end(reservation, 'Cancelled', 'cancel_reservation')] };
  }

  /** Ends a held reservation that can no longer be honoured for a reason found at the edge (the EVSE manager dropped it). */
  remove(reservationId: number, why: string): DomainEvent[] {
    const reservation = this.reservations.get(reservationId);
    return reservation ? [this.end(reservation, 'Removed', why)] : [];
  }

  /** Ends, as Expired, every reservation whose expiry is at or before `nowMs`. */
  expireDue(nowMs: number): DomainEvent[] {
    const events: DomainEvent[] = [];
    for (let next = this.expiries.peek(); next && next.expiresAtMs <= nowMs; next = this.expiries.peek()) {
      events.push(this.end(next, 'Expired', 'expiry_time reached'));
    }
    return events;
  }

  /** When the earliest held reservation expires (epoch ms), if any is held. */
  nextExpiryMs(): number | undefined {
    return this.expiries.peek()?.expiresAtMs;
  }

  get(reservationId: number): HeldReservation | undefined {
    return this.reservations.get(reservationId);
  }

  /** The held reservations, by reservation id. */
  list(): HeldReservation[] {
    return [...this.reservations.values()].sort((a, b) => a.reservationId - b.reservationId);
  }

  /** Up to `limit` held reservations, oldest first, without touching the rest. */
  oldest(limit: number): HeldReservation[] {
    const result: HeldReservation[] = [];
    for (const reservation of this.reservations.values()) {
      if (result.length >= limit) break;
      result.push(reservation);
    }
    return result;
  }

  /** The specific reservation holding an EVSE (by position), if any. */
  holderAt(position: number): HeldReservation | undefined {
    return this.station.holder(position);
  }

  /** Whether a station-wide reservation is held for this token or parent token. */
  stationWideFor(idToken: string, parentIdToken: string | undefined): HeldReservation | undefined {
    return this.stationWide.forToken(idToken, parentIdToken);
  }

  /** exists_reservation for an EVSE: whether a reservation stands in this token's way there. */
  exists(evseId: number, idToken: string, parentIdToken: string | undefined): CheckStatus {
    const position = this.station.positionOf(evseId);
    if (position === undefined) return 'NotReserved';
    const holder = this.station.holder(position);
    if (holder) return statusFor([holder], idToken, parentIdToken);
    if (this.stationWide.forTokenAt(position, idToken, parentIdToken)) return 'ReservedForToken';
    // As check_start and the token gate decide: a free EVSE is held for others where taking it breaks the guarantee.
    const needed = this.station.usableFor(position, UNKNOWN_TYPE) && !this.stationWide.keepsWithout(position);
    return needed ? statusFor(this.stationWide.thatCouldUse(position), idToken, parentIdToken) : 'NotReserved';
  }

  /**
   * check_start: may a session for this token start on this EVSE now, and which reservation does
   * it use (EVerest Auth's matches_reserved_identifier and is_charging_possible). The token gate
   * asks the same (domain/token-gate.ts). Where a driver is already authorised or charging nothing
   * new starts, and Auth's stop paths need the EVSE: never refused there.
   */
  checkStart(evseId: number, idToken: string, parentIdToken: string | undefined): StartCheck {
    const position = this.station.positionOf(evseId);
    if (position === undefined) return { allowed: false };
    const check = this.startAt(position, idToken, parentIdToken);
    return check.allowed || !this.station.isAuthorized(position) ? check : { allowed: true };
  }

  private startAt(position: number, idToken: string, parentIdToken: string | undefined): StartCheck {
    const holder = this.station.holder(position);
    if (holder) return reservedFor(holder, idToken, parentIdToken) ? { allowed: true, reservationId: holder.reservationId } : { allowed: false };
    const own = this.stationWide.forTokenAt(position, idToken, parentIdToken);
    if (own) return { allowed: true, reservationId: own.reservationId };
    return { allowed: this.stationWide.keepsWithout(position) };
  }

  /** Applies what an EVSE manager said about the EVSE at `position`; returns the reservations it ended. */
  evseChanged(position: number, change: EvseChange): DomainEvent[] {
    const station = this.station;
    switch (change.kind) {
      case 'Enabled':
      case 'Disabled':
        station.setDisabled(position, change.connectorId ?? 1, change.kind === 'Disabled');
        break;
      case 'Faulted':
      case 'FaultCleared':
        station.setFaulted(position, change.kind === 'Faulted');
        break;
      case 'SessionStarted': {
        // A car merely plugged in ends nothing: it may be the reserved driver's, about to authorise.
        station.setSession(position, true);
        const used = change.claim && this.usedBy(position, change.claim);
        return used ? [this.end(used, 'Used', 'its session started')] : [];
      }
      case 'SessionFinished':
        station.setSession(position, false);
        station.setTransaction(position, false);
        station.setAuthorized(position, false);
        return [];
      case 'Authorized':
      case 'Deauthorized':
      case 'TransactionFinished':
        station.setAuthorized(position, change.kind === 'Authorized');
        return [];
      case 'TransactionStarted': {
        station.setSession(position, true);
        station.setTransaction(position, true);
        station.setAuthorized(position, true);
        const used = this.usedBy(position, change);
        return [...(used ? [this.end(used, 'Used', 'its transaction started')] : []), ...this.fitStationWide()];
      }
    }
    return [...this.endUnservable(position), ...this.fitStationWide()];
  }

  /** get_evse answered (or the layout changed): the EVSE's id and connectors, then whatever no longer fits ends. */
  describeEvse(position: number, layout: EvseLayout): DomainEvent[] {
    const specific = [...this.reservations.values()].filter((r) => r.evseId !== 0);
    for (const r of specific) {
      const at = this.station.positionOf(r.evseId);
      if (at !== undefined) this.station.hold(at, undefined);
    }
    this.station.describe(position, layout);
    const events: DomainEvent[] = [];
    for (const r of specific) {
      const at = this.station.positionOf(r.evseId);
      if (at === undefined) events.push(this.end(r, 'Removed', `EVSE ${r.evseId} is no longer reported by any EVSE manager`, false));
      else this.station.hold(at, r);
    }
    for (const at of this.station.positions()) events.push(...this.endUnservable(at));
    return [...events, ...this.fitStationWide()];
  }

  /**
   * The positions EVerest tells reserve(-1), so that OCPP shows them Reserved: every available EVSE
   * when there are no more of them than station-wide reservations, else those having a type that
   * could take no further station-wide reservation (spec/everest-evse-dialect.md §5).
   */
  shownReserved(): number[] {
    return this.stationWide.shownReserved();
  }

  /** Runs `decide` as if `reservation` were not held, and puts it back exactly as it was. */
  private without<T>(reservation: HeldReservation | undefined, decide: () => T): T {
    if (!reservation) return decide();
    const position = reservation.evseId === 0 ? undefined : this.station.positionOf(reservation.evseId);
    if (position === undefined) return this.stationWide.without(reservation, decide);
    this.station.hold(position, undefined);
    try {
      return decide();
    } finally {
      this.station.hold(position, reservation);
    }
  }

  /** The reservation a session uses: by reservation_id, else by token on its EVSE, else a station-wide one where no other holds. */
  private usedBy(position: number, claim: SessionClaim): HeldReservation | undefined {
    const byId = claim.reservationId === undefined ? undefined : this.reservations.get(claim.reservationId);
    if (byId || claim.idToken === undefined) return byId;
    const holder = this.station.holder(position);
    if (holder) return reservedFor(holder, claim.idToken, claim.parentIdToken) ? holder : undefined;
    return this.stationWideFor(claim.idToken, claim.parentIdToken);
  }

  /** Ends the EVSE-specific reservation at `position` if no connector of its type is available there any more. */
  private endUnservable(position: number): DomainEvent[] {
    const holder = this.station.holder(position);
    if (!holder || offers(this.station.availableTypes(position), holder.connectorType ?? UNKNOWN_TYPE)) return [];
    const why = this.station.conditionsAt(position).faulted ? 'its EVSE is faulted' : 'its connector is disabled';
    return [this.end(holder, 'Removed', why)];
  }

  /** Ends the newest station-wide reservations until the guarantee holds again. */
  private fitStationWide(): DomainEvent[] {
    return this.stationWide.beyondGuarantee().map((reservation) => this.end(reservation, 'Removed', 'the station-wide guarantee no longer holds'));
  }

  private attach(reservation: HeldReservation): void {
    this.reservations.set(reservation.reservationId, reservation);
    this.expiries.add(reservation);
    if (reservation.evseId === 0) {
      this.stationWide.add(reservation);
    } else {
      this.station.hold(this.station.positionOf(reservation.evseId) as number, reservation);
    }
  }

  private detach(reservation: HeldReservation, heldOnStation = true): void {
    this.reservations.delete(reservation.reservationId);
    this.expiries.removed();
    if (reservation.evseId === 0) {
      this.stationWide.delete(reservation);
    } else if (heldOnStation) {
      this.station.hold(this.station.positionOf(reservation.evseId) as number, undefined);
    }
  }

  private end(reservation: HeldReservation, reason: EndReason, why: string, heldOnStation = true): DomainEvent {
    this.detach(reservation, heldOnStation);
    return { kind: 'ReservationEnded', reservation, reason, why };
  }
}

function statusFor(held: HeldReservation[], idToken: string, parentIdToken: string | undefined): CheckStatus {
  if (held.some((r) => reservedFor(r, idToken, parentIdToken))) return 'ReservedForToken';
  if (parentIdToken === undefined && held.some((r) => r.parentIdToken !== undefined)) return 'ReservedForOtherTokenAndHasParentToken';
  return 'ReservedForOtherToken';
}

/**
 * Built property by property, in one order: a spread of the request gave every held reservation
 * a hidden class of its own in V8 (~250 bytes each, a third of the memory per reservation).
 */
function heldReservation(request: ReservationRequest, evseId: number, order: number): HeldReservation {
  const reservation: HeldReservation = {
    reservationId: request.reservationId,
    evseId,
    idToken: request.idToken,
    expiryTime: request.expiryTime,
    expiresAtMs: request.expiresAtMs,
    order,
  };
  if (request.connectorType !== undefined) reservation.connectorType = request.connectorType;
  if (request.parentIdToken !== undefined) reservation.parentIdToken = request.parentIdToken;
  return reservation;
}
