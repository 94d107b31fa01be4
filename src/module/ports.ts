// The only ways module/ reaches MQTT: app.ts fills these with the mqtt/ implementations.
import type { CallResult } from '../everest/envelope';

export type Publish = (topic: string, payload: string, qos: 0 | 1 | 2, retain?: boolean) => Promise<boolean>;
export type Subscribe = (topic: string, qos: 0 | 1 | 2, handler: (payload: Buffer) => void) => Promise<void>;
export type CallCmd = (moduleId: string, implId: string, cmd: string, args: Record<string, unknown>) => Promise<CallResult>;
