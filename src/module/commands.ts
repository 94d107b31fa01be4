// The command tables of the two provided interfaces: typed from the generated interfaces, so a
// command missing here is a compile error (and CommandProvider checks it again at start-up).
import type { ReservationBook } from '../domain/reservation-book';
import type { DomainEvent, HeldReservation } from '../domain/types';
import { CmdError } from '../everest/errors';
import type {
  HeldReservation as HeldReservationWire,
  ReservationCmd,
  ReservationCmdArgs,
  ReservationCmdResults,
  ReservationStatusCmd,
  ReservationStatusCmdArgs,
  ReservationStatusCmdResults,
} from '../generated/types';
import type { Logger } from '../log';
import type { Clock } from './scheduler';
import { rfc3339ToEpochMs } from './time';

type Handler<A, R> = (args: A) => R | Promise<R>;
/** EVerest's `reservation` interface, provided as impl `main`. */
export type ReservationCommands = { [K in ReservationCmd]: Handler<ReservationCmdArgs[K], ReservationCmdResults[K]> };
/** This module's `reservation_status` interface, provided as impl `status`. */
export type ReservationStatusCommands = { [K in ReservationStatusCmd]: Handler<ReservationStatusCmdArgs[K], ReservationStatusCmdResults[K]> };

export function toWire(reservation: HeldReservation): HeldReservationWire {
  return {
    reservation_id: reservation.reservationId,
    connector_id: reservation.connectorId,
    id_token: reservation.idToken,
    ...(reservation.parentIdToken !== undefined ? { parent_id_token: reservation.parentIdToken } : {}),
    expiry_time: reservation.expiryTime,
  };
}

export function createCommands(book: ReservationBook, clock: Clock, afterChange: (events: DomainEvent[]) => Promise<void>, log: Logger): ReservationCommands {
  return {
    async reserve_now({ connector_id, reservation }) {
      const expiresAtMs = rfc3339ToEpochMs(reservation.expiry_time);
      if (expiresAtMs === undefined) {
        throw new CmdError('SchemaValidationError', `argument 'reservation': /expiry_time ${JSON.stringify(reservation.expiry_time)} names no instant`);
      }
      const { result, events } = book.reserveNow(
        connector_id,
        {
          reservationId: reservation.reservation_id,
          idToken: reservation.id_token,
          ...(reservation.parent_id_token !== undefined ? { parentIdToken: reservation.parent_id_token } : {}),
          expiryTime: reservation.expiry_time,
          expiresAtMs,
        },
        clock.now(),
      );
      if (result !== 'Accepted') log.info({ reservation_id: reservation.reservation_id, connector_id, result }, 'reservation refused');
      if (events.length > 0) await afterChange(events); // answered once on disk
      return result;
    },
    async cancel_reservation({ reservation_id }) {
      // EVerest's interface declares a plain integer; past 2^53 - 1 it could name another reservation.
      if (!Number.isSafeInteger(reservation_id)) {
        throw new CmdError('SchemaValidationError', `argument 'reservation_id': ${reservation_id} is beyond the largest exact integer, 2^53 - 1`);
      }
      const { cancelled, events } = book.cancel(reservation_id);
      if (!cancelled) log.info({ reservation_id }, 'cancel_reservation: no such reservation held');
      if (events.length > 0) await afterChange(events); // answered once on disk
      return cancelled;
    },
  };
}

export function createStatusCommands(book: ReservationBook): ReservationStatusCommands {
  return {
    exists_reservation({ request }) {
      return book.exists(request.connector_id, request.id_token, request.parent_id_token);
    },
    list_reservations() {
      return book.list().map(toWire);
    },
  };
}
