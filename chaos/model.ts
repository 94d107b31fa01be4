// A reference model of the reservation module, written from spec/reservation-module.md alone
// (it imports nothing from src/domain): one possible state of the module as its callers see it.
// The checker keeps a set of these ("worlds") where the real system is nondeterministic. This
// file models the connector interface; evse-model.ts today's interface, behind the same ModelWorld.
import type { LogEvent } from './events';

export type SentEvent = Extract<LogEvent, { k: 'sent' }>;
export type EvseEvent = Extract<LogEvent, { k: 'evse' }>;

/** What the checker asks of a model of the module, whichever interface it serves. */
export interface ModelWorld<W> {
  /** When the module (re)started: expiries during a downtime happen at the restart. */
  upSinceMs: number;
  /** Per call attempt whose fate is unknown: the result it had if it was applied, or 'not-applied'. */
  choices: Map<string, string>;
  /** The reservation_end events expected, in order. */
  ends: ModelEnd[];
  /** The reservation_update events expected, in order (none in the connector interface). */
  updates: ModelEnd[];
  clone(): W;
  /** Two worlds with the same key behave the same from now on and explain the same observations. */
  key(): string;
  expire(certainMs: number, possibleMs: number, lateMs: number, input: number): W[];
  /** The module process started again (the EVSE managers' session events are not retained). */
  restart(spawnedMs: number): void;
  /** The restarted module is ready: it has restored its file and told the EVSE managers what it holds. */
  ready(readyMs: number, input: number): void;
  unend(end: ModelEnd): void;
  /**
   * The command applied at `nowMs` to this world; returns its answer as the checker compares it.
   * `callLost`: a call the module makes meanwhile may be lost (a broker outage): it gets no answer.
   */
  run(sent: SentEvent, nowMs: number, input: number, callLost?: boolean): string;
  /** What an EVSE event does: more than one world where the spec leaves the choice open. */
  evseEvent(e: EvseEvent, input: number): W[];
}

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
  /** The reason (reservation_end) or status (reservation_update) on the wire. */
  reason: string;
  /** Earliest time the module can have published it (the input's time, or the expiry). */
  atMs: number;
  /** What ended it: a command is on disk before its answer; EVSE events and expiries are written just after. */
  cause: 'command' | 'evse' | 'expiry';
  /** Index of the input (log event) that caused it: ends of one input are written together. */
  input: number;
  reservation: { id: number; expiryTime: string; expiryMs: number };
  /** The reservation_update that goes with this end (evse interface). */
  update?: ModelEnd;
  /** The invariant that demands it, where that says more than "one final event" (e.g. the station-wide guarantee). */
  rule?: string;
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
export function sameToken(a: string, b: string): boolean {
  return a.toUpperCase() === b.toUpperCase();
}

/** "has this id_token or this parent_id_token" (spec, exists_reservation / UsedToStartCharging). */
export function reservedFor(r: { token: string; parent?: string }, token: string, parent: string | undefined): boolean {
  return sameToken(r.token, token) || (parent !== undefined && r.parent !== undefined && sameToken(r.parent, parent));
}

/** An answer as the checker compares it: a list in id order (the model builds objects in the module's key order). */
export function listAnswer(value: unknown): string {
  if (!Array.isArray(value)) return JSON.stringify(value);
  return JSON.stringify([...(value as Array<{ reservation_id: number }>)].sort((a, b) => a.reservation_id - b.reservation_id));
}

/** What expireWorlds needs of a reservation. */
interface Expiring {
  expiryMs: number;
  order: number;
}

/**
 * Expiries between two instants, for either model: a reservation due well before `certainMs` has
 * ended (the module ends it within a second, `lateMs` allows for a loaded machine), one due by
 * `possibleMs` may have. Worlds: one per number of the possible ones that ended (in expiry order).
 */
export function expireWorlds<W extends { clone(): W; upSinceMs: number }, R extends Expiring>(
  world: W,
  held: (w: W) => Iterable<R>,
  expired: (w: W, r: R) => void,
  certainMs: number,
  possibleMs: number,
  lateMs: number,
): W[] {
  const due = [...held(world)].sort((a, b) => a.expiryMs - b.expiryMs || a.order - b.order);
  const possible: R[] = [];
  for (const r of due) {
    if (Math.max(r.expiryMs, world.upSinceMs) + lateMs < certainMs) expired(world, r);
    else if (r.expiryMs <= possibleMs) possible.push(r);
  }
  if (possible.length === 0) return [world];
  const worlds: W[] = [world.clone()];
  let next = world.clone();
  for (const r of possible) {
    expired(next, r);
    worlds.push(next);
    next = next.clone();
  }
  return worlds;
}

export class World implements ModelWorld<World> {
  connectors: Conditions[] = [];
  held = new Map<number, Held>();
  ends: ModelEnd[] = [];
  readonly updates: ModelEnd[] = [];
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

  run(sent: SentEvent, nowMs: number, input: number): string {
    const c = sent.command;
    switch (c.cmd) {
      case 'reserve_now': {
        const r = sent.reserve as NonNullable<SentEvent['reserve']>;
        const request = { id: r.id, token: r.token, ...(r.parent !== undefined ? { parent: r.parent } : {}), expiryTime: r.expiryTime, expiryMs: r.expiryMs };
        return JSON.stringify(this.reserveNow(r.connector ?? 0, request, nowMs, input));
      }
      case 'cancel_reservation':
        return JSON.stringify(this.cancel(c.id, nowMs, input));
      case 'exists_reservation':
        return 'connector' in c ? JSON.stringify(this.exists(c.connector, c.token, c.parent)) : 'null';
      case 'list_reservations':
        return listAnswer(this.list());
      case 'check_start':
        return 'null'; // not sent in the connector interface's schedules
    }
  }

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
      if (held.some((r) => reservedFor(r, token, parent))) return 'ReservedForToken';
      if (parent === undefined && held.some((r) => r.parent !== undefined)) return 'ReservedForOtherTokenAndHasParentToken';
      return 'ReservedForOtherToken';
    };
    const holder = this.holderOf(connector);
    if (holder) return status([holder]);
    const stationWide = this.stationWide();
    if (stationWide.length === 0) return 'NotReserved';
    // A station-wide reservation of this token may use this connector (a plugged-in car included).
    if (stationWide.some((r) => reservedFor(r, token, parent))) return 'ReservedForToken';
    // A free connector must stay free while the station-wide reservations of others need it.
    const free = this.freeConnectors();
    if (free.includes(connector) && free.length - 1 < stationWide.length) return status(stationWide);
    return 'NotReserved';
  }

  // ---- EVSE managers -------------------------------------------------------------------------

  evseEvent(e: EvseEvent, input: number): World[] {
    return this.connectorEvent(e.evse, e.event, e.tx, e.t0, input);
  }

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
          if (holder && reservedFor(holder, tok.token, tok.parent)) candidates = [holder];
          else candidates = this.stationWide().filter((r) => reservedFor(r, tok.token, tok.parent));
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

  /** Expiries between two instants (expireWorlds). */
  expire(certainMs: number, possibleMs: number, lateMs: number, input: number): World[] {
    return expireWorlds<World, Held>(this, (w) => w.held.values(), (w, r) => w.end(r, 'Expired', r.expiryMs, 'expiry', input), certainMs, possibleMs, lateMs);
  }

  /**
   * A restart: the reservations held are held again (in their order), and the module knows
   * nothing of its connectors until the EVSE managers say something (session events are not retained).
   */
  restart(readyMs: number): void {
    this.resetConnectors();
    this.upSinceMs = readyMs;
  }

  ready(readyMs: number): void {
    this.upSinceMs = readyMs;
  }

  /** Undoes an end that was not on disk when the module was killed: the reservation is held again. */
  unend(end: ModelEnd): void {
    const index = this.ends.indexOf(end);
    if (index >= 0) this.ends.splice(index, 1);
    this.held.set(end.reservation.id, end.reservation as Held);
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
