// What a demo story plays with: the module's commands (as its callers send them), its vars as they
// come, and the simulated EVSE managers.
import type { WireInterface } from '../module/reservation-wire';
import type { EvseSimulator } from './evse-simulator';

export interface Stage {
  wire: WireInterface;
  /** Calls the module; its answer, or the error as `type: message`. */
  call(cmd: string, args: Record<string, unknown>): Promise<unknown>;
  evses: [EvseSimulator, EvseSimulator];
  say(line: string): void;
  pause(ms: number): Promise<void>;
}

/** RFC 3339 (UTC, whole seconds) `seconds` from now. */
export function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}
