// The vars reservation_end and reservation_update go out only once they are on disk, and stay
// there until the broker has confirmed them (QoS 2 PUBCOMP), so a crash or a broker outage loses none. While the
// broker is away nothing is handed to MQTT.js: it would replay them on reconnect before the
// subscribers (cut off too) have resubscribed, and the broker would accept and drop them
// (broker-facts #5). They go out REDELIVERY_DELAY_MS after the connection is back.
import { encodeVar } from '../everest/envelope';
import type { ReservationUpdateStatus } from '../generated/evse/types';
import type { ReservationEnd } from '../generated/types';
import type { Logger } from '../log';
import type { Publish } from './ports';

export const REDELIVERY_DELAY_MS = 2000;

/** A var value this module publishes exactly once. */
export type OutgoingVar = { name: 'reservation_end'; data: ReservationEnd } | { name: 'reservation_update'; data: ReservationUpdateStatus };
export type OutgoingVarName = OutgoingVar['name'];

export class VarOutbox {
  private readonly undelivered = new Map<number, OutgoingVar>();
  private readonly inFlight = new Set<number>();
  private nextKey = 1;
  private redeliveryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publish: Publish,
    private readonly topics: Readonly<Record<OutgoingVarName, string>>,
    private readonly persisted: () => Promise<void>,
    private readonly isConnected: () => boolean,
    private readonly log: Logger,
    private readonly redeliveryDelayMs = REDELIVERY_DELAY_MS,
  ) {}

  get size(): number {
    return this.undelivered.size;
  }

  /** The values not yet confirmed by the broker, oldest first (for the persistence file). */
  entries(): OutgoingVar[] {
    return [...this.undelivered.values()];
  }

  send(value: OutgoingVar): void {
    const key = this.nextKey++;
    this.undelivered.set(key, value);
    void this.persisted().then(() => this.deliver(key));
  }

  /** The broker is back: send what waited, once subscribers had time to resubscribe. */
  reconnected(): void {
    if (this.redeliveryTimer !== undefined || this.undelivered.size === 0) return;
    this.redeliveryTimer = setTimeout(() => {
      this.redeliveryTimer = undefined;
      this.log.info({ count: this.undelivered.size }, 'sending the events held during the broker outage');
      this.deliverAll();
    }, this.redeliveryDelayMs);
  }

  /** Sends every held event now (the system became ready: nobody needs time to resubscribe). */
  deliverAll(): void {
    for (const key of this.undelivered.keys()) void this.deliver(key);
  }

  stop(): void {
    if (this.redeliveryTimer !== undefined) clearTimeout(this.redeliveryTimer);
    this.redeliveryTimer = undefined;
  }

  private async deliver(key: number): Promise<void> {
    const value = this.undelivered.get(key);
    if (!value || this.inFlight.has(key) || !this.isConnected() || this.redeliveryTimer !== undefined) return;
    this.inFlight.add(key);
    const confirmed = await this.publish(this.topics[value.name], encodeVar(value.data), 2);
    this.inFlight.delete(key);
    if (!confirmed) {
      this.log.warn({ var: value.name, ...value.data }, `${value.name} not confirmed by the broker; kept to send again`);
      return;
    }
    this.undelivered.delete(key);
    void this.persisted();
  }
}
