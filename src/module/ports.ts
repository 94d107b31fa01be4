// The only ways module/ reaches MQTT: app.ts fills these with the mqtt/ implementations.
import type { CallResult } from '../everest/envelope';

export type Publish = (topic: string, payload: string, qos: 0 | 1 | 2, retain?: boolean) => Promise<boolean>;
export type Subscribe = (topic: string, qos: 0 | 1 | 2, handler: (payload: Buffer) => void) => Promise<void>;
/** A command call to another module; it waits `timeoutMs` (default: the module's EVSE manager call timeout) for the answer. */
export type CallCmd = (moduleId: string, implId: string, cmd: string, args: Record<string, unknown>, timeoutMs?: number) => Promise<CallResult>;

/** What the EVSE manager said to reserve(reservation_id). */
export type PlacementAnswer = 'accepted' | 'refused' | 'unanswered' | 'not asked';

/** How the evse interface's reserve_now gives an EVSE manager the last word. */
export interface EvsePlacement {
  /**
   * Calls reserve(reservationId) on the EVSE manager of `evseId` and, as soon as it said yes (or
   * did not answer in time), runs `commit` before anything else reaches that EVSE manager.
   */
  place(evseId: number, reservationId: number, commit: () => void): Promise<PlacementAnswer>;
}
