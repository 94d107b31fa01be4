// The module serving today's EVerest reservation interface (reservation_interface: evse), with
// EVSE-manager doubles that answer get_evse, and typed shortcuts for its commands and vars.
import type { Broker } from './broker';
import { type EvseDescription, EvseDouble, type EvseDoubleOptions } from './evse-double';
import { endOf, isoIn, type ReservationEnd, type Station, startStation } from './harness';
import { type ModuleOptions, uniquePrefix } from './module-process';
import type { CallOptions, Collector } from './probe';

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

/**
 * A charger of EVSE-manager doubles, one per description, connected in that order; returns once
 * the module has learnt every EVSE from get_evse.
 */
export async function startEvseCharger(
  broker: Broker,
  evses: EvseDescription[],
  options: Omit<ModuleOptions, 'brokerUrl' | 'connections'> & { doubles?: Omit<EvseDoubleOptions, 'evse'> } = {},
): Promise<EvseCharger> {
  const prefix = options.prefix ?? uniquePrefix();
  const doubles: EvseDouble[] = [];
  for (const [index, evse] of evses.entries()) doubles.push(await EvseDouble.start(broker, prefix, `evse_manager_${index + 1}`, { ...options.doubles, evse }));
  return startEvseModule(broker, doubles, { ...options, prefix });
}

/** The module in the evse interface on EVSE-manager doubles already running (e.g. again, after a restart); returns once it learnt every EVSE. */
export async function startEvseModule(broker: Broker, doubles: EvseDouble[], options: Omit<ModuleOptions, 'brokerUrl' | 'connections'> & { prefix: string }): Promise<EvseCharger> {
  const station = await startEvseStation(broker, { ...options, connections: { evse_manager: doubles.map((d) => d.connection) } });
  const module = station.station.module;
  const described = (): number => module.lines().filter((line) => line.msg === 'EVSE manager described its EVSE').length;
  await module.waitForLog(() => described() >= doubles.length, 10_000);
  return { ...station, evse: doubles };
}

/** EVSEs as in EVerest's tests: each a list of connector types, ids 1, 2, ... in order. */
export function evsesOf(...connectorTypes: string[][]): EvseDescription[] {
  return connectorTypes.map((types, index) => ({ id: index + 1, connectors: types.map((type, at) => ({ id: at + 1, type })) }));
}
