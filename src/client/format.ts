// What the client prints: plain text for people, JSON for scripts. Pure: no I/O, time is an argument.
import { isObject, parseJsonPayload } from '../everest/envelope';
import type { ReservationUpdateStatus } from '../generated/evse/types';
import type { HeldReservation, ReservationEnd } from '../generated/types';
import type { EvseView, Snapshot } from '../module/snapshot';
import { rfc3339ToEpochMs } from '../module/time';
import type { TokenOutcome } from '../token-path/ledger';

export type ConnectorView = NonNullable<Snapshot['connectors']>[number];
export type { EvseView };

/** What `watch` reports, one line each: the module's state and reservations, and the tokens its token path took something from. */
export type WatchEvent = StateEvent | ({ type: 'token' } & TokenOutcome);

/** What the module's status, vars and snapshot tell. */
export type StateEvent =
  | { type: 'status'; status: string }
  | { type: 'reservation'; reservation: HeldReservation }
  | { type: 'reservation_end'; reservation_id: number; reason: ReservationEnd['reason'] }
  | ({ type: 'reservation_update' } & ReservationUpdateStatus)
  | ({ type: 'connector' } & ConnectorView)
  | ({ type: 'evse' } & EvseView);

const INTERFACES: ReadonlyArray<unknown> = ['connector', 'evse'];
const UPDATE_STATUSES: ReadonlyArray<unknown> = ['Placed', 'Expired', 'Cancelled', 'Removed', 'Used'];

/** The snapshot in a payload (connectors in the connector interface, EVSEs in the evse one), or undefined if it does not look like one. */
export function decodeSnapshot(payload: Buffer): Snapshot | undefined {
  const value = parseJsonPayload(payload);
  if (!isObject(value) || !Array.isArray(value.reservations)) return undefined;
  if (value.interface !== undefined && !INTERFACES.includes(value.interface)) return undefined;
  if (!Array.isArray(value.interface === 'evse' ? value.evses : value.connectors)) return undefined;
  return value as unknown as Snapshot;
}

/** A reservation_update var value, or undefined if it is not one. */
export function decodeUpdate(value: unknown): ReservationUpdateStatus | undefined {
  if (!isObject(value) || typeof value.reservation_id !== 'number' || !UPDATE_STATUSES.includes(value.reservation_status)) return undefined;
  return { reservation_id: value.reservation_id, reservation_status: value.reservation_status as ReservationUpdateStatus['reservation_status'] };
}

/** A reservation_end var value, or undefined if it is not one. */
export function decodeEnd(value: unknown): ReservationEnd | undefined {
  if (!isObject(value) || typeof value.reservation_id !== 'number' || typeof value.reason !== 'string') return undefined;
  return { reservation_id: value.reservation_id, reason: value.reason as ReservationEnd['reason'] };
}

const TOKEN_EVENT_KINDS: ReadonlyArray<unknown> = ['narrowed', 'refused', 'refused_at_validation'];

/** A token event of the module's token path, or undefined if the payload is not one. */
export function decodeTokenEvent(payload: Buffer): TokenOutcome | undefined {
  const value = parseJsonPayload(payload);
  if (!isObject(value) || !TOKEN_EVENT_KINDS.includes(value.kind) || typeof value.token !== 'string') return undefined;
  const { at: _at, ...event } = value;
  return event as unknown as TokenOutcome;
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

/** The connector interface's reservations carry connector_id; the evse interface's an optional evse_id and connector_type. */
function inConnectorInterface(reservation: HeldReservation): boolean {
  return reservation.connector_id !== undefined;
}

export function formatReservations(reservations: HeldReservation[], nowMs: number): string {
  if (reservations.length === 0) return 'no reservations held';
  const tokens = (r: HeldReservation): string[] => [r.id_token, r.parent_id_token ?? '-', expiresIn(r.expiry_time, nowMs)];
  if (reservations.every(inConnectorInterface)) {
    return table(
      ['reservation', 'connector', 'token', 'parent token', 'expires'],
      reservations.map((r) => [String(r.reservation_id), r.connector_id === 0 ? '0 (any)' : String(r.connector_id), ...tokens(r)]),
    );
  }
  return table(
    ['reservation', 'evse', 'type', 'token', 'parent token', 'expires'],
    reservations.map((r) => [String(r.reservation_id), r.evse_id === undefined ? 'any' : String(r.evse_id), r.connector_type ?? 'any', ...tokens(r)]),
  );
}

function moreNotShown(shown: string, listed: number, total: number, what: string): string {
  return total > listed ? `${shown}\n(${total - listed} more ${what} not shown)` : shown;
}

export function formatConnectors(connectors: ConnectorView[], total: number): string {
  const shown = table(
    ['connector', 'state', 'reserved by'],
    connectors.map((c) => [String(c.connector_id), c.state, c.reserved_by === undefined ? '-' : String(c.reserved_by)]),
  );
  return moreNotShown(shown, connectors.length, total, 'connectors');
}

/** An EVSE's id as people read it: 0 means its EVSE manager has not said yet. */
function evseName(evse: EvseView): string {
  return evse.evse_id === 0 ? '(not yet known)' : String(evse.evse_id);
}

function evseConnectors(evse: EvseView): string {
  return evse.connectors.map((c) => `${c.connector_id} ${c.type} ${c.state}`).join(', ');
}

function evseHolder(evse: EvseView): string | undefined {
  if (evse.reserved_by !== undefined) return String(evse.reserved_by);
  return evse.held_for_station_wide ? 'station-wide' : undefined;
}

export function formatEvses(evses: EvseView[], total: number): string {
  const shown = table(
    ['evse', 'state', 'connectors', 'reserved by'],
    evses.map((e) => [evseName(e), e.state, evseConnectors(e), evseHolder(e) ?? '-']),
  );
  return moreNotShown(shown, evses.length, total, 'EVSEs');
}

export function describeReservation(r: HeldReservation): string {
  const where = inConnectorInterface(r)
    ? r.connector_id === 0
      ? 'any connector'
      : `connector ${r.connector_id}`
    : `${r.evse_id === undefined ? 'any EVSE' : `EVSE ${r.evse_id}`}${r.connector_type === undefined ? '' : ` (${r.connector_type})`}`;
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
    case 'reservation_update':
      return `reservation ${event.reservation_id} update: ${event.reservation_status}`;
    case 'connector':
      return `connector ${event.connector_id} ${event.state}${event.reserved_by === undefined ? '' : `, reserved by ${event.reserved_by}`}`;
    case 'evse': {
      const holder = event.reserved_by !== undefined ? `, reserved by ${event.reserved_by}` : event.held_for_station_wide ? ', held for station-wide reservations' : '';
      return `EVSE ${evseName(event)} ${event.state} (${evseConnectors(event)})${holder}`;
    }
    case 'token':
      return describeTokenEvent(event);
  }
}

const WHY: Readonly<Record<string, string>> = {
  UnknownEvse: 'no such EVSE',
  ReservedForOtherToken: 'reserved for another driver',
  NeededForStationWide: 'needed by station-wide reservations',
};

/** A narrowed or refused token for people: which token, from where, which EVSEs were taken out and why. */
export function describeTokenEvent(event: TokenOutcome): string {
  const who = `token ${event.token} (${event.authorization_type})`;
  if (event.kind === 'refused_at_validation') return `${who} refused at validation on EVSE ${event.evse_id}: ${WHY[event.why] ?? event.why}`;
  const out = event.removed.map((r) => `EVSE ${r.evse_id} ${WHY[r.why] ?? r.why}`).join('; ');
  const kept = event.kind === 'refused' ? 'refused, no EVSE left' : `narrowed to EVSE ${event.evses_kept.join(', ')}`;
  return `${who} from ${event.provider} ${kept}${out ? ` (${out})` : ''}`;
}

/** An EVSE as watch reports it: every field, connectors included, in a fixed order (a change in any is news). */
function evseEvent(evse: EvseView): StateEvent {
  const { evse_id, state, reserved_by, held_for_station_wide, connectors } = evse;
  return {
    type: 'evse',
    evse_id,
    state,
    ...(reserved_by !== undefined ? { reserved_by } : {}),
    ...(held_for_station_wide ? { held_for_station_wide } : {}),
    connectors: connectors.map(({ connector_id, type, state: connectorState }) => ({ connector_id, type, state: connectorState })),
  };
}

/**
 * What changed from one snapshot to the next: reservations that appeared or changed, and
 * connectors (EVSEs) whose state or holder changed. Reservations that went are told by their end.
 */
export function snapshotChanges(previous: Snapshot | undefined, next: Snapshot): StateEvent[] {
  const events: StateEvent[] = [];
  const before = new Map((previous?.reservations ?? []).map((r) => [r.reservation_id, JSON.stringify(r)]));
  for (const reservation of next.reservations) {
    if (before.get(reservation.reservation_id) !== JSON.stringify(reservation)) events.push({ type: 'reservation', reservation });
  }
  const connectorsBefore = new Map((previous?.connectors ?? []).map((c) => [c.connector_id, c]));
  for (const connector of next.connectors ?? []) {
    const old = connectorsBefore.get(connector.connector_id);
    if (old?.state !== connector.state || old.reserved_by !== connector.reserved_by) events.push({ type: 'connector', ...connector });
  }
  // EVSEs by place in the list: an EVSE's id is 0 until its EVSE manager tells it.
  const evsesBefore = (previous?.evses ?? []).map((e) => JSON.stringify(evseEvent(e)));
  (next.evses ?? []).forEach((evse, index) => {
    const event = evseEvent(evse);
    if (evsesBefore[index] !== JSON.stringify(event)) events.push(event);
  });
  return events;
}
