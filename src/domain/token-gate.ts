// Where a token may start (spec/everest-token-path.md §2.1, §2.2), asked of the same engine as
// reserve_now and check_start: a token is narrowed to the EVSEs where check_start allows it, and a
// validated token on one EVSE is told the reservation it uses, or refused there.
import type { ReservationBook } from './reservation-book';

/** A token as it reaches the gate: who it is, and where it asks to start. */
export interface GateToken {
  idToken: string;
  parentIdToken?: string;
  /** Auth validates no prevalidated token, so nobody would check its group later. */
  prevalidated: boolean;
  /** The EVSE ids it names, in its order; absent: every EVSE. */
  evseIds?: readonly number[];
}

/** Why an EVSE was taken out of a token's list. */
export type RemovalReason = 'UnknownEvse' | 'ReservedForOtherToken' | 'NeededForStationWide';

export interface GateDecision {
  /** The EVSE ids to pass on: the one the token holds a reservation on first, then the list's order. */
  evseIds: number[];
  removed: Array<{ evseId: number; why: RemovalReason }>;
}

/**
 * The token's list narrowed to where it may start; undefined when it passes unchanged (nothing is
 * reserved). An EVSE holding a reservation with a parent token stays for a token that names only
 * it and carries no parent of its own: the validator's parent token decides there (validatedUse).
 */
export function narrowToken(book: ReservationBook, token: GateToken): GateDecision | undefined {
  if (book.size === 0) return undefined;
  const station = book.station;
  const asked = token.evseIds ?? station.positions().map((position) => station.idAt(position)).filter((id) => id > 0).sort((a, b) => a - b);
  const first: number[] = [];
  const kept: number[] = [];
  const removed: GateDecision['removed'] = [];
  for (const evseId of asked) {
    const position = station.positionOf(evseId);
    if (position === undefined) {
      removed.push({ evseId, why: 'UnknownEvse' });
      continue;
    }
    const check = book.checkStart(evseId, token.idToken, token.parentIdToken);
    const holder = station.holder(position);
    if (check.allowed) {
      (holder !== undefined && check.reservationId === holder.reservationId ? first : kept).push(evseId);
    } else if (holder === undefined) {
      removed.push({ evseId, why: 'NeededForStationWide' });
    } else if (holder.parentIdToken !== undefined && token.parentIdToken === undefined && !token.prevalidated && asked.length === 1) {
      kept.push(evseId);
    } else {
      removed.push({ evseId, why: 'ReservedForOtherToken' });
    }
  }
  return { evseIds: [...first, ...kept], removed };
}

/** What a validated token's start on the one EVSE its list names means for the reservations. */
export type ValidatedUse = { kind: 'uses'; reservationId: number } | { kind: 'refused'; why: Exclude<RemovalReason, 'UnknownEvse'> } | { kind: 'unaffected' };

/**
 * validate_token's part (§2.2): a token accepted by the validators uses the reservation check_start
 * names on the one EVSE its list names (by its token, or the parent token the validator found), or
 * may not start there at all. On a longer list (or none: every EVSE) it uses the reservation that
 * check_start names alike on every EVSE where Auth may start it (a station-wide one at a shared
 * reader): whichever Auth picks, the EvseManager then carries the id into the session.
 */
export function validatedUse(book: ReservationBook, evseIds: readonly number[] | undefined, idToken: string, parentIdToken: string | undefined): ValidatedUse {
  if (book.size === 0) return { kind: 'unaffected' };
  const station = book.station;
  if (evseIds?.length === 1) {
    const evseId = evseIds[0] as number;
    const position = station.positionOf(evseId);
    if (position === undefined) return { kind: 'unaffected' };
    const check = book.checkStart(evseId, idToken, parentIdToken);
    if (!check.allowed) return { kind: 'refused', why: station.holder(position) ? 'ReservedForOtherToken' : 'NeededForStationWide' };
    return check.reservationId === undefined ? { kind: 'unaffected' } : { kind: 'uses', reservationId: check.reservationId };
  }
  // Where a driver is already authorised or charging Auth starts nothing new.
  const ids = evseIds ?? station.positions().map((position) => station.idAt(position));
  const startable = ids.filter((id) => {
    const position = station.positionOf(id);
    return position !== undefined && !station.isAuthorized(position);
  });
  const names = new Set(startable.map((id) => book.checkStart(id, idToken, parentIdToken).reservationId));
  const [only] = names;
  return names.size === 1 && only !== undefined ? { kind: 'uses', reservationId: only } : { kind: 'unaffected' };
}
