import { keepsGuarantee, newestToRemove, shownReserved } from './guarantee';
import type { Station } from './station';
import { tokenKey } from './tokens';
import { type ConnectorType, type HeldReservation, UNKNOWN_TYPE } from './types';

/** The key of "taking this EVSE changes only the count" (no profile key is empty: a type name never is). */
const NOT_USABLE = '';

/**
 * The reservations for any EVSE of the station, in acceptance order, and the guarantee they are
 * owed (spec/everest-evse-dialect.md §5): what the station can still take, which of them must
 * give way, and which EVSEs they need.
 */
export class StationWideReservations {
  /** In acceptance order: the last is the newest. */
  private readonly held = new Map<number, HeldReservation>();
  /** How many are held of each type: what the guarantee is decided on. */
  private readonly types = new Map<ConnectorType, number>();
  private revision = 0;
  /** What shows Reserved, until the station or these reservations change (the EVSE managers' side asks often). */
  private shown: { station: number; held: number; positions: number[] } | undefined;
  /**
   * keepsWithout's answers, until the station or these reservations change: EVSEs offering the same
   * are alike to the guarantee, so a token at the gate asks the engine once per profile, not per EVSE.
   */
  private withoutAnswers: { station: number; held: number; byKey: Map<string, boolean> } | undefined;
  /** Held ones by their token's key and by their parent token's: a token at the gate finds its own without a scan per EVSE. */
  private readonly byToken = new Map<string, Set<HeldReservation>>();
  private readonly byParent = new Map<string, Set<HeldReservation>>();
  private lastOwned: { held: number; idToken: string; parentIdToken: string | undefined; owned: HeldReservation[] } | undefined;

  constructor(private readonly station: Station) {}

  get size(): number {
    return this.held.size;
  }

  add(reservation: HeldReservation): void {
    this.held.set(reservation.reservationId, reservation);
    this.count(reservation, 1);
    index(this.byToken, tokenKey(reservation.idToken), reservation, true);
    if (reservation.parentIdToken !== undefined) index(this.byParent, tokenKey(reservation.parentIdToken), reservation, true);
  }

  delete(reservation: HeldReservation): void {
    this.held.delete(reservation.reservationId);
    this.count(reservation, -1);
    index(this.byToken, tokenKey(reservation.idToken), reservation, false);
    if (reservation.parentIdToken !== undefined) index(this.byParent, tokenKey(reservation.parentIdToken), reservation, false);
  }

  /** Runs `decide` as if `reservation` were not held, keeping its place in the acceptance order. */
  without<T>(reservation: HeldReservation, decide: () => T): T {
    this.count(reservation, -1);
    try {
      return decide();
    } finally {
      this.count(reservation, 1);
    }
  }

  /** The guarantee with the reservations held, and one more of type `extra` if given. */
  keeps(extra?: ConnectorType): boolean {
    // Nothing held: the count check alone, which a station with an EVSE to spare always passes.
    if (this.held.size === 0 && extra === undefined) return true;
    const types = new Map(this.types);
    if (extra !== undefined) types.set(extra, (types.get(extra) ?? 0) + 1);
    return keepsGuarantee(this.station.view(), types);
  }

  /** The guarantee if the EVSE at `position` were taken by an EVSE-specific reservation (EVerest's is_charging_possible). */
  keepsWithout(position: number): boolean {
    const reserved = this.station.holder(position) !== undefined;
    // Nothing held: taking one more EVSE of the station keeps every count (it was not taken).
    if (this.held.size === 0 && !reserved) return true;
    // Taken already: nothing changes.
    if (reserved) return this.keeps();
    const { revision: station } = this.station;
    if (this.withoutAnswers?.station !== station || this.withoutAnswers.held !== this.revision) {
      this.withoutAnswers = { station, held: this.revision, byKey: new Map() };
    }
    const key = this.station.usableKey(position) ?? NOT_USABLE;
    let answer = this.withoutAnswers.byKey.get(key);
    if (answer === undefined) {
      answer = keepsGuarantee(this.station.viewWithout(position), this.types);
      this.withoutAnswers.byKey.set(key, answer);
    }
    return answer;
  }

  /** The newest reservations that must end, newest first, for the guarantee to hold again. */
  beyondGuarantee(): HeldReservation[] {
    if (this.held.size === 0 || this.keeps()) return [];
    const count = newestToRemove(this.station.view(), this.typeList());
    return [...this.held.values()].slice(-count).reverse();
  }

  /** The positions EVerest tells reserve(-1), so that OCPP shows them Reserved (spec §5 "Showing Reserved"). */
  shownReserved(): number[] {
    // None held: no EVSE is needed (and the EVSE managers' side asks at every change).
    if (this.held.size === 0) return [];
    const { revision: station } = this.station;
    if (this.shown?.station !== station || this.shown.held !== this.revision) {
      const evses = this.station.positions().map((p) => this.station.guaranteeEvse(p));
      const positions = [...shownReserved(evses, this.typeList())].map((index) => index + 1).sort((a, b) => a - b);
      this.shown = { station, held: this.revision, positions };
    }
    return [...this.shown.positions];
  }

  /** The oldest one held for this token or parent token. */
  forToken(idToken: string, parentIdToken: string | undefined): HeldReservation | undefined {
    return this.ownedBy(idToken, parentIdToken)[0];
  }

  /** The oldest one held for this token or parent token whose type the EVSE at `position` has (in any state). */
  forTokenAt(position: number, idToken: string, parentIdToken: string | undefined): HeldReservation | undefined {
    return this.ownedBy(idToken, parentIdToken).find((reservation) => this.station.hasType(position, reservation.connectorType ?? UNKNOWN_TYPE));
  }

  /** Those held for this token (or, if given, its parent token), oldest first: as reservedFor matches. */
  private ownedBy(idToken: string, parentIdToken: string | undefined): HeldReservation[] {
    // The gate asks for one token once per EVSE: the last answer stands until these reservations change.
    const last = this.lastOwned;
    if (last?.held === this.revision && last.idToken === idToken && last.parentIdToken === parentIdToken) return last.owned;
    const byToken = this.byToken.get(tokenKey(idToken));
    const byParent = parentIdToken === undefined ? undefined : this.byParent.get(tokenKey(parentIdToken));
    const owned = byToken === undefined && byParent === undefined ? [] : [...new Set([...(byToken ?? []), ...(byParent ?? [])])].sort((a, b) => a.order - b.order);
    this.lastOwned = { held: this.revision, idToken, parentIdToken, owned };
    return owned;
  }

  /** Those whose type the EVSE at `position` has (in any state): the ones that may need it. */
  thatCouldUse(position: number): HeldReservation[] {
    return [...this.held.values()].filter((r) => this.station.hasType(position, r.connectorType ?? UNKNOWN_TYPE));
  }

  private typeList(): ConnectorType[] {
    return [...this.held.values()].map((r) => r.connectorType ?? UNKNOWN_TYPE);
  }

  private count(reservation: HeldReservation, sign: 1 | -1): void {
    this.revision++;
    const type = reservation.connectorType ?? UNKNOWN_TYPE;
    const count = (this.types.get(type) ?? 0) + sign;
    if (count > 0) this.types.set(type, count);
    else this.types.delete(type);
  }
}

function index(map: Map<string, Set<HeldReservation>>, key: string, reservation: HeldReservation, add: boolean): void {
  const set = map.get(key) ?? new Set<HeldReservation>();
  if (add) set.add(reservation);
  else set.delete(reservation);
  if (set.size > 0) map.set(key, set);
  else map.delete(key);
}
