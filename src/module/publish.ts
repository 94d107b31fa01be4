// DomainEvents -> what the rest of the station hears: the reservation_end var and the logs.
import type { DomainEvent } from '../domain/types';
import type { Logger } from '../log';
import type { EvseNotifier } from './evse-notifier';
import type { EndOutbox } from './outbox';

export class EventPublisher {
  constructor(
    private readonly outbox: EndOutbox,
    private readonly log: Logger,
    private readonly evse?: EvseNotifier,
  ) {}

  handle(events: readonly DomainEvent[]): void {
    for (const event of events) {
      const { reservationId, connectorId } = event.reservation;
      if (event.kind === 'ReservationAccepted') {
        const replaced = event.replaced;
        this.log.info(
          { reservation_id: reservationId, connector_id: connectorId, expiry_time: event.reservation.expiryTime, ...(replaced ? { replaced_connector_id: replaced.connectorId } : {}) },
          event.restored ? 'reservation restored from the persistence file' : replaced ? 'reservation replaced' : 'reservation accepted',
        );
        if (replaced && replaced.connectorId !== 0 && replaced.connectorId !== connectorId) this.evse?.released(replaced.connectorId, reservationId);
        if (connectorId !== 0) this.evse?.reserved(connectorId, reservationId);
        continue;
      }
      this.log.info({ reservation_id: reservationId, connector_id: connectorId, reason: event.reason }, 'reservation ended');
      this.outbox.send({ reservation_id: reservationId, reason: event.reason });
      if (connectorId !== 0) this.evse?.released(connectorId, reservationId);
    }
  }
}
