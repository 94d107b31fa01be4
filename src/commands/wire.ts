// What both wire interfaces' commands share: a request read off the wire, cancel_reservation,
// and the log of a refusal.
import type { ReservationBook } from '../domain/reservation-book';
import type { DomainEvent, Refusal, ReservationRequest } from '../domain/types';
import { CmdError } from '../everest/errors';
import type { Logger } from '../log';
import { rfc3339ToEpochMs } from '../module/time';

export type Handler<A, R> = (args: A) => R | Promise<R>;
/** Commits what a command changed: publishes its events, re-arms the expiry timer, and resolves once on disk. */
export type AfterChange = (events: DomainEvent[]) => Promise<void>;

interface WireReservation {
  reservation_id: number;
  id_token: string;
  parent_id_token?: string;
  expiry_time: string;
  connector_type?: string;
}

/** The domain's request from a reservation on the wire; an id or time the schema let through but that names nothing is refused here. */
export function requestOf(argument: string, reservation: WireReservation): ReservationRequest {
  const expiresAtMs = rfc3339ToEpochMs(reservation.expiry_time);
  if (expiresAtMs === undefined) {
    throw new CmdError('SchemaValidationError', `argument '${argument}': /expiry_time ${JSON.stringify(reservation.expiry_time)} names no instant`);
  }
  checkSafeId(`argument '${argument}': /reservation_id`, reservation.reservation_id);
  return {
    reservationId: reservation.reservation_id,
    idToken: reservation.id_token,
    ...(reservation.parent_id_token !== undefined ? { parentIdToken: reservation.parent_id_token } : {}),
    ...(reservation.connector_type !== undefined ? { connectorType: reservation.connector_type } : {}),
    expiryTime: reservation.expiry_time,
    expiresAtMs,
  };
}

/** EVerest's interfaces declare plain integers; past 2^53 - 1 one could name another reservation. */
export function checkSafeId(where: string, id: number): void {
  if (!Number.isSafeInteger(id)) {
    throw new CmdError('SchemaValidationError', `${where}: ${id} is beyond the largest exact integer, 2^53 - 1`);
  }
}

/** cancel_reservation, the same in both interfaces. */
export function cancelCommand(book: ReservationBook, afterChange: AfterChange, log: Logger): Handler<{ reservation_id: number }, boolean> {
  return async ({ reservation_id }) => {
    checkSafeId("argument 'reservation_id'", reservation_id);
    const { cancelled, events } = book.cancel(reservation_id);
    if (!cancelled) log.info({ reservation_id }, 'cancel_reservation: no such reservation held');
    if (events.length > 0) await afterChange(events); // answered once on disk
    return cancelled;
  };
}

/** One line per refusal: which reservation, where, the answer and the fact behind it. */
export function logRefusal(log: Logger, context: Record<string, unknown>, result: string, refusal: Refusal): void {
  log.info({ ...context, result, why: refusal.kind }, 'reservation refused');
}
