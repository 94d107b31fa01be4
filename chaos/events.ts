// What the runner saw, in the order it saw it: the only input of the checker.
import type { Caller, Command, EvseRequest } from './schedule';

export type Crash = 'module-kill' | 'module-term' | 'broker-kill';

/** The arguments of a sent reserve_now, with the expiry as an instant. */
export interface SentReserve {
  /** The connector interface's connector (0: any). */
  connector?: number;
  /** Today's interface: the EVSE (absent: any) and connector type asked for. */
  request?: EvseRequest;
  id: number;
  token: string;
  parent?: string;
  expiryTime: string;
  expiryMs: number;
}

/** The token (and parent) a session or transaction was started for, and the reservation id the EVSE manager named in it. */
export interface SessionNamed {
  token: string;
  parent?: string;
  reservationId?: number;
}

export type LogEvent = { t: number; step: number } & (
  | { k: 'sent'; attempt: string; caller: Caller; command: Command; reserve?: SentReserve }
  | { k: 'answer'; attempt: string; retval?: unknown; error?: string }
  | { k: 'abandoned'; attempt: string }
  /** An EVSE event as published (tx: who started the session or transaction, and the reservation id it named). */
  | { k: 'evse'; t0: number; evse: number; event: string; tx?: SessionNamed }
  /** A call the EVSE manager at position `evse` served, with its answer (undefined: answered nothing it keeps, cancel). */
  | { k: 'evse-call'; evse: number; cmd: string; reservationId?: number; retval: unknown }
  /** An EVSE manager went down (its reservation gone with it) / came back and said ModuleReady. */
  | { k: 'evse-down'; evse: number }
  | { k: 'evse-up'; evse: number }
  /** What each EVSE manager shows at a quiet moment (index = position - 1; null: free, -1: Reserved for station-wide ones). */
  | { k: 'shown'; shown: Array<number | null> }
  | { k: 'update'; id: number; status: string }
  | { k: 'crash'; what: Crash }
  | { k: 'module-spawned' }
  | { k: 'module-ready' }
  | { k: 'broker-up' }
  | { k: 'end'; id: number; reason: string }
  | { k: 'listener'; away: boolean }
  | { k: 'checkpoint'; final: boolean }
  | { k: 'failure'; message: string }
);

export function describeEvent(e: LogEvent): string {
  const { t, step, k, ...rest } = e;
  return `step ${step} ${new Date(t).toISOString().slice(11, 23)} ${k} ${JSON.stringify(rest)}`;
}
