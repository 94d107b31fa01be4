// DomainEvents -> what the rest of the station hears: the reservation_end var (and, in the evse
// interface, reservation_update), the EVSE managers (through their side), and the logs.
import type { DomainEvent, EndReason } from '../domain/types';
import type { ReservationUpdateStatus } from '../generated/evse/types';
import type { ReservationEndReason } from '../generated/types';
import type { Logger } from '../log';
import type { VarOutbox } from './outbox';
import { placeOf, type WireInterface } from './reservation-wire';

/** reservation_end keeps the seed's three reasons: a reservation the station could not honour is Cancelled there. */
export const END_REASON: Readonly<Record<EndReason, ReservationEndReason>> = { Expired: 'Expired', Cancelled: 'Cancelled', Removed: 'Cancelled', Used: 'UsedToStartCharging' };

/** Whoever tells the EVSE managers, after the events of one change. */
export interface EvseSide {
  handled(events: readonly DomainEvent[]): void;
  /** This module restarted: an EVSE manager may still show what an earlier run told it. */
  forgetShown(): void;
  /** The system is ready: each EVSE manager whose state is not known is told what the book says. */
  announceAll(): void;
}

export class EventPublisher {
  constructor(
    private readonly outbox: VarOutbox,
    private readonly wire: WireInterface,
    private readonly log: Logger,
    private readonly evse?: EvseSide,
  ) {}

  handle(events: readonly DomainEvent[]): void {
    for (const event of events) {
      const { reservationId } = event.reservation;
      const place = placeOf(event.reservation, this.wire);
      if (event.kind === 'ReservationAccepted') {
        const replaced = event.replaced;
        this.log.info(
          { reservation_id: reservationId, ...place, expiry_time: event.reservation.expiryTime, ...(replaced ? { replaced: placeOf(replaced, this.wire) } : {}) },
          event.restored ? 'reservation restored from the persistence file' : replaced ? 'reservation replaced' : 'reservation accepted',
        );
        // A replacement did not end, and a restored reservation was placed before.
        if (!replaced && !event.restored) this.update(reservationId, 'Placed');
        continue;
      }
      const reason = END_REASON[event.reason];
      this.log.info({ reservation_id: reservationId, ...place, reason, why: event.why }, 'reservation ended');
      this.outbox.send({ name: 'reservation_end', data: { reservation_id: reservationId, reason } });
      this.update(reservationId, event.reason);
    }
    this.evse?.handled(events);
  }

  /** reservation_update: the evse interface's var only. */
  private update(reservationId: number, status: ReservationUpdateStatus['reservation_status']): void {
    if (this.wire === 'evse') this.outbox.send({ name: 'reservation_update', data: { reservation_id: reservationId, reservation_status: status } });
  }
}
