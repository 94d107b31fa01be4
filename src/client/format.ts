// What the client prints: plain text for people, JSON for scripts. Pure: no I/O, time is an argument.
import { isObject, parseJsonPayload } from '../everest/envelope';
import type { HeldReservation, ReservationEnd } from '../generated/types';
import type { Snapshot } from '../module/snapshot';
import { rfc3339ToEpochMs } from '../module/time';

export type ConnectorView = NonNullable<Snapshot['connectors']>[number];

/** What `watch` reports, one line each. */
export type WatchEvent =
  | { type: 'status'; status: string }
  | { type: 'reservation'; reservation: HeldReservation }
  | { type: 'reservation_end'; reservation_id: number; reason: ReservationEnd['reason'] }
  | ({ type: 'connector' } & ConnectorView);


/** The snapshot in a payload, or undefined if it does not look like one. */
export function decodeSnapshot(payload: Buffer): Snapshot | undefined {
  const value = parseJsonPayload(payload);
  if (!isObject(value) || !Array.isArray(value.reservations) || !Array.isArray(value.connectors)) return undefined;
  return value as unknown as Snapshot;
}

/** A duration for people, to the two largest units: `1h 5m`, `42s`. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86400), 'd'],
    [Math.floor((seconds % 86400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  const shown = parts.filter(([amount]) => amount > 0).slice(0, 2);
  return shown.length === 0 ? '0s' : shown.map(([amount, unit]) => `${amount}${unit}`).join(' ');
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function expiresIn(expiryTime: string, nowMs: number): string {
  const expiryMs = rfc3339ToEpochMs(expiryTime);
  return expiryMs === undefined ? expiryTime : `${expiryTime} (in ${humanDuration(expiryMs - nowMs)})`;
}

export function formatReservations(reservations: HeldReservation[], nowMs: number): string {
  if (reservations.length === 0) return 'no reservations held';
  return table(
    ['reservation', 'connector', 'token', 'parent token', 'expires'],
    reservations.map((r) => [String(r.reservation_id), r.connector_id === 0 ? '0 (any)' : String(r.connector_id), r.id_token, r.parent_id_token ?? '-', expiresIn(r.expiry_time, nowMs)]),
  );
}

export function formatConnectors(connectors: ConnectorView[], total: number): string {
  const shown = table(
    ['connector', 'state', 'reserved by'],
    connectors.map((c) => [String(c.connector_id), c.state, c.reserved_by === undefined ? '-' : String(c.reserved_by)]),
  );
  return total > connectors.length ? `${shown}\n(${total - connectors.length} more connectors not shown)` : shown;
}

export function describeReservation(r: HeldReservation): string {
  const where = r.connector_id === 0 ? 'any connector' : `connector ${r.connector_id}`;
  const parent = r.parent_id_token === undefined ? '' : ` (parent ${r.parent_id_token})`;
  return `reservation ${r.reservation_id}: ${where} for ${r.id_token}${parent} until ${r.expiry_time}`;
}

export function formatWatchEvent(event: WatchEvent): string {
  switch (event.type) {
    case 'status':
      return `module ${event.status}`;
    case 'reservation':
      return `held ${describeReservation(event.reservation)}`;
    case 'reservation_end':
      return `reservation ${event.reservation_id} ended: ${event.reason}`;
    case 'connector':
      return `connector ${event.connector_id} ${event.state}${event.reserved_by === undefined ? '' : `, reserved by ${event.reserved_by}`}`;
  }
}

/**
 * What changed from one snapshot to the next: reservations that appeared or changed, and
 * connectors whose state or holder changed. Reservations that went are told by reservation_end.
 */
export function snapshotChanges(previous: Snapshot | undefined, next: Snapshot): WatchEvent[] {
  const events: WatchEvent[] = [];
  const before = new Map((previous?.reservations ?? []).map((r) => [r.reservation_id, JSON.stringify(r)]));
  for (const reservation of next.reservations) {
    if (before.get(reservation.reservation_id) !== JSON.stringify(reservation)) events.push({ type: 'reservation', reservation });
  }
  const connectorsBefore = new Map((previous?.connectors ?? []).map((c) => [c.connector_id, c]));
  for (const connector of next.connectors ?? []) {
    const old = connectorsBefore.get(connector.connector_id);
    if (old?.state !== connector.state || old.reserved_by !== connector.reserved_by) events.push({ type: 'connector', ...connector });
  }
  return events;
}
