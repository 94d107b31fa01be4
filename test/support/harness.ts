// A module process plus a probe on the same private prefix, with typed shortcuts for the
// reservation interface. Everything it starts is cleaned up by teardown.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Broker } from './broker';
import { type ModuleOptions, type ModuleProcess, startModule, uniquePrefix } from './module-process';
import { type CallOptions, type CallResult, type Collector, Probe } from './probe';
import { track } from './teardown';

export interface Reservation {
  reservation_id: number;
  id_token: string;
  expiry_time: string;
  parent_id_token?: string;
}

export interface HeldReservation {
  reservation_id: number;
  connector_id: number;
  id_token: string;
  parent_id_token?: string;
  expiry_time: string;
}

export interface ReservationEnd {
  reservation_id: number;
  reason: 'Expired' | 'Cancelled' | 'UsedToStartCharging';
}

/** RFC 3339 (UTC, milliseconds) of now + ms. */
export function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

/** A reservation for `id`, token `TOKEN-<id>`, expiring in an hour unless overridden. */
export function reservation(id: number, overrides: Partial<Reservation> = {}): Reservation {
  return { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: isoIn(3_600_000), ...overrides };
}

export interface Station {
  module: ModuleProcess;
  probe: Probe;
  moduleId: string;
  prefix: string;
  /** Every reservation_end var payload (the whole Var envelope) since start. */
  ends: Collector;
  /** Every reservation_update var payload (impl main, the evse interface's) since start, start-up included. */
  updates: Collector;
  reserveNow(connectorId: number, r: Reservation, options?: CallOptions): Promise<string>;
  cancel(reservationId: number): Promise<boolean>;
  list(): Promise<HeldReservation[]>;
  exists(request: { connector_id: number; id_token: string; parent_id_token?: string }): Promise<string>;
  call(cmd: string, args: unknown, options?: CallOptions): Promise<CallResult>;
  /** The `data.data` of every reservation_end Var received so far. */
  endEvents(): ReservationEnd[];
}

export function endOf(payload: unknown): ReservationEnd {
  return (payload as { data: { data: ReservationEnd } }).data.data;
}

/** Starts the module (waiting for ModuleReady) and connects a probe collecting reservation_end and reservation_update from the start. */
export async function startStation(broker: Broker, options: Omit<ModuleOptions, 'brokerUrl'> = {}): Promise<Station> {
  const prefix = options.prefix ?? uniquePrefix();
  const moduleId = options.moduleId ?? 'reservation';
  const probe = await Probe.connect(broker.url, { prefix, origin: 'ocpp' });
  const ends = await probe.collect(probe.varTopic(moduleId, 'reservation_end'));
  const updates = await probe.collect(probe.varTopic(moduleId, 'reservation_update', 'main'));
  const module = await startModule({ ...options, brokerUrl: broker.url, prefix, moduleId });
  return {
    module,
    probe,
    moduleId,
    prefix,
    ends,
    updates,
    reserveNow: (connectorId, r, callOptions) => probe.invoke<string>(moduleId, 'reserve_now', { connector_id: connectorId, reservation: r }, callOptions),
    cancel: (reservationId) => probe.invoke<boolean>(moduleId, 'cancel_reservation', { reservation_id: reservationId }),
    list: () => probe.invoke<HeldReservation[]>(moduleId, 'list_reservations', {}),
    exists: (request) => probe.invoke<string>(moduleId, 'exists_reservation', { request }),
    call: (cmd, args, callOptions) => probe.call(moduleId, cmd, args, callOptions),
    endEvents: () => ends.messages.map(endOf),
  };
}

/** A fresh folder for a persistence_file (reservations.json in it), removed after the test. */
export function stateFile(): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-state-'));
  track(`state folder ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return { dir, file: path.join(dir, 'reservations.json') };
}
