// The schedule of a chaos run, drawn entirely from the seed before anything runs: the same seed
// (and CHAOS_SECONDS, and interface) gives the same steps. Every step stands alone, so any
// subsequence of a schedule is a schedule too (what the shrinker relies on).
import { Prng } from './prng';

export const CALLERS = ['ocpp', 'cs-a', 'cs-b'] as const;
export type Caller = (typeof CALLERS)[number];

/** Which reservation interface the module serves: the seed's (connector) or today's (evse). */
export type Interface = 'connector' | 'evse';

/** Where today's reserve_now asks: an EVSE id (absent: any EVSE) and a connector type (absent: any). */
export interface EvseRequest {
  evse?: number;
  type?: string;
}

export type Command =
  | { cmd: 'reserve_now'; connector: number; id: number; token: string; parent?: string; expiresInMs: number }
  /** Today's reserve_now({request}). */
  | { cmd: 'reserve_now'; request: EvseRequest; id: number; token: string; parent?: string; expiresInMs: number }
  | { cmd: 'cancel_reservation'; id: number }
  | { cmd: 'exists_reservation'; connector: number; token: string; parent?: string }
  /** Today's exists_reservation({request}) on impl main: an EVSE (absent: station-wide) and a group token. */
  | { cmd: 'exists_reservation'; request: { evse?: number }; token: string; parent?: string }
  | { cmd: 'check_start'; evse: number; token: string; parent?: string }
  | { cmd: 'list_reservations' };

export type EvseEventName =
  | 'Enabled'
  | 'Disabled'
  | 'SessionStarted'
  | 'SessionFinished'
  | 'TransactionStarted'
  | 'RaiseInoperative'
  | 'ClearInoperative'
  /** A session started by an authorisation (evse interface): the EVSE manager names the reservation it shows. */
  | 'SessionAuthorized';

/** A command sent `afterMs` from the moment of a crash: negative is before it (in flight), positive while down. */
export interface Overlapping {
  caller: Caller;
  command: Command;
  afterMs: number;
}

export type StepBody =
  | { kind: 'call'; caller: Caller; command: Command }
  | { kind: 'evse'; evse: number; event: EvseEventName; token?: string; parent?: string; reservationId?: number }
  /** An EVSE manager process restarts (evse interface): down for downMs, then up holding no reservation. */
  | { kind: 'evse-restart'; evse: number; downMs: number }
  | { kind: 'module-crash'; signal: 'SIGKILL' | 'SIGTERM'; downMs: number; overlapping?: Overlapping }
  | { kind: 'broker-crash'; downMs: number; overlapping?: Overlapping }
  | { kind: 'listener-away'; ms: number }
  | { kind: 'evse-silent'; evse: number; silent: boolean }
  | { kind: 'wait'; ms: number }
  | { kind: 'checkpoint' };

export type Step = StepBody & { gapMs: number };

export interface Schedule {
  seed: number;
  seconds: number;
  /** Absent: the connector interface (schedules written before the evse mode). */
  iface?: Interface;
  steps: Step[];
}

const TOKENS = ['ALICE', 'alice', 'BOB', 'CAROL'];
const PARENTS = ['FLEET-1', 'fleet-1', 'FLEET-2'];
// Few ids, so that cancels, replacements and transactions by reservation id often hit a held one.
export const MAX_ID = 6;
const CHECKPOINT_EVERY = 12;

export function token(rng: Prng): { token: string; parent?: string } {
  const t = rng.pick(TOKENS);
  return rng.chance(0.3) ? { token: t, parent: rng.pick(PARENTS) } : { token: t };
}

export function expiresInMs(rng: Prng): number {
  const roll = rng.next();
  if (roll < 0.55) return rng.int(1500, 8000); // falls due during the run, often near other steps
  if (roll < 0.8) return rng.int(8000, 30_000);
  return rng.int(60_000, 7_200_000);
}

function command(rng: Prng): Command {
  switch (rng.weighted({ reserve: 50, cancel: 20, exists: 18, list: 12 })) {
    case 'reserve':
      return { cmd: 'reserve_now', connector: Number(rng.weighted({ 0: 35, 1: 30, 2: 30, 3: 5 })), id: rng.int(1, MAX_ID), ...token(rng), expiresInMs: expiresInMs(rng) };
    case 'cancel':
      return { cmd: 'cancel_reservation', id: rng.int(1, MAX_ID) };
    case 'exists':
      return { cmd: 'exists_reservation', connector: rng.int(1, 2), ...token(rng) };
    default:
      return { cmd: 'list_reservations' };
  }
}

function evseStep(rng: Prng): StepBody {
  const evse = rng.pick([1, 2] as const);
  const event: EvseEventName = rng.weighted({ Enabled: 14, Disabled: 4, SessionStarted: 8, SessionFinished: 16, TransactionStarted: 12, RaiseInoperative: 3, ClearInoperative: 10 });
  if (event !== 'TransactionStarted') return { kind: 'evse', evse, event };
  return { kind: 'evse', evse, event, ...token(rng), ...(rng.chance(0.4) ? { reservationId: rng.int(1, MAX_ID) } : {}) };
}

export function overlapping(rng: Prng, downMs: number, draw: (rng: Prng) => Command = command): Overlapping | undefined {
  if (!rng.chance(0.6)) return undefined;
  return { caller: rng.pick(CALLERS), command: draw(rng), afterMs: rng.chance(0.5) ? -rng.int(0, 30) : rng.int(0, downMs) };
}

function body(rng: Prng): StepBody {
  switch (rng.weighted({ call: 58, evse: 22, moduleKill: 3, moduleTerm: 2, brokerKill: 2, listener: 2, silent: 2, wait: 4 })) {
    case 'call':
      return { kind: 'call', caller: rng.pick(CALLERS), command: command(rng) };
    case 'evse':
      return evseStep(rng);
    case 'moduleKill':
    case 'moduleTerm': {
      const downMs = rng.int(0, 2500);
      const signal = rng.chance(0.6) ? 'SIGKILL' : 'SIGTERM';
      const o = overlapping(rng, downMs);
      return { kind: 'module-crash', signal, downMs, ...(o ? { overlapping: o } : {}) };
    }
    case 'brokerKill': {
      const downMs = rng.int(0, 2500);
      const o = overlapping(rng, downMs);
      return { kind: 'broker-crash', downMs, ...(o ? { overlapping: o } : {}) };
    }
    case 'listener':
      return { kind: 'listener-away', ms: rng.int(300, 4000) };
    case 'silent':
      return { kind: 'evse-silent', evse: rng.pick([1, 2] as const), silent: rng.chance(0.6) };
    default:
      return { kind: 'wait', ms: rng.int(500, 4000) };
  }
}

// ---- today's interface (reservation_interface: evse) ----------------------------------------

/** The EVSEs, in connection order, as their EVSE managers answer get_evse: one type, two types, Unknown (no type). */
export const SOAK_EVSES: ReadonlyArray<{ id: number; connectors: ReadonlyArray<{ id: number; type?: string }> }> = [
  { id: 1, connectors: [{ id: 1, type: 'cCCS2' }] },
  { id: 2, connectors: [{ id: 1, type: 'cCCS2' }, { id: 2, type: 'cType2' }] },
  { id: 3, connectors: [{ id: 1 }] },
];

/** Types asked for: those of the station, Unknown (any), and one no connector has but an Unknown one matches. */
const TYPES = { none: 35, cCCS2: 25, cType2: 25, Unknown: 5, sType3: 10 };
/** EVSE ids asked for: absent (any EVSE), each EVSE, one the station lacks, 0, and a negative one (any, as in EVerest). */
const EVSE_IDS = { any: 40, 1: 17, 2: 17, 3: 17, 9: 4, 0: 2, [-1]: 3 };

function evseId(rng: Prng): number | undefined {
  const drawn = rng.weighted(EVSE_IDS);
  return drawn === 'any' ? undefined : Number(drawn);
}

/** One command of today's interface. */
export function evseCommand(rng: Prng): Command {
  switch (rng.weighted({ reserve: 46, cancel: 18, exists: 12, check: 12, list: 12 })) {
    case 'reserve': {
      const evse = evseId(rng);
      const type = rng.weighted(TYPES);
      const request = { ...(evse !== undefined ? { evse } : {}), ...(type !== 'none' ? { type } : {}) };
      return { cmd: 'reserve_now', request, id: rng.int(1, MAX_ID), ...token(rng), expiresInMs: expiresInMs(rng) };
    }
    case 'cancel':
      return { cmd: 'cancel_reservation', id: rng.int(1, MAX_ID) };
    case 'exists': {
      const evse = rng.chance(0.25) ? undefined : rng.int(1, SOAK_EVSES.length);
      return { cmd: 'exists_reservation', request: evse !== undefined ? { evse } : {}, ...token(rng) };
    }
    case 'check':
      return { cmd: 'check_start', evse: rng.int(1, SOAK_EVSES.length), ...token(rng) };
    default:
      return { cmd: 'list_reservations' };
  }
}

function evseEvent(rng: Prng): StepBody {
  const evse = rng.int(1, SOAK_EVSES.length);
  const event = rng.weighted<EvseEventName>({ Enabled: 12, Disabled: 4, SessionStarted: 8, SessionAuthorized: 6, SessionFinished: 24, TransactionStarted: 10, RaiseInoperative: 3, ClearInoperative: 8 });
  // A driver with a holder's token or anyone else's; the EVSE manager names the reservation it shows.
  if (event === 'SessionAuthorized' || event === 'TransactionStarted') return { kind: 'evse', evse, event, ...token(rng) };
  return { kind: 'evse', evse, event };
}

/**
 * One step of an evse-interface schedule. Once the module is in EVerest's token path (issue 27,
 * "Reservations that hold at the reader"), its token steps (auth_token_validator calls,
 * authorisations withdrawn) join this table.
 */
export function evseBody(rng: Prng): StepBody {
  switch (rng.weighted({ call: 56, evse: 24, moduleKill: 3, moduleTerm: 2, brokerKill: 2, evseRestart: 3, listener: 2, wait: 4 })) {
    case 'call':
      return { kind: 'call', caller: rng.pick(CALLERS), command: evseCommand(rng) };
    case 'evse':
      return evseEvent(rng);
    case 'moduleKill':
    case 'moduleTerm': {
      const downMs = rng.int(0, 2500);
      const signal = rng.chance(0.6) ? 'SIGKILL' : 'SIGTERM';
      const o = overlapping(rng, downMs, evseCommand);
      return { kind: 'module-crash', signal, downMs, ...(o ? { overlapping: o } : {}) };
    }
    case 'brokerKill': {
      const downMs = rng.int(0, 2500);
      const o = overlapping(rng, downMs, evseCommand);
      return { kind: 'broker-crash', downMs, ...(o ? { overlapping: o } : {}) };
    }
    case 'evseRestart':
      return { kind: 'evse-restart', evse: rng.int(1, SOAK_EVSES.length), downMs: rng.int(0, 2000) };
    case 'listener':
      return { kind: 'listener-away', ms: rng.int(300, 4000) };
    default:
      return { kind: 'wait', ms: rng.int(500, 4000) };
  }
}

/** Rough seconds a step takes, so that CHAOS_SECONDS maps to a number of steps (deterministically). */
export function estimatedMs(step: Step): number {
  const base: Record<StepBody['kind'], number> = { call: 120, evse: 40, 'evse-restart': 300, 'module-crash': 1800, 'broker-crash': 3500, 'listener-away': 0, 'evse-silent': 0, wait: 0, checkpoint: 1300 };
  const extra = step.kind === 'wait' ? step.ms : step.kind === 'module-crash' || step.kind === 'broker-crash' || step.kind === 'evse-restart' ? step.downMs : 0;
  return step.gapMs + base[step.kind] + extra;
}

/**
 * The schedule for `seed`, about `seconds` long, for the module serving `iface`; it ends with
 * quiet and a final check (added by the runner).
 */
export function generateSchedule(seed: number, seconds: number, iface: Interface = 'connector'): Schedule {
  const rng = new Prng(seed);
  const draw = iface === 'evse' ? evseBody : body;
  const steps: Step[] = [];
  let budgetMs = seconds * 1000;
  while (budgetMs > 0) {
    const step: Step =
      steps.length % CHECKPOINT_EVERY === CHECKPOINT_EVERY - 1 ? { kind: 'checkpoint', gapMs: 0 } : { ...draw(rng), gapMs: rng.chance(0.2) ? rng.int(0, 20) : rng.int(30, 400) };
    steps.push(step);
    budgetMs -= estimatedMs(step);
  }
  return { seed, seconds, ...(iface === 'evse' ? { iface } : {}), steps };
}

/** One line per step, for the report of a failing run. */
export function describeStep(step: Step): string {
  const { gapMs, ...rest } = step;
  return `+${gapMs}ms ${JSON.stringify(rest)}`;
}
