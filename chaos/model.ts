// A reference model of the reservation module, written from spec/reservation-module.md alone
// (it imports nothing from src/domain): one possible state of the module as its callers see it.
// The checker keeps a set of these ("worlds") where the real system is nondeterministic.

export type ReserveResult = 'Accepted' | 'Faulted' | 'Occupied' | 'Rejected' | 'Unavailable';
export type ExistsStatus = 'NotReserved' | 'ReservedForToken' | 'ReservedForOtherToken' | 'ReservedForOtherTokenAndHasParentToken';
export type EndReason = 'Expired' | 'Cancelled' | 'UsedToStartCharging';

export interface Held {
  id: number;
  connector: number;
  token: string;
  parent?: string;
  expiryTime: string;
  expiryMs: number;
  /** Acceptance order: the newest station-wide reservation gives way first. */
  order: number;
}

export interface ModelEnd {
  id: number;
  reason: EndReason;
  /** Earliest time the module can have published it (the input's time, or the expiry). */
  atMs: number;
  /** What ended it: a command is on disk before its answer; EVSE events and expiries are written just after. */
  cause: 'command' | 'evse' | 'expiry';
  /** Index of the input (log event) that caused it: ends of one input are written together. */
  input: number;
  reservation: Held;
}

export interface WireHeld {
  reservation_id: number;
  connector_id: number;
  id_token: string;
  parent_id_token?: string;
  expiry_time: string;
}

interface Conditions {
  faulted: boolean;
  disabled: boolean;
  occupied: boolean;
}

export const CONNECTORS = 2;

/** Tokens are CiStrings: compared case-insensitively. */
function same(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

/** "has this id_token or this parent_id_token" (spec, exists_reservation / UsedToStartCharging). */
function isFor(r: Held, token: string, parent: string | undefined): boolean {
  return same(r.token, token) || (parent !== undefined && r.parent !== undefined && same(r.parent, parent));
}

export class World {
  connectors: Conditions[] = [];
  held = new Map<number, Held>();
  ends: ModelEnd[] = [];
  nextOrder = 1;
  /** When the module (re)started: expiries during a downtime happen at the restart. */
  upSinceMs = 0;
  /** Per call attempt whose fate is unknown: the result it had if it was applied, or 'not-applied'. */
  choices = new Map<string, string>();

  constructor() {
    this.resetConnectors();
  }

  clone(): World {
    const copy = new World();
    copy.connectors = this.connectors.map((c) => ({ ...c }));
    copy.held = new Map(this.held);
    copy.ends = this.ends.slice();
    copy.nextOrder = this.nextOrder;
    copy.upSinceMs = this.upSinceMs;
    copy.choices = new Map(this.choices);
    return copy;
  }

  /** Two worlds with the same key behave the same from now on and explain the same observations. */
  key(): string {
    const held = [...this.held.values()].sort((a, b) => a.order - b.order).map((r) => [r.id, r.connector, r.token, r.parent ?? null, r.expiryTime]);
    // Per reservation id in order: the order between ids does not matter to what was observed.
    const ends = this.ends.map((e) => `${e.id}:${e.reason}`).sort((a, b) => Number(a.split(':')[0]) - Number(b.split(':')[0]));
    return JSON.stringify([this.connectors.slice(1), held, ends, [...this.choices].sort()]);
  }

  // ---- derived state -------------------------------------------------------------------------

  holderOf(connector: number): Held | undefined {
    for (const r of this.held.values()) if (r.connector === connector) return r;
    return undefined;
  }

  available(connector: number): boolean {
    const c = this.connectors[connector] as Conditions;
    return !c.faulted && !c.disabled && !c.occupied;
  }

  /** Available and held by no specific reservation. */
  freeConnectors(): number[] {
    const free: number[] = [];
    for (let c = 1; c <= CONNECTORS; c++) if (this.available(c) && this.holderOf(c) === undefined) free.push(c);
    return free;
  }

  stationWide(): Held[] {
    return [...this.held.values()].filter((r) => r.connector === 0).sort((a, b) => a.order - b.order);
  }

  list(): WireHeld[] {
    return [...this.held.values()]
      .sort((a, b) => a.id - b.id)
      .map((r) => ({ reservation_id: r.id, connector_id: r.connector, id_token: r.token, ...(r.parent !== undefined ? { parent_id_token: r.parent } : {}), expiry_time: r.expiryTime }));
  }

  // ---- commands ----------------------------------------------------------------------------

  reserveNow(connector: number, request: Omit<Held, 'connector' | 'order'>, nowMs: number, input: number): ReserveResult {
    if (connector !== 0 && (connector < 1 || connector > CONNECTORS)) return 'Rejected'; // rule 2
    // rule 3: connector 0 is supported in the chaos config
    if (request.expiryMs <= nowMs) return 'Rejected'; // rule 4
    // rule 5: evaluated as if the reservation with the same id were not held
    const without = this.clone();
    without.held.delete(request.id);
    const result = without.decide(connector);
    if (result !== 'Accepted') return result;
    void input;
    this.held.delete(request.id);
    this.held.set(request.id, { ...request, connector, order: this.nextOrder++ });
    return 'Accepted';
  }

  private decide(connector: number): ReserveResult {
    const free = this.freeConnectors().length;
    const stationWide = this.stationWide().length;
    if (connector === 0) {
      // rule 7
      if (free > stationWide) return 'Accepted';
      const all = [...Array(CONNECTORS).keys()].map((i) => this.connectors[i + 1] as Conditions);
      if (all.every((c) => c.faulted)) return 'Faulted';
      if (all.every((c) => c.faulted || c.disabled)) return 'Unavailable';
      return 'Occupied';
    }
    // rule 6
    const c = this.connectors[connector] as Conditions;
    if (c.faulted) return 'Faulted';
    if (c.disabled) return 'Unavailable';
    if (c.occupied || this.holderOf(connector) !== undefined) return 'Occupied';
    if (free - 1 < stationWide) return 'Occupied';
    return 'Accepted'; // rule 8
  }

  cancel(id: number, nowMs: number, input: number): boolean {
    const r = this.held.get(id);
    if (!r) return false;
    this.end(r, 'Cancelled', nowMs, 'command', input);
    return true;
  }

  exists(connector: number, token: string, parent: string | undefined): ExistsStatus {
    if (connector < 1 || connector > CONNECTORS) return 'NotReserved';
    const status = (held: Held[]): ExistsStatus => {
      if (held.some((r) => isFor(r, token, parent))) return 'ReservedForToken';
      if (parent === undefined && held.some((r) => r.parent !== undefined)) return 'ReservedForOtherTokenAndHasParentToken';
      return 'ReservedForOtherToken';
    };
    const holder = this.holderOf(connector);
    if (holder) return status([holder]);
    const stationWide = this.stationWide();
    if (stationWide.length === 0) return 'NotReserved';
    // A station-wide reservation of this token may use this connector (a plugged-in car included).
    if (stationWide.some((r) => isFor(r, token, parent))) return 'ReservedForToken';
    // A free connector must stay free while the station-wide reservations of others need it.
    const free = this.freeConnectors();
    if (free.includes(connector) && free.length - 1 < stationWide.length) return status(stationWide);
    return 'NotReserved';
  }

  // ---- EVSE managers -------------------------------------------------------------------------

  /**
   * What an EVSE manager's event does; more than one world when the spec leaves the choice
   * open (several station-wide reservations of the same token: any of them may be used).
   */
  connectorEvent(connector: number, event: string, tx: { token: string; parent?: string; reservationId?: number } | undefined, nowMs: number, input: number): World[] {
    const c = this.connectors[connector] as Conditions;
    switch (event) {
      case 'Enabled':
        c.disabled = false;
        break;
      case 'Disabled':
        c.disabled = true;
        break;
      case 'RaiseInoperative':
        c.faulted = true;
        break;
      case 'ClearInoperative':
        c.faulted = false;
        break;
      case 'SessionStarted':
        c.occupied = true; // ends nothing: it may be the reserved driver, about to authorise
        return [this];
      case 'SessionFinished':
        c.occupied = false;
        return [this];
      case 'TransactionStarted': {
        c.occupied = true;
        const tok = tx as { token: string; parent?: string; reservationId?: number };
        let candidates: Held[] = [];
        const byId = tok.reservationId !== undefined ? this.held.get(tok.reservationId) : undefined;
        if (byId) candidates = [byId];
        else {
          const holder = this.holderOf(connector);
          if (holder && isFor(holder, tok.token, tok.parent)) candidates = [holder];
          else candidates = this.stationWide().filter((r) => isFor(r, tok.token, tok.parent));
        }
        if (candidates.length === 0) {
          this.fitStationWide(nowMs, input);
          return [this];
        }
        return candidates.map((used) => {
          const world = candidates.length === 1 ? this : this.clone();
          world.end(used, 'UsedToStartCharging', nowMs, 'evse', input);
          world.fitStationWide(nowMs, input);
          return world;
        });
      }
      default:
        return [this];
    }
    const holder = this.holderOf(connector);
    if (holder && (c.faulted || c.disabled)) this.end(holder, 'Cancelled', nowMs, 'evse', input); // OCPP 1.6
    this.fitStationWide(nowMs, input);
    return [this];
  }

  /** The newest station-wide reservations end while the free connectors cannot serve them all. */
  private fitStationWide(nowMs: number, input: number): void {
    for (;;) {
      const stationWide = this.stationWide();
      if (stationWide.length <= this.freeConnectors().length) return;
      this.end(stationWide[stationWide.length - 1] as Held, 'Cancelled', nowMs, 'evse', input);
    }
  }

  // ---- time and restarts ---------------------------------------------------------------------

  /**
   * Expiries between two instants: a reservation due well before `certainMs` has ended (the
   * module ends it within a second, `lateMs` allows for a loaded machine), one due by `possibleMs`
   * may have. Worlds: one per number of the possible ones that ended (they end in expiry order).
   */
  expire(certainMs: number, possibleMs: number, lateMs: number, input: number): World[] {
    const due = [...this.held.values()].sort((a, b) => a.expiryMs - b.expiryMs || a.order - b.order);
    const possible: Held[] = [];
    for (const r of due) {
      if (Math.max(r.expiryMs, this.upSinceMs) + lateMs < certainMs) this.end(r, 'Expired', r.expiryMs, 'expiry', input);
      else if (r.expiryMs <= possibleMs) possible.push(r);
    }
    if (possible.length === 0) return [this];
    const worlds: World[] = [this.clone()];
    let world = this.clone();
    for (const r of possible) {
      world.end(r, 'Expired', r.expiryMs, 'expiry', input);
      worlds.push(world);
      world = world.clone();
    }
    return worlds;
  }

  /**
   * A restart: the reservations held are held again (in their order), and the module knows
   * nothing of its connectors until the EVSE managers say something (session events are not retained).
   */
  restart(readyMs: number): void {
    this.resetConnectors();
    this.upSinceMs = readyMs;
  }

  /** Undoes an end that was not on disk when the module was killed: the reservation is held again. */
  unend(end: ModelEnd): void {
    const index = this.ends.indexOf(end);
    if (index >= 0) this.ends.splice(index, 1);
    this.held.set(end.reservation.id, end.reservation);
  }

  private end(r: Held, reason: EndReason, atMs: number, cause: ModelEnd['cause'], input: number): void {
    this.held.delete(r.id);
    this.ends.push({ id: r.id, reason, atMs, cause, input, reservation: r });
  }

  private resetConnectors(): void {
    this.connectors = [{ faulted: false, disabled: false, occupied: false }];
    for (let c = 1; c <= CONNECTORS; c++) this.connectors.push({ faulted: false, disabled: false, occupied: false });
  }
}
