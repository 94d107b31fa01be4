// The operator's view: a retained snapshot of reservations and connector states, published
// after changes, at most every SNAPSHOT_INTERVAL_MS, so a burst of commands costs one publish.
import type { ReservationBook } from '../domain/reservation-book';
import type { HeldReservation as HeldReservationWire } from '../generated/types';
import { toWire } from './commands';
import type { Publish } from './ports';
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

export interface Snapshot {
  updated_at: string;
  reservations_total: number;
  reservations: HeldReservationWire[];
  connectors_total: number;
  connectors: Array<{ connector_id: number; state: ConnectorStateName; reserved_by?: number }>;
  diagnostics?: Diagnostics;
}

export function buildSnapshot(book: ReservationBook, nowMs: number, diagnostics?: Diagnostics, maxItems = SNAPSHOT_MAX_ITEMS): Snapshot {
  const connectors: Snapshot['connectors'] = [];
  for (let connectorId = 1; connectorId <= Math.min(book.connectorCount, maxItems); connectorId++) {
    const { faulted, disabled, occupied } = book.connectorConditions(connectorId);
    const state: ConnectorStateName = faulted ? 'Faulted' : disabled ? 'Unavailable' : occupied ? 'Occupied' : 'Available';
    const holder = book.holderOf(connectorId);
    connectors.push({ connector_id: connectorId, state, ...(holder ? { reserved_by: holder.reservationId } : {}) });
  }
  return {
    updated_at: epochMsToRfc3339(nowMs),
    reservations_total: book.size,
    reservations: book
      .oldest(maxItems)
      .map(toWire)
      .sort((a, b) => a.reservation_id - b.reservation_id),
    connectors_total: book.connectorCount,
    connectors,
    ...(diagnostics ? { diagnostics } : {}),
  };
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
    private readonly now: () => number,
    private readonly diagnostics: () => Diagnostics,
    /** Whether a payload is within the broker's packet size limit. */
    private readonly fits: (topic: string, payload: string) => boolean = () => true,
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
    const diagnostics = this.diagnostics();
    // Long tokens can make 1000 items too big for the broker: list fewer (the totals still count all).
    let payload = JSON.stringify(buildSnapshot(this.book, this.lastPublishedMs, diagnostics));
    for (let items = SNAPSHOT_MAX_ITEMS / 2; !this.fits(this.topic, payload) && items >= 1; items = Math.floor(items / 2)) {
      payload = JSON.stringify(buildSnapshot(this.book, this.lastPublishedMs, diagnostics, items));
    }
    await this.publish(this.topic, payload, 1, true);
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
