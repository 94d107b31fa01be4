// Impl status (this module's reservation_status interface), the same in both wire interfaces:
// exists_reservation for a connector (an EVSE), check_start for whoever authorises drivers, and
// the list of held reservations.
import type { ReservationBook } from '../domain/reservation-book';
import type { ReservationStatusCmd, ReservationStatusCmdArgs, ReservationStatusCmdResults } from '../generated/types';
import { toWire, type WireInterface } from '../module/reservation-wire';
import type { Handler } from './wire';

export type StatusCommands = { [K in ReservationStatusCmd]: Handler<ReservationStatusCmdArgs[K], ReservationStatusCmdResults[K]> };

export function createStatusCommands(book: ReservationBook, wire: WireInterface): StatusCommands {
  return {
    exists_reservation({ request }) {
      return book.exists(request.connector_id, request.id_token, request.parent_id_token);
    },
    check_start({ request }) {
      // The domain says reservationId; the interface's StartCheckResult says reservation_id.
      const { allowed, reservationId } = book.checkStart(request.evse_id, request.id_token, request.parent_id_token);
      return reservationId === undefined ? { allowed } : { allowed, reservation_id: reservationId };
    },
    list_reservations() {
      return book.list().map((reservation) => toWire(reservation, wire));
    },
  };
}
