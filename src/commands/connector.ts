// Impl main in the connector interface (everest-core 2022.10 to 2024.10): reserve_now(connector_id,
// reservation), each connector an EVSE with one Unknown connector, connector 0 any of them.
import type { ReservationBook } from '../domain/reservation-book';
import type { Decision } from '../domain/types';
import type { ReservationCmd, ReservationCmdArgs, ReservationCmdResults, ReservationResult } from '../generated/types';
import type { Logger } from '../log';
import type { Clock } from '../module/scheduler';
import { type AfterChange, cancelCommand, type Handler, logRefusal, requestOf } from './wire';

/** EVerest's `reservation` interface of the seed's era, provided as impl `main`. */
export type ConnectorCommands = { [K in ReservationCmd]: Handler<ReservationCmdArgs[K], ReservationCmdResults[K]> };

/** The answer the seed's rules 1-8 give (spec/reservation-module.md). */
export function connectorResult(decision: Decision): ReservationResult {
  if (decision.accepted) return 'Accepted';
  const refusal = decision.refusal;
  switch (refusal.kind) {
    case 'EvseBusy':
      return refusal.faulted ? 'Faulted' : refusal.disabled ? 'Unavailable' : 'Occupied'; // rule 6
    case 'GuaranteeBroken': {
      const { total, faulted, unavailable } = refusal.evses; // rule 7
      return faulted === total ? 'Faulted' : unavailable === total ? 'Unavailable' : 'Occupied';
    }
    default:
      return 'Rejected'; // rules 1-4
  }
}

export function createConnectorCommands(book: ReservationBook, clock: Clock, afterChange: AfterChange, log: Logger): ConnectorCommands {
  return {
    async reserve_now({ connector_id, reservation }) {
      const request = requestOf('reservation', reservation);
      const { decision, events } = book.reserveNow(connector_id === 0 ? 'any' : { evseId: connector_id }, request, clock.now());
      const result = connectorResult(decision);
      if (!decision.accepted) logRefusal(log, { reservation_id: reservation.reservation_id, connector_id }, result, decision.refusal);
      if (events.length > 0) await afterChange(events); // answered once on disk
      return result;
    },
    cancel_reservation: cancelCommand(book, afterChange, log),
  };
}
