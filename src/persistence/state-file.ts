// Reservations and undelivered reservation_end events on disk, so a restart loses neither.
// Every write replaces the whole file atomically (temporary file, fsync, rename, fsync of the
// folder): a crash at any moment leaves the old state or the new one, never a torn file.
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { ReservationUpdateStatus } from '../generated/evse/types';
import type { HeldReservation, ReservationEnd } from '../generated/types';
import type { Validate } from '../schema/schema-types';
import { check } from '../schema/validate';

export const STATE_VERSION = 1;

export interface PersistedState {
  version: typeof STATE_VERSION;
  reservations: HeldReservation[];
  /** Ended reservations whose reservation_end the broker has not yet confirmed. */
  undelivered_ends: ReservationEnd[];
  /** reservation_update values (evse interface) the broker has not yet confirmed. */
  undelivered_updates?: ReservationUpdateStatus[];
}

export const EMPTY_STATE: PersistedState = { version: STATE_VERSION, reservations: [], undelivered_ends: [] };

/** `found`: the file was there (an earlier run wrote it), readable or not. */
export type LoadResult = { state: PersistedState; found: boolean } | { state: PersistedState; found: true; corrupt: string; movedTo: string };

/** Reads the state file; a missing file is an empty state, a corrupt one is moved aside and reported. */
export function loadState(path: string, validateState: Validate, nowMs: number): LoadResult {
  removeStaleTemporaries(path);
  if (!existsSync(path)) return { state: EMPTY_STATE, found: false };
  let problem: string | undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
    problem = check(validateState, parsed);
    if (!problem) return { state: parsed as PersistedState, found: true };
  } catch (err) {
    problem = (err as Error).message;
  }
  const movedTo = `${path}.corrupt-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  renameSync(path, movedTo);
  return { state: EMPTY_STATE, found: true, corrupt: problem, movedTo };
}

/** A crash between writing and renaming leaves `<file>.tmp-<pid>`; nothing reads it, and each crash would add one. */
function removeStaleTemporaries(path: string): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // no folder yet: the first write reports it
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    try {
      rmSync(join(dirname(path), name), { force: true });
    } catch {
      // not a file of ours after all (e.g. a folder): leave it
    }
  }
}

export function writeStateAtomically(path: string, state: PersistedState): void {
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  // The rename itself is only durable once the folder is synced.
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

/** JSON Schema of the file, built from the generated types so the two cannot drift. */
export function stateSchema(heldReservation: object, reservationEnd: object, reservationUpdate: object): object {
  return {
    type: 'object',
    required: ['version', 'reservations', 'undelivered_ends'],
    additionalProperties: false,
    properties: {
      version: { const: STATE_VERSION },
      reservations: { type: 'array', items: heldReservation },
      undelivered_ends: { type: 'array', items: reservationEnd },
      undelivered_updates: { type: 'array', items: reservationUpdate },
    },
  };
}
