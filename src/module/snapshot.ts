// The operator's view: a retained snapshot of reservations and connector (in the evse interface,
// EVSE) states, published after changes, at most every SNAPSHOT_INTERVAL_MS, so a burst of
// commands costs one publish.
import type { ReservationBook } from '../domain/reservation-book';
import { UNKNOWN_TYPE } from '../domain/types';
import type { HeldReservation as HeldReservationWire } from '../generated/types';
import type { Publish } from './ports';
import { toWire, type WireInterface } from './reservation-wire';
import { epochMsToRfc3339 } from './time';

/** A dashboard needs no more; a faster rate cost 10-15% of throughput under load (npm run bench). */
export const SNAPSHOT_INTERVAL_MS = 1000;
/** A dashboard needs no more; the full list is list_reservations. Keeps the payload far below broker limits. */
export const SNAPSHOT_MAX_ITEMS = 1000;

export type ConnectorStateName = 'Available' | 'Occupied' | 'Faulted' | 'Unavailable';

/** Counts that must not grow while the module serves (checked by the load tests). */
export interface Diagnostics {
  commands_in_flight: number;
  pending_evse_calls: number;
  undelivered_ends: number;
  active_timers: number;
  active_handles: number;
  heap_used_bytes: number;
  rss_bytes: number;
}

/** An EVSE in the evse interface's snapshot: its state as a whole, and each connector's. */
export interface EvseView {
  /** 0 while its EVSE manager has not said which EVSE it is. */
  evse_id: number;
  state: ConnectorStateName;
  reserved_by?: number;
  /** Told reserve(-1): held for the station-wide reservations (OCPP shows it Reserved). */
  held_for_station_wide?: true;
  connectors: Array<{ connector_id: number; type: string; state: 'Available' | 'Faulted' | 'Unavailable' }>;
}

/** What the token path did with the tokens it saw (src/token-path/ledger.ts keeps them). */
export interface TokenCounts {
  /** Passed on unchanged. */
  passed: number;
  /** Passed on with fewer EVSEs (or the one it holds first). */
  narrowed: number;
  /** Passed on with no EVSE at all: Auth rejects them without asking a validator. */
  refused: number;
  /** Accepted by the validators, answered NotAtThisTime: another driver's reservation holds the one EVSE it names. */
  refused_at_validation: number;
}

export interface Snapshot {
  updated_at: string;
  /** The interface impl main serves: connectors in the one, EVSEs in the other (absent from modules before it had two). */
  interface?: WireInterface;
  reservations_total: number;
  reservations: HeldReservationWire[];
  connectors_total?: number;
  connectors?: Array<{ connector_id: number; state: ConnectorStateName; reserved_by?: number }>;
  evses_total?: number;
  evses?: EvseView[];
  diagnostics?: Diagnostics;
  /** Only in the token path (token providers connected). */
  tokens?: TokenCounts;
}

/** What the snapshot shows beside the reservations and the station. */
export interface SnapshotExtras {
  diagnostics?: Diagnostics;
  tokens?: TokenCounts;
}

export function buildSnapshot(book: ReservationBook, wire: WireInterface, nowMs: number, extras: SnapshotExtras = {}, maxItems = SNAPSHOT_MAX_ITEMS): Snapshot {
  const station = book.station;
  const positions = Array.from({ length: Math.min(station.evseCount, maxItems) }, (_, i) => i + 1);
  const stateAt = (position: number): ConnectorStateName => {
    const { faulted } = station.conditionsAt(position);
    return faulted ? 'Faulted' : station.availableTypes(position).length === 0 ? 'Unavailable' : station.isOccupied(position) ? 'Occupied' : 'Available';
  };
  const reservedBy = (position: number): { reserved_by?: number } => {
    const holder = station.holder(position);
    return holder ? { reserved_by: holder.reservationId } : {};
  };
  const place =
    wire === 'connector'
      ? { connectors_total: station.evseCount, connectors: positions.map((p) => ({ connector_id: p, state: stateAt(p), ...reservedBy(p) })) }
      : { evses_total: station.evseCount, evses: evseViews(book, positions, stateAt, reservedBy) };
  return {
    updated_at: epochMsToRfc3339(nowMs),
    interface: wire,
    reservations_total: book.size,
    reservations: book
      .oldest(maxItems)
      .map((r) => toWire(r, wire))
      .sort((a, b) => a.reservation_id - b.reservation_id),
    ...place,
    ...(extras.diagnostics ? { diagnostics: extras.diagnostics } : {}),
    ...(extras.tokens ? { tokens: extras.tokens } : {}),
  };
}

function evseViews(
  book: ReservationBook,
  positions: number[],
  stateAt: (position: number) => ConnectorStateName,
  reservedBy: (position: number) => { reserved_by?: number },
): EvseView[] {
  const station = book.station;
  const heldForStationWide = new Set(book.shownReserved());
  return positions.map((p) => {
    const { faulted, disabled } = station.conditionsAt(p);
    return {
      evse_id: station.idAt(p),
      state: stateAt(p),
      ...reservedBy(p),
      ...(heldForStationWide.has(p) ? { held_for_station_wide: true as const } : {}),
      connectors: station.connectorsAt(p).map((c) => ({
        connector_id: c.id,
        type: c.type ?? UNKNOWN_TYPE,
        state: faulted ? ('Faulted' as const) : disabled.has(c.id) ? ('Unavailable' as const) : ('Available' as const),
      })),
    };
  });
}

/** Process-wide counts, from Node's public resource API. */
export function processDiagnostics(counts: Pick<Diagnostics, 'commands_in_flight' | 'pending_evse_calls' | 'undelivered_ends'>): Diagnostics {
  const resources = process.getActiveResourcesInfo();
  const memory = process.memoryUsage();
  return {
    ...counts,
    active_timers: resources.filter((name) => name === 'Timeout').length,
    active_handles: resources.filter((name) => name !== 'Timeout').length,
    heap_used_bytes: memory.heapUsed,
    rss_bytes: memory.rss,
  };
}

export class SnapshotPublisher {
  private timer: NodeJS.Timeout | undefined;
  private lastPublishedMs = -Infinity;

  constructor(
    private readonly publish: Publish,
    private readonly topic: string,
    private readonly book: ReservationBook,
    private readonly wire: WireInterface,
    private readonly now: () => number,
    private readonly diagnostics: () => Diagnostics,
    /** Whether a payload is within the broker's packet size limit. */
    private readonly fits: (topic: string, payload: string) => boolean = () => true,
    /** The token path's counts, when the module is in it. */
    private readonly tokens: () => TokenCounts | undefined = () => undefined,
  ) {}

  /** Something changed: publish now, or once the interval since the last publish has passed. */
  changed(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastPublishedMs + SNAPSHOT_INTERVAL_MS - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.publishNow();
    }, wait);
  }

  async publishNow(): Promise<void> {
    this.lastPublishedMs = this.now();
    const tokens = this.tokens();
    const extras: SnapshotExtras = { diagnostics: this.diagnostics(), ...(tokens ? { tokens } : {}) };
    // Long tokens can make 1000 items too big for the broker: list fewer (the totals still count all).
    let payload = JSON.stringify(buildSnapshot(this.book, this.wire, this.lastPublishedMs, extras));
    for (let items = SNAPSHOT_MAX_ITEMS / 2; !this.fits(this.topic, payload) && items >= 1; items = Math.floor(items / 2)) {
      payload = JSON.stringify(buildSnapshot(this.book, this.wire, this.lastPublishedMs, extras, items));
    }
    await this.publish(this.topic, payload, 1, true);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
