// What the runner saw, in the order it saw it: the only input of the checker.
import type { Caller, Command } from './schedule';

export type Crash = 'module-kill' | 'module-term' | 'broker-kill';

/** The arguments of a sent reserve_now, with the expiry as an instant. */
export interface SentReserve {
  connector: number;
  id: number;
  token: string;
  parent?: string;
  expiryTime: string;
  expiryMs: number;
}

export type LogEvent = { t: number; step: number } & (
  | { k: 'sent'; attempt: string; caller: Caller; command: Command; reserve?: SentReserve }
  | { k: 'answer'; attempt: string; retval?: unknown; error?: string }
  | { k: 'abandoned'; attempt: string }
  | { k: 'evse'; t0: number; evse: number; event: string; tx?: { token: string; parent?: string; reservationId?: number } }
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
