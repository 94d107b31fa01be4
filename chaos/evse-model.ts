// A reference model of the module in today's interface (reservation_interface: evse), written from
// spec/everest-evse-dialect.md (§4 the decision, §5 the guarantee and what shows Reserved, §6
// exists_reservation, §7 ends and reservation_update) and the EVSE managers' behaviour (§2.3, as
// EVerest's EvseManager keeps a reservation); it imports nothing from src/. One world is one
// possible state of the module AND of its EVSE managers: what the module knows of each EVSE (its
// session events since it started) and what the EVSE manager really is (the runner's doubles),
// which differ after the module restarts (session events are not retained).
import { hasType, keeps, matches, type RefEvse, shownReserved, UNKNOWN, usable } from './guarantee';
import { type EvseEvent, expireWorlds, listAnswer, type ModelEnd, type ModelWorld, reservedFor, type SentEvent } from './model';
import { type EvseRequest, SOAK_EVSES } from './schedule';

export type UpdateStatus = 'Placed' | 'Expired' | 'Cancelled' | 'Removed' | 'Used';
/** reservation_end keeps the seed's three reasons: Removed is Cancelled there (spec §7). */
const END_REASON: Readonly<Record<Exclude<UpdateStatus, 'Placed'>, string>> = { Expired: 'Expired', Cancelled: 'Cancelled', Removed: 'Cancelled', Used: 'UsedToStartCharging' };

export interface EvseHeld {
  id: number;
  /** The EVSE id, 0 for a station-wide reservation. */
  evse: number;
  /** The connector type asked for, as given (absent: any). */
  type?: string;
  token: string;
  parent?: string;
  expiryTime: string;
  expiryMs: number;
  /** Acceptance order: the newest station-wide reservation gives way first. */
  order: number;
}

/** What is true of an EVSE: what its manager said (connector 1 enabled or not), or is. */
interface Conditions {
  faulted: boolean;
  /** Connector 1 disabled (EvseManager's Enabled/Disabled name no connector: connector 1). */
  disabled: boolean;
  /** A car plugged in, or charging. */
  session: boolean;
}

const FINE: Conditions = { faulted: false, disabled: false, session: false };
const EVSES = SOAK_EVSES.length;
/**
 * A reservation placed while its reserve(id) was lost (a broker outage) stands; the module asks
 * again once the broker is back and two seconds later, and a busy EVSE manager refuses: it ends
 * (Removed) within this long (an outage of up to 2.5 s, the module's reconnect back-off, the
 * recheck, three calls' timeouts).
 */
const LOST_CALL_MS = 20_000;

/** Why the model refused: a refusal by the guarantee is the named invariant of issue 28. */
export type Why = 'guarantee' | 'other';
/** The invariant behind the station-wide reservations the model refuses or ends. */
export const GUARANTEE = 'station-wide guarantee';

export class EvseWorld implements ModelWorld<EvseWorld> {
  held = new Map<number, EvseHeld>();
  ends: ModelEnd[] = [];
  updates: ModelEnd[] = [];
  nextOrder = 1;
  upSinceMs = 0;
  choices = new Map<string, string>();
  /** What the module knows of each EVSE (index = position), from the session events since it started. */
  known: Conditions[] = SOAK_EVSES.map(() => ({ ...FINE }));
  /** What each EVSE manager is (the double's state): it refuses reserve while any of it holds. */
  truth: Conditions[] = SOAK_EVSES.map(() => ({ ...FINE }));
  /** EVSE managers down (restarting): calls to them are lost. */
  down: boolean[] = SOAK_EVSES.map(() => false);
  /** Why the last reserve_now was refused (for the report). */
  lastWhy: Why | undefined;
  /** What the module held at each EVSE (position -> id) once its last restart restored the file: what it announces. */
  restored = new Map<number, number>();
  /** Reservations placed without their EVSE manager's answer (a lost call) where it is busy: id -> when; they end once it is asked again. */
  doomed = new Map<number, number>();

  clone(): EvseWorld {
    const copy = new EvseWorld();
    copy.held = new Map(this.held);
    copy.ends = this.ends.slice();
    copy.updates = this.updates.slice();
    copy.nextOrder = this.nextOrder;
    copy.upSinceMs = this.upSinceMs;
    copy.choices = new Map(this.choices);
    copy.known = this.known.map((c) => ({ ...c }));
    copy.truth = this.truth.map((c) => ({ ...c }));
    copy.down = this.down.slice();
    copy.restored = this.restored;
    copy.doomed = new Map(this.doomed);
    return copy;
  }

  key(): string {
    const held = [...this.held.values()].sort((a, b) => a.order - b.order).map((r) => [r.id, r.evse, r.type ?? null, r.token, r.parent ?? null, r.expiryTime]);
    const byId = (list: ModelEnd[]): string[] => list.map((e) => `${e.id}:${e.reason}`).sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]));
    return JSON.stringify([this.known, this.truth, this.down, held, byId(this.ends), byId(this.updates), [...this.choices].sort(), [...this.restored], [...this.doomed]]);
  }

  // ---- derived state -------------------------------------------------------------------------

  holderAt(position: number): EvseHeld | undefined {
    for (const r of this.held.values()) if (r.evse === position) return r;
    return undefined;
  }

  stationWide(): EvseHeld[] {
    return [...this.held.values()].filter((r) => r.evse === 0).sort((a, b) => a.order - b.order);
  }

  /** The station as the module sees it; `taken`: a position counted as held (an EVSE-specific reservation being decided). */
  station(taken?: number): RefEvse[] {
    return SOAK_EVSES.map((evse, index) => {
      const position = index + 1;
      const known = this.known[index] as Conditions;
      return {
        connectors: evse.connectors.map((c) => ({ type: c.type ?? UNKNOWN, available: !known.faulted && !(known.disabled && c.id === 1) })),
        occupied: known.session,
        held: position === taken || this.holderAt(position) !== undefined,
      };
    });
  }

  private types(): string[] {
    return this.stationWide().map((r) => r.type ?? UNKNOWN);
  }

  /** EvseManager::reserve refuses while disabled, faulted or not idle. */
  busy(position: number): boolean {
    const truth = this.truth[position - 1] as Conditions;
    return truth.disabled || truth.faulted || truth.session;
  }

  /** What the EVSE manager at `position` must show once all is quiet: the book, where it can take it. */
  expectedShown(position: number): number | null {
    const holder = this.holderAt(position);
    if (holder) return this.doomed.has(holder.id) ? null : holder.id;
    const shown = shownReserved(this.station(), this.types());
    return shown.has(position - 1) && !this.busy(position) ? -1 : null;
  }

  list(): unknown[] {
    return [...this.held.values()]
      .sort((a, b) => a.id - b.id)
      .map((r) => ({
        reservation_id: r.id,
        ...(r.evse !== 0 ? { evse_id: r.evse } : {}),
        ...(r.type !== undefined ? { connector_type: r.type } : {}),
        id_token: r.token,
        ...(r.parent !== undefined ? { parent_id_token: r.parent } : {}),
        expiry_time: r.expiryTime,
      }));
  }

  // ---- commands ----------------------------------------------------------------------------

  run(sent: SentEvent, nowMs: number, input: number, callLost = false): string {
    const c = sent.command;
    switch (c.cmd) {
      case 'reserve_now': {
        const r = sent.reserve as NonNullable<SentEvent['reserve']>;
        const held = { id: r.id, token: r.token, ...(r.parent !== undefined ? { parent: r.parent } : {}), expiryTime: r.expiryTime, expiryMs: r.expiryMs };
        return JSON.stringify(this.reserveNow(r.request ?? {}, held, nowMs, input, callLost));
      }
      case 'cancel_reservation': {
        const r = this.held.get(c.id);
        if (r) this.end(r, 'Cancelled', nowMs, 'command', input);
        return JSON.stringify(r !== undefined);
      }
      case 'exists_reservation':
        return JSON.stringify('request' in c ? this.exists(c.request.evse, c.token, c.parent) : null);
      case 'check_start':
        return JSON.stringify(this.checkStart(c.evse, c.token, c.parent));
      case 'list_reservations':
        return listAnswer(this.list());
    }
  }

  /** reserve_now({request}) (spec §4), then the EVSE manager's last word on an EVSE-specific one. */
  reserveNow(request: EvseRequest, r: Omit<EvseHeld, 'evse' | 'type' | 'order'>, nowMs: number, input: number, callLost = false): string {
    this.lastWhy = 'other';
    if (r.expiryMs <= nowMs) return 'Rejected';
    const any = request.evse === undefined || request.evse < 0;
    const position = any ? 0 : (request.evse as number);
    if (!any && (position < 1 || position > EVSES)) return 'Rejected';
    const type = request.type ?? UNKNOWN;
    const station = this.station();
    if (any ? !station.some((e) => hasType(e, type)) : !hasType(station[position - 1] as RefEvse, type)) return 'Rejected';
    // Decided as if a reservation with the same id were not held; replaced only if accepted.
    const without = this.clone();
    without.held.delete(r.id);
    const result = without.decide(position, type);
    this.lastWhy = without.lastWhy;
    if (result !== 'Accepted') return result;
    // The EVSE manager has the last word: it refuses while busy (an EVSE manager down, or a call lost, gets no answer: the reservation stands).
    const unanswered = position !== 0 && (this.down[position - 1] || callLost);
    if (position !== 0 && !unanswered && this.busy(position)) {
      this.lastWhy = 'other';
      return 'Occupied';
    }
    const replaced = this.held.get(r.id);
    this.held.delete(r.id);
    this.doomed.delete(r.id);
    if (callLost && position !== 0 && this.busy(position)) this.doomed.set(r.id, nowMs);
    const held: EvseHeld = { ...r, evse: position, ...(request.type !== undefined ? { type: request.type } : {}), order: this.nextOrder++ };
    this.held.set(r.id, held);
    if (!replaced) this.updates.push({ id: r.id, reason: 'Placed', atMs: nowMs, cause: 'command', input, reservation: held });
    return 'Accepted';
  }

  private decide(position: number, type: string): string {
    const station = this.station();
    if (position !== 0) {
      const evse = station[position - 1] as RefEvse;
      const known = this.known[position - 1] as Conditions;
      const heldByOther = this.holderAt(position) !== undefined;
      const offered = evse.connectors.some((c) => c.available && matches(type, c.type));
      if (heldByOther || known.session) return 'Occupied';
      if (!offered) return known.faulted ? 'Faulted' : 'Unavailable';
      if (keeps(this.station(position), this.types())) return 'Accepted';
    } else if (keeps(station, [...this.types(), type])) {
      return 'Accepted';
    }
    this.lastWhy = 'guarantee';
    // Occupied when any reservation is held, else the state of the EVSEs having the type.
    if (this.held.size > 0) return 'Occupied';
    const having = station.map((evse, index) => ({ evse, known: this.known[index] as Conditions })).filter((x) => hasType(x.evse, type));
    if (having.some((x) => x.known.session)) return 'Occupied';
    if (having.some((x) => x.known.faulted)) return 'Faulted';
    if (having.some((x) => !x.evse.connectors.some((c) => c.available && matches(type, c.type)))) return 'Unavailable';
    return 'Occupied';
  }

  /** Today's exists_reservation (spec §6): station-wide ones alone without an EVSE; else the EVSE's own, or station-wide ones that need it. */
  exists(evse: number | undefined, token: string, group: string | undefined): string {
    if (evse === undefined || evse < 0) return this.stationWide().some((r) => reservedFor(r, token, group)) ? 'ReservedForToken' : 'NotReserved';
    if (evse < 1 || evse > EVSES) return 'NotReserved';
    const holder = this.holderAt(evse);
    if (holder) return statusFor([holder], token, group);
    const relevant = this.couldUse(evse);
    if (relevant.length === 0) return 'NotReserved';
    if (relevant.some((r) => reservedFor(r, token, group))) return 'ReservedForToken';
    return this.needed(evse) ? statusFor(relevant, token, group) : 'NotReserved';
  }

  /** check_start: allowed for the EVSE's own holder, a station-wide reservation of the token, or anyone if the EVSE is not needed. */
  checkStart(evse: number, token: string, parent: string | undefined): { allowed: boolean; reservation_id?: number } {
    if (evse < 1 || evse > EVSES) return { allowed: false };
    const holder = this.holderAt(evse);
    if (holder) return reservedFor(holder, token, parent) ? { allowed: true, reservation_id: holder.id } : { allowed: false };
    const own = this.couldUse(evse).find((r) => reservedFor(r, token, parent));
    if (own) return { allowed: true, reservation_id: own.id };
    return { allowed: keeps(this.station(evse), this.types()) };
  }

  /** Station-wide reservations whose type the EVSE has (in any state). */
  private couldUse(position: number): EvseHeld[] {
    const evse = this.station()[position - 1] as RefEvse;
    return this.stationWide().filter((r) => hasType(evse, r.type ?? UNKNOWN));
  }

  /** Usable now, and the station-wide reservations would lose their guarantee without it. */
  private needed(position: number): boolean {
    return usable(this.station()[position - 1] as RefEvse, UNKNOWN) && !keeps(this.station(position), this.types());
  }

  // ---- EVSE managers -------------------------------------------------------------------------

  evseEvent(e: EvseEvent, input: number): EvseWorld[] {
    const index = e.evse - 1;
    const known = this.known[index] as Conditions;
    const truth = this.truth[index] as Conditions;
    const at = e.t0;
    switch (e.event) {
      case 'Enabled':
        known.disabled = truth.disabled = false;
        break;
      case 'Disabled': {
        known.disabled = truth.disabled = true;
        // The EVSE manager drops its reservation (ReservationEnd) whatever connector the type needs.
        const holder = this.holderAt(e.evse);
        if (holder) this.end(holder, 'Removed', at, 'evse', input);
        break;
      }
      case 'RaiseInoperative':
        known.faulted = truth.faulted = true;
        break;
      case 'ClearInoperative':
        known.faulted = truth.faulted = false;
        break;
      case 'SessionStarted':
        known.session = truth.session = true; // a car plugged in ends nothing
        return [this];
      case 'SessionFinished':
        known.session = truth.session = false;
        this.confirmDoomed(e.evse);
        return [this];
      case 'SessionAuthorized':
      case 'TransactionStarted': {
        known.session = truth.session = true;
        const worlds = this.used(e.evse, e.tx, at, input);
        // A transaction that uses none of the free EVSEs' reservations may break the guarantee (a walk-in); a session alone does not.
        if (e.event === 'TransactionStarted') for (const w of worlds) w.fit(at, input);
        return worlds;
      }
    }
    this.confirmDoomed(e.evse);
    // Faulted or without the connector its type needs, a reservation there ends; then the guarantee.
    const holder = this.holderAt(e.evse);
    if (holder && !(this.station()[index] as RefEvse).connectors.some((c) => c.available && matches(holder.type ?? UNKNOWN, c.type))) {
      this.end(holder, 'Removed', at, 'evse', input);
    }
    this.fit(at, input);
    return [this];
  }

  /** Its EVSE manager is no longer busy: asked again, it takes the reservation placed on a lost call. */
  private confirmDoomed(position: number): void {
    if (this.busy(position)) return;
    for (const id of [...this.doomed.keys()]) if (this.held.get(id)?.evse === position) this.doomed.delete(id);
  }

  /**
   * The reservation a session uses: the one it names (the EVSE manager's word), else the EVSE's own
   * for this token, else, where no other holds the EVSE, a station-wide one for it (any of several).
   */
  private used(position: number, tx: EvseEvent['tx'], atMs: number, input: number): EvseWorld[] {
    if (!tx) return [this];
    const named = tx.reservationId !== undefined ? this.held.get(tx.reservationId) : undefined;
    let candidates: EvseHeld[];
    if (named) candidates = [named];
    else {
      const holder = this.holderAt(position);
      candidates = holder ? (reservedFor(holder, tx.token, tx.parent) ? [holder] : []) : this.stationWide().filter((r) => reservedFor(r, tx.token, tx.parent));
    }
    if (candidates.length === 0) return [this];
    return candidates.map((r) => {
      const world = candidates.length === 1 ? this : this.clone();
      world.end(r, 'Used', atMs, 'evse', input);
      return world;
    });
  }

  /** The newest station-wide reservations end (Removed) until the guarantee holds again. */
  private fit(atMs: number, input: number): void {
    for (let wide = this.stationWide(); wide.length > 0 && !keeps(this.station(), this.types()); wide = this.stationWide()) {
      this.end(wide[wide.length - 1] as EvseHeld, 'Removed', atMs, 'evse', input, GUARANTEE);
    }
  }

  /** The EVSE manager at `position` goes down: its reservation goes with it. */
  evseDown(position: number): void {
    this.down[position - 1] = true;
  }

  /**
   * It is back and said ModuleReady: the module tells it again what it shows; a reservation there
   * it refuses (busy) ends.
   */
  evseUp(position: number, atMs: number, input: number): void {
    this.down[position - 1] = false;
    const holder = this.holderAt(position);
    if (holder && this.busy(position)) this.end(holder, 'Removed', atMs, 'evse', input);
  }

  // ---- time and restarts ---------------------------------------------------------------------

  expire(certainMs: number, possibleMs: number, lateMs: number, input: number): EvseWorld[] {
    const worlds = expireWorlds<EvseWorld, EvseHeld>(this, (w) => w.held.values(), (w, r) => w.end(r, 'Expired', r.expiryMs, 'expiry', input), certainMs, possibleMs, lateMs);
    return worlds.flatMap((w) => w.refuseDoomed(certainMs, input));
  }

  /** Reservations placed on a lost call, where the EVSE manager is busy: ended when it is asked again, at the latest LOST_CALL_MS on. */
  private refuseDoomed(certainMs: number, input: number): EvseWorld[] {
    for (const id of [...this.doomed.keys()]) if (!this.held.has(id)) this.doomed.delete(id);
    if (this.doomed.size === 0) return [this];
    const refused = this.clone();
    for (const [id, since] of refused.doomed) refused.end(refused.held.get(id) as EvseHeld, 'Removed', since, 'evse', input);
    refused.doomed.clear();
    const overdue = [...this.doomed.values()].some((since) => since + LOST_CALL_MS < certainMs);
    return overdue ? [refused] : [this, refused];
  }

  /** A restart: the reservations held are held again (in their order); the module knows nothing of its EVSEs. */
  restart(spawnedMs: number): void {
    this.known = SOAK_EVSES.map(() => ({ ...FINE }));
    this.upSinceMs = spawnedMs;
  }

  /**
   * Ready: what expired while it was down ended at the restore; each EVSE manager was told what it
   * holds, and refused a reservation where it is busy (the module did not know: it ends, Removed).
   */
  ready(readyMs: number, input: number): void {
    for (const r of [...this.held.values()]) if (r.expiryMs <= this.upSinceMs) this.end(r, 'Expired', r.expiryMs, 'expiry', input);
    this.restored = new Map([...this.held.values()].filter((r) => r.evse !== 0).map((r) => [r.evse, r.id]));
    this.upSinceMs = readyMs;
    for (let position = 1; position <= EVSES; position++) {
      const holder = this.holderAt(position);
      if (holder && this.busy(position)) this.end(holder, 'Removed', readyMs, 'evse', input);
    }
  }

  unend(end: ModelEnd): void {
    const index = this.ends.indexOf(end);
    if (index >= 0) this.ends.splice(index, 1);
    const update = end.update ? this.updates.indexOf(end.update) : -1;
    if (update >= 0) this.updates.splice(update, 1);
    this.held.set(end.reservation.id, end.reservation as EvseHeld);
  }

  private end(r: EvseHeld, status: Exclude<UpdateStatus, 'Placed'>, atMs: number, cause: ModelEnd['cause'], input: number, rule?: string): void {
    this.held.delete(r.id);
    const update: ModelEnd = { id: r.id, reason: status, atMs, cause, input, reservation: r, ...(rule ? { rule } : {}) };
    this.updates.push(update);
    this.ends.push({ id: r.id, reason: END_REASON[status], atMs, cause, input, reservation: r, update, ...(rule ? { rule } : {}) });
  }
}

function statusFor(held: EvseHeld[], token: string, group: string | undefined): string {
  if (held.some((r) => reservedFor(r, token, group))) return 'ReservedForToken';
  if (group === undefined && held.some((r) => r.parent !== undefined)) return 'ReservedForOtherTokenAndHasParentToken';
  return 'ReservedForOtherToken';
}
