// What one part of the module brings to the composition root (app.ts): the implementations it
// provides, the required modules it reaches, and the moments it acts. Every part goes through the
// same start-up and shutdown, so a new part is one more entry in app.ts's list.
import type { DomainEvent } from '../domain/types';
import type { CompiledInterface } from '../schema/schema-types';
import type { Subscribe } from './ports';

/** One implementation this module provides: its commands, each checked against its interface. */
export interface Implementation {
  implId: string;
  iface: CompiledInterface;
  /** The QoS its calls are taken and answered at (default EVerest's 2; see mqtt/provider.ts). */
  qos?: 1 | 2;
  /** One function per command of `iface` (the command provider refuses to start with one missing). */
  handlers: object;
}

/** Hears the events of each change once they are published. */
export interface ChangeListener {
  handled(events: readonly DomainEvent[]): void;
}

/** How a part reaches its required modules once the module is connected. */
export interface RequiredLinks {
  subscribe: Subscribe;
  /** Subscribes to the answers of `cmd` on that implementation; before the first call of it (at EVerest's QoS 2 unless told). */
  prepareCall: (moduleId: string, implId: string, cmd: string, qos?: 1 | 2) => Promise<void>;
}

export interface ModulePart extends Partial<ChangeListener> {
  readonly implementations?: readonly Implementation[];
  /** Once connected, before the persisted state is restored and commands are taken. */
  connect?(links: RequiredLinks): Promise<void>;
  /** Once the persisted reservations are held again, with the commands: starts taking what other modules send it to pass on. */
  listen?(links: RequiredLinks): Promise<void>;
  /** An earlier run of this module left a persistence file: what it told other modules may still show. */
  restarted?(): void;
  /** The broker connection is back after a loss. */
  reconnected?(): void;
  /** Each time the system becomes ready: GlobalReady under the manager, else once at start-up. */
  ready?(): void;
  stop?(): void;
}
