// What the dashboard shows, kept on the server: per module its status, last snapshot and an
// event log, plus the broker connection. Pure: fed by the MQTT side, read by the HTTP side.
import { decodeEnd, decodeSnapshot, decodeTokenEvent, decodeUpdate, describeTokenEvent, type EvseView, snapshotChanges, type StateEvent } from '../client/format';
import type { TokenOutcome } from '../token-path/ledger';
import type { Snapshot } from '../module/snapshot';
import { epochMsToRfc3339 } from '../module/time';

/** Newest first; older ones drop off (the page is a live view, not an archive). */
export const MAX_EVENTS = 100;

/** A reservation that left the snapshot with no reservation_end seen (a bridge carries only snapshot and status). */
export interface GoneEvent {
  type: 'reservation_gone';
  reservation_id: number;
}

/** A token the module's token path narrowed or refused, told as `watch` tells it. */
export interface TokenLine {
  type: 'token';
  kind: TokenOutcome['kind'];
  description: string;
}

export type DashboardEvent = (StateEvent | GoneEvent | TokenLine) & { at: string };

export interface ModuleView {
  module_id: string;
  /** From the retained status topic: online, offline, or unknown until it is read. */
  status: string;
  snapshot?: Snapshot;
  events: DashboardEvent[];
}

/** Ids of ended reservations not yet gone from a snapshot: enough for any burst between two snapshots. */
const MAX_ENDED_REMEMBERED = 5000;

export interface BrokerView {
  connected: boolean;
  /** When the dashboard last saw it connect or go (RFC 3339). */
  since: string;
}

type Listener = (change: { kind: 'module'; moduleId: string } | { kind: 'broker' }) => void;

export class DashboardView {
  private readonly modules = new Map<string, ModuleView>();
  /** Per module: reservation ids whose end was seen, so their leaving the snapshot is not told twice. */
  private readonly ended = new Map<string, Set<number>>();
  private readonly listeners: Listener[] = [];
  broker: BrokerView;

  /** `pinned`: the one module of a single-module dashboard, shown even before its first snapshot. */
  constructor(
    nowMs: number,
    private readonly pinned?: string,
  ) {
    this.broker = { connected: true, since: epochMsToRfc3339(nowMs) };
    if (pinned !== undefined) this.entry(pinned);
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /** Modules with a snapshot, by id (a status without one is some other module's), and the pinned one. */
  shown(): ModuleView[] {
    return [...this.modules.keys()]
      .flatMap((id) => this.shownModule(id) ?? [])
      .sort((a, b) => a.module_id.localeCompare(b.module_id));
  }

  /** One module's view, if it is shown. */
  shownModule(moduleId: string): ModuleView | undefined {
    const view = this.modules.get(moduleId);
    return view !== undefined && (view.snapshot !== undefined || moduleId === this.pinned) ? view : undefined;
  }

  /** A snapshot payload; an empty one (a cleared retained message) forgets the module. */
  applySnapshot(moduleId: string, payload: Buffer, nowMs: number): void {
    if (payload.length === 0) {
      if (moduleId !== this.pinned && this.modules.delete(moduleId)) {
        this.ended.delete(moduleId);
        this.changed(moduleId);
      }
      return;
    }
    const next = decodeSnapshot(payload);
    if (!next) return;
    const view = this.entry(moduleId);
    // The first snapshot is the starting point, not news; later ones are compared with it.
    if (view.snapshot !== undefined) {
      const ended = this.ended.get(moduleId);
      const still = new Set(next.reservations.map((r) => r.reservation_id));
      for (const { reservation_id: id } of view.snapshot.reservations) {
        if (still.has(id)) continue;
        if (ended?.delete(id) !== true) this.record(view, { type: 'reservation_gone', reservation_id: id }, nowMs);
      }
      const evsesBefore = view.snapshot.evses ?? [];
      for (const event of snapshotChanges(view.snapshot, next)) {
        // A holder coming or going is told by the reservation and its end: only state changes here.
        if (event.type === 'connector') {
          const previous = (view.snapshot.connectors ?? []).find((c) => c.connector_id === event.connector_id);
          if (previous?.state === event.state) continue;
        }
        if (event.type === 'evse') {
          const previous = evsesBefore.find((e) => e.evse_id === event.evse_id);
          if (previous !== undefined && sameStates(previous, event)) continue;
        }
        this.record(view, event, nowMs);
      }
    }
    view.snapshot = next;
    this.changed(moduleId);
  }

  /** A reservation_end: logged for modules of the connector interface (the evse interface's ends are told by reservation_update). */
  applyEnd(moduleId: string, value: unknown, nowMs: number): void {
    const end = decodeEnd(value);
    if (!end || this.modules.get(moduleId)?.snapshot?.interface === 'evse') return;
    this.recordEnd(moduleId, end.reservation_id, { type: 'reservation_end', ...end }, nowMs);
  }

  /** A reservation_update (evse interface): its ends are logged; Placed is the snapshot's "made" already. */
  applyUpdate(moduleId: string, value: unknown, nowMs: number): void {
    const update = decodeUpdate(value);
    if (!update || update.reservation_status === 'Placed') return;
    this.recordEnd(moduleId, update.reservation_id, { type: 'reservation_update', ...update }, nowMs);
  }

  /** A token the module's token path narrowed or refused. */
  applyTokenEvent(moduleId: string, payload: Buffer, nowMs: number): void {
    const event = decodeTokenEvent(payload);
    if (!event) return;
    this.record(this.entry(moduleId), { type: 'token', kind: event.kind, description: describeTokenEvent(event) }, nowMs);
    this.changed(moduleId);
  }

  applyStatus(moduleId: string, status: string, nowMs: number): void {
    const view = this.entry(moduleId);
    if (view.status === status) return;
    if (view.status !== 'unknown') this.record(view, { type: 'status', status }, nowMs);
    view.status = status;
    this.changed(moduleId);
  }

  setBroker(connected: boolean, nowMs: number): void {
    if (this.broker.connected === connected) return;
    this.broker = { connected, since: epochMsToRfc3339(nowMs) };
    for (const listener of this.listeners) listener({ kind: 'broker' });
  }

  private recordEnd(moduleId: string, reservationId: number, event: StateEvent, nowMs: number): void {
    const view = this.entry(moduleId);
    // The snapshot may have come first: its "no longer held" gives way to the end and its reason.
    const gone = view.events.findIndex((e) => e.type === 'reservation_gone' && e.reservation_id === reservationId);
    if (gone >= 0) view.events.splice(gone, 1);
    else this.rememberEnded(moduleId, reservationId);
    this.record(view, event, nowMs);
    this.changed(moduleId);
  }

  private rememberEnded(moduleId: string, reservationId: number): void {
    let ended = this.ended.get(moduleId);
    if (!ended) this.ended.set(moduleId, (ended = new Set()));
    ended.add(reservationId);
    // Oldest out first (a Set iterates in insertion order).
    if (ended.size > MAX_ENDED_REMEMBERED) ended.delete(ended.values().next().value as number);
  }

  private entry(moduleId: string): ModuleView {
    let view = this.modules.get(moduleId);
    if (!view) {
      view = { module_id: moduleId, status: 'unknown', events: [] };
      this.modules.set(moduleId, view);
    }
    return view;
  }

  private record(view: ModuleView, event: StateEvent | GoneEvent | TokenLine, nowMs: number): void {
    view.events.unshift({ at: epochMsToRfc3339(nowMs), ...event });
    if (view.events.length > MAX_EVENTS) view.events.length = MAX_EVENTS;
  }

  private changed(moduleId: string): void {
    for (const listener of this.listeners) listener({ kind: 'module', moduleId });
  }
}

/**
 * Whether an EVSE shows the same states in both: its own, held for station-wide reservations, and
 * its connectors that are not Available (get_evse's answer adding connectors is no state change).
 */
function sameStates(before: EvseView, after: EvseView): boolean {
  const states = (evse: EvseView): string =>
    JSON.stringify([evse.state, evse.held_for_station_wide === true, evse.connectors.filter((c) => c.state !== 'Available').map((c) => [c.connector_id, c.state])]);
  return states(before) === states(after);
}
