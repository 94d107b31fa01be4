// reservation_end events go out only once they are on disk, and stay on disk until the broker
// has confirmed them (QoS 2 PUBCOMP), so a crash or a broker outage loses none.
import { encodeVar } from '../everest/envelope';
import type { ReservationEnd } from '../generated/types';
import type { Logger } from '../log';
import type { Publish } from './ports';

export class EndOutbox {
  private readonly undelivered = new Map<number, ReservationEnd>();
  private nextKey = 1;

  constructor(
    private readonly publish: Publish,
    private readonly topic: string,
    private readonly persisted: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  get size(): number {
    return this.undelivered.size;
  }

  /** The events not yet confirmed by the broker, oldest first (for the persistence file). */
  entries(): ReservationEnd[] {
    return [...this.undelivered.values()];
  }

  send(end: ReservationEnd): void {
    const key = this.nextKey++;
    this.undelivered.set(key, end);
    void this.persisted()
      .then(() => this.publish(this.topic, encodeVar(end), 2))
      .then((confirmed) => {
        if (!confirmed) {
          this.log.warn({ reservation_id: end.reservation_id, reason: end.reason }, 'reservation_end not confirmed by the broker; kept for the next start');
          return;
        }
        this.undelivered.delete(key);
        void this.persisted();
      });
  }
}
