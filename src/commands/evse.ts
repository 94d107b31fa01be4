// Impl main in the evse interface (everest-core 2024.11.0 and later): reserve_now(request) for an EVSE
// with a connector type or for any EVSE, cancel_reservation, exists_reservation
// (spec/everest-evse-dialect.md §4, §6). An EVSE-specific reservation is made only once its EVSE
// manager said yes to reserve (or did not answer in time): it has the last word.
import type { ReservationBook } from '../domain/reservation-book';
import type { Decision, DomainEvent, Target } from '../domain/types';
import { CmdError } from '../everest/errors';
import type { ReservationCmd, ReservationCmdArgs, ReservationCmdResults, ReservationResult } from '../generated/evse/types';
import type { Logger } from '../log';
import type { EvsePlacement } from '../module/ports';
import type { Clock } from '../module/scheduler';
import { type AfterChange, cancelCommand, type Handler, logRefusal, requestOf } from './wire';

/** Today's EVerest `reservation` interface, provided as impl `main`. */
export type EvseCommands = { [K in ReservationCmd]: Handler<ReservationCmdArgs[K], ReservationCmdResults[K]> };

/** Tokens beyond this are refused, as in the connector interface (OCPP's IdToken has 36 characters, 255 at most elsewhere). */
const MAX_TOKEN_LENGTH = 255;

/** The answer today's EVerest gives, its bugs fixed (spec/everest-evse-dialect.md §4). */
export function evseResult(decision: Decision): ReservationResult {
  if (decision.accepted) return 'Accepted';
  const refusal = decision.refusal;
  switch (refusal.kind) {
    case 'EvseBusy':
      return refusal.heldByOther || refusal.occupied ? 'Occupied' : refusal.faulted ? 'Faulted' : 'Unavailable';
    case 'GuaranteeBroken': {
      const { occupied, faulted, unavailable } = refusal.evses;
      if (refusal.reservationsHeld || occupied > 0) return 'Occupied';
      return faulted > 0 ? 'Faulted' : unavailable > 0 ? 'Unavailable' : 'Occupied';
    }
    default:
      return 'Rejected';
  }
}

export function createEvseCommands(book: ReservationBook, clock: Clock, afterChange: AfterChange, placement: EvsePlacement, log: Logger): EvseCommands {
  return {
    async reserve_now({ request }) {
      for (const token of ['id_token', 'parent_id_token'] as const) {
        if ((request[token]?.length ?? 0) > MAX_TOKEN_LENGTH) {
          throw new CmdError('SchemaValidationError', `argument 'request': /${token} is longer than ${MAX_TOKEN_LENGTH} characters`);
        }
      }
      const wanted = requestOf('request', request);
      // A negative evse_id means any EVSE, as in EVerest.
      const target: Target = request.evse_id === undefined || request.evse_id < 0 ? 'any' : { evseId: request.evse_id };
      const context = {
        reservation_id: request.reservation_id,
        ...(target === 'any' ? {} : { evse_id: target.evseId }),
        ...(request.connector_type !== undefined ? { connector_type: request.connector_type } : {}),
      };
      let outcome: { decision: Decision; events: DomainEvent[] };
      if (target === 'any') {
        outcome = book.reserveNow(target, wanted, clock.now());
      } else {
        const first = book.evaluate(target, wanted, clock.now());
        if (!first.accepted) outcome = { decision: first, events: [] };
        else {
          let committed: typeof outcome | undefined;
          const answer = await placement.place(target.evseId, wanted.reservationId, () => {
            // Decided again: the station may have changed while the EVSE manager answered.
            committed = book.reserveNow(target, wanted, clock.now());
          });
          if (answer === 'refused' || !committed) {
            log.info({ ...context, result: 'Occupied', why: 'EvseManagerRefused' }, 'reservation refused');
            return 'Occupied';
          }
          if (answer === 'unanswered') log.warn(context, 'EVSE manager did not answer reserve in time; the reservation stands');
          outcome = committed;
        }
      }
      const result = evseResult(outcome.decision);
      if (!outcome.decision.accepted) logRefusal(log, context, result, outcome.decision.refusal);
      if (outcome.events.length > 0) await afterChange(outcome.events); // answered once on disk
      return result;
    },
    cancel_reservation: cancelCommand(book, afterChange, log),
    exists_reservation({ request }) {
      const { evse_id: evseId, id_token: idToken, group_id_token: groupIdToken } = request;
      if (evseId === undefined || evseId < 0) return book.stationWideFor(idToken, groupIdToken) ? 'ReservedForToken' : 'NotReserved';
      return book.exists(evseId, idToken, groupIdToken);
    },
  };
}
