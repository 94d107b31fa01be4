// A held reservation as list_reservations, the snapshot and the persistence file write it, in
// the words of the interface impl main serves.
import type { HeldReservation } from '../domain/types';
import type { HeldReservation as HeldReservationWire } from '../generated/types';

/** The interface impl main serves (manifest parameter reservation_interface). */
export type WireInterface = 'connector' | 'evse';

/** A held reservation on the wire: connector_id in the connector interface, evse_id and connector_type in the evse interface. */
export function toWire(reservation: HeldReservation, wire: WireInterface): HeldReservationWire {
  return {
    reservation_id: reservation.reservationId,
    ...placeOf(reservation, wire),
    id_token: reservation.idToken,
    ...(reservation.parentIdToken !== undefined ? { parent_id_token: reservation.parentIdToken } : {}),
    expiry_time: reservation.expiryTime,
  };
}

/** Where a reservation read back from the file is for, whichever interface wrote it. */
export function targetOfWire(held: HeldReservationWire): { evseId: number } | 'any' {
  const evseId = held.evse_id ?? held.connector_id ?? 0;
  return evseId === 0 ? 'any' : { evseId };
}

/** Where a reservation is, in the interface's words (also the fields of its log lines). */
export function placeOf(reservation: HeldReservation, wire: WireInterface): { connector_id?: number; evse_id?: number; connector_type?: string } {
  if (wire === 'connector') return { connector_id: reservation.evseId };
  return {
    ...(reservation.evseId !== 0 ? { evse_id: reservation.evseId } : {}),
    ...(reservation.connectorType !== undefined ? { connector_type: reservation.connectorType } : {}),
  };
}
