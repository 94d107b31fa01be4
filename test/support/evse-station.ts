// The module serving today's EVerest reservation interface (reservation_interface: evse), with
// EVSE-manager doubles that answer get_evse, and typed shortcuts for its commands and vars.
import type { Broker } from './broker';
import { type EvseDescription, EvseDouble, type EvseDoubleOptions } from './evse-double';
import { endOf, isoIn, type ReservationEnd, type Station, startStation } from './harness';
import { type ModuleOptions, uniquePrefix } from './module-process';
import type { CallOptions, Collector } from './probe';
import { sleep } from './teardown';

/** EVerest's Reservation of today: an EVSE (absent: any EVSE) and a connector type. */
export interface EvseReservation {
  reservation_id: number;
  id_token: string;
  expiry_time: string;
  evse_id?: number;
  connector_type?: string;
  parent_id_token?: string;
}

export interface ReservationUpdate {
  reservation_id: number;
  reservation_status: 'Placed' | 'Expired' | 'Cancelled' | 'Removed' | 'Used';
}

export interface EvseStation {
  station: Station;
  /** reserve_now({request}) on impl main. */
  reserve(request: EvseReservation, options?: CallOptions): Promise<string>;
  cancel(reservationId: number): Promise<boolean>;
  /** exists_reservation({request}) on impl main (today's interface). */
  exists(request: { evse_id?: number; id_token: string; group_id_token?: string }): Promise<string>;
  /** check_start({request}) on impl status. */
  checkStart(request: { evse_id: number; id_token: string; parent_id_token?: string }): Promise<{ allowed: boolean; reservation_id?: number }>;
  /** Every reservation_update var payload since start. */
  updates: Collector;
  updateEvents(): ReservationUpdate[];
  endEvents(): ReservationEnd[];
}

/** A reservation for `id`, token `TOKEN-<id>`, expiring in an hour unless overridden. */
export function evseReservation(id: number, overrides: Partial<EvseReservation> = {}): EvseReservation {
  return { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: isoIn(3_600_000), ...overrides };
}

export function updateOf(payload: unknown): ReservationUpdate {
  return (payload as { data: { data: ReservationUpdate } }).data.data;
}

/** Starts the module in the evse interface on `options.prefix` (or a fresh one), with its probe and collectors. */
export async function startEvseStation(broker: Broker, options: Omit<ModuleOptions, 'brokerUrl'> = {}): Promise<EvseStation> {
  const prefix = options.prefix ?? uniquePrefix();
  const moduleId = options.moduleId ?? 'reservation';
  const station = await startStation(broker, {
    ...options,
    prefix,
    configModule: { reservation_interface: 'evse', reserve_connector_zero_supported: true, ...options.configModule },
  });
  const updates = station.updates;
  const main = { implId: 'main' };
  return {
    station,
    reserve: (request, callOptions) => station.probe.invoke<string>(moduleId, 'reserve_now', { request }, { ...main, ...callOptions }),
    cancel: (reservationId) => station.probe.invoke<boolean>(moduleId, 'cancel_reservation', { reservation_id: reservationId }, main),
    exists: (request) => station.probe.invoke<string>(moduleId, 'exists_reservation', { request }, main),
    checkStart: (request) => station.probe.invoke(moduleId, 'check_start', { request }, { implId: 'status' }),
    updates,
    updateEvents: () => updates.messages.map(updateOf),
    endEvents: () => station.ends.messages.map(endOf),
  };
}

export interface EvseCharger extends EvseStation {
  /** evse[i] is the EVSE manager of connection i (its EVSE id is what it answers to get_evse). */
  evse: EvseDouble[];
}

export type EvseChargerOptions = Omit<ModuleOptions, 'brokerUrl' | 'connections'> & {
  doubles?: Omit<EvseDoubleOptions, 'evse'>;
  /** Connections of the module's other requirements (the token path's), beside its EVSE managers. */
  extraConnections?: Record<string, unknown>;
};

/**
 * A charger of EVSE-manager doubles, one per description, connected in that order; returns once
 * the module has learnt every EVSE from get_evse.
 */
export async function startEvseCharger(broker: Broker, evses: EvseDescription[], options: EvseChargerOptions = {}): Promise<EvseCharger> {
  const prefix = options.prefix ?? uniquePrefix();
  const doubles: EvseDouble[] = [];
  for (const [index, evse] of evses.entries()) doubles.push(await EvseDouble.start(broker, prefix, `evse_manager_${index + 1}`, { ...options.doubles, evse }));
  return startEvseModule(broker, doubles, { ...options, prefix });
}

/**
 * Stops the charger's module (SIGTERM unless told otherwise) and starts it again with the same
 * prefix, config and EVSE managers, which kept running; returns once it has learnt every EVSE again.
 */
export async function restartEvseCharger(broker: Broker, charger: EvseCharger, options: EvseChargerOptions, signal: NodeJS.Signals = 'SIGTERM'): Promise<EvseCharger> {
  await charger.station.module.stop(signal);
  return startEvseModule(broker, charger.evse, { ...options, prefix: charger.station.prefix });
}

/** The module in the evse interface on EVSE-manager doubles already running (e.g. again, after a restart); returns once it learnt every EVSE. */
export async function startEvseModule(broker: Broker, doubles: EvseDouble[], options: EvseChargerOptions & { prefix: string }): Promise<EvseCharger> {
  const { extraConnections, ...moduleOptions } = options;
  const station = await startEvseStation(broker, { ...moduleOptions, connections: { ...extraConnections, evse_manager: doubles.map((d) => d.connection) } });
  const module = station.station.module;
  const described = (): number => module.lines().filter((line) => line.msg === 'EVSE manager described its EVSE').length;
  await module.waitForLog(() => described() >= doubles.length, 10_000);
  return { ...station, evse: doubles };
}

/** EVSEs as in EVerest's tests: each a list of connector types, ids 1, 2, ... in order. */
export function evsesOf(...connectorTypes: string[][]): EvseDescription[] {
  return connectorTypes.map((types, index) => ({ id: index + 1, connectors: types.map((type, at) => ({ id: at + 1, type })) }));
}

/** EVerest's usual station in its tests: `count` EVSEs offering CCS2 and Type2, then the EVSEs `more` describes. */
export function combinedEvses(count: number, ...more: string[][]): EvseDescription[] {
  return evsesOf(...Array.from({ length: count }, () => ['cCCS2', 'cType2']), ...more);
}

/** reserve(id) as an EVSE-manager double's call log has it. */
export function reserveCall(reservationId: number): string {
  return `reserve({"reservation_id":${reservationId}})`;
}

/** reserve(-1): the EVSE shown Reserved for the station-wide reservations (spec everest-evse-dialect §5). */
export const SHOWN_RESERVED = reserveCall(-1);
/** cancel_reservation(): the EVSE shown free again. */
export const FREED = 'cancel_reservation({})';

/** A station-wide reservation (no evse_id), of `connectorType` if given. */
export function anyEvse(id: number, connectorType?: string, overrides: Partial<EvseReservation> = {}): EvseReservation {
  return evseReservation(id, { ...(connectorType !== undefined ? { connector_type: connectorType } : {}), ...overrides });
}

/** A reservation of EVSE `evseId`, of `connectorType` if given. */
export function atEvse(evseId: number, id: number, connectorType?: string, overrides: Partial<EvseReservation> = {}): EvseReservation {
  return anyEvse(id, connectorType, { evse_id: evseId, ...overrides });
}

function describeRequest(request: EvseReservation): string {
  const where = request.evse_id === undefined ? 'any EVSE' : `EVSE ${request.evse_id}`;
  return `#${request.reservation_id} ${where} ${request.connector_type ?? '(no type)'}`;
}

/**
 * Sends each reserve_now in turn and compares all the answers at once, so a failure shows the
 * whole sequence: each step reads "#<id> <EVSE> <type>: <answer>".
 */
export async function expectAnswers(station: EvseStation, steps: Array<[EvseReservation, string]>): Promise<void> {
  const answered: string[] = [];
  for (const [request] of steps) answered.push(`${describeRequest(request)}: ${await station.reserve(request)}`);
  expect(answered).toEqual(steps.map(([request, answer]) => `${describeRequest(request)}: ${answer}`));
}

/** How long no further call may arrive before the EVSE managers count as told everything. */
const CALLS_QUIET_MS = 600;

/**
 * Waits until each EVSE-manager double has had at least as many reserve / cancel_reservation
 * calls as `expected` lists for it, then until none arrives for a while, and compares every
 * double's whole call log (`reserve({"reservation_id":-1})`, `cancel_reservation({})`, ...).
 */
export async function expectCallLogs(charger: EvseCharger, expected: string[][], timeoutMs = 10_000): Promise<void> {
  await Promise.all(charger.evse.map((evse, index) => (expected[index]?.length ? evse.nthCall(expected[index].length, timeoutMs) : undefined)));
  for (let count = callCount(charger); ; ) {
    await sleep(CALLS_QUIET_MS);
    const now = callCount(charger);
    if (now === count) break;
    count = now;
  }
  expect(charger.evse.map((evse) => evse.callLog())).toEqual(expected);
}

function callCount(charger: EvseCharger): number {
  return charger.evse.reduce((sum, evse) => sum + evse.calls.length, 0);
}

/** The reservation_update statuses received so far, as "<id> <status>", in arrival order. */
export function updateLines(station: EvseStation): string[] {
  return station.updateEvents().map((u) => `${u.reservation_id} ${u.reservation_status}`);
}

/**
 * Waits for `expected` reservation_updates (besides the Placed ones) and compares them, in
 * order; a list_reservations round trip first, so events published before it have arrived.
 */
export async function expectEnds(station: EvseStation, expected: string[], timeoutMs = 10_000): Promise<void> {
  const ends = (): string[] => updateLines(station).filter((line) => !line.endsWith(' Placed'));
  const deadline = Date.now() + timeoutMs;
  while (ends().length < expected.length && Date.now() < deadline) await sleep(20);
  await station.station.list();
  expect(ends()).toEqual(expected);
}

/** The ids of the reservations held, in id order (list_reservations). */
export async function heldIds(station: EvseStation): Promise<number[]> {
  return (await station.station.list()).map((r) => r.reservation_id);
}

/** Each reservation held as "#<id> EVSE <n>" or "#<id> any EVSE", in id order (list_reservations in the evse interface). */
export async function heldPlaces(station: EvseStation): Promise<string[]> {
  const held = (await station.station.list()) as unknown as Array<{ reservation_id: number; evse_id?: number }>;
  return held.map((r) => `#${r.reservation_id} ${r.evse_id === undefined ? 'any EVSE' : `EVSE ${r.evse_id}`}`);
}
