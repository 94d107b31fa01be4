// The connector interface's side of the EVSE managers: a connector's EVSE manager is told
// reserve(reservation_id) when a reservation is accepted for it, cancel_reservation() when it
// ends. Answers are only logged: a missing, late or failed answer changes nothing else
// (spec/reservation-module.md "What it requires"). After a restart of this module each EVSE
// manager is told once what the book says, since it may still show what an earlier run told it.
import type { EvseManagerConnection } from '../config/load';
import type { DomainEvent } from '../domain/types';
import type { Logger } from '../log';
import type { CallCmd } from '../module/ports';
import type { EvseSide } from './side';
import type { InterfaceValidator } from '../schema/validate';

type Cmd = 'reserve' | 'cancel_reservation';

export function createConnectorNotifier(
  evseManagers: readonly EvseManagerConnection[],
  call: CallCmd,
  validator: InterfaceValidator,
  log: Logger,
  /** The reservation the book holds for a connector, if any. */
  holderAt: (connectorId: number) => number | undefined,
): EvseSide {
  /** Set by a restart until announceAll: single changes tell nothing, the announcement tells the book as it is then. */
  let shownUnknown = false;
  /** One call; its answer as logged (undefined: failed, invalid or not answered in time). */
  const tell = async (connectorId: number, reservationId: number | undefined, cmd: Cmd): Promise<unknown> => {
    const evse = evseManagers[connectorId - 1];
    if (!evse) return undefined; // no EVSE manager connected: connectors are always available
    const context = { connector_id: connectorId, ...(reservationId !== undefined ? { reservation_id: reservationId } : {}), evse_manager: evse.moduleId, cmd };
    const answer = await call(evse.moduleId, evse.implId, cmd, cmd === 'reserve' ? { reservation_id: reservationId } : {});
    if (!answer.ok) {
      log.warn({ ...context, error_type: answer.error.type, reason: answer.error.message }, 'EVSE manager call failed');
      return undefined;
    }
    const problem = validator.checkResult(cmd, answer.retval);
    if (problem) log.warn({ ...context, reason: problem }, 'EVSE manager answered with an invalid result');
    else if (cmd === 'reserve' && answer.retval === false) log.warn(context, 'EVSE manager refused to show the reservation');
    else log.debug({ ...context, retval: answer.retval }, 'EVSE manager call answered');
    return problem ? undefined : answer.retval;
  };
  const reserved = (connectorId: number, reservationId: number): void => void tell(connectorId, reservationId, 'reserve');
  const released = (connectorId: number, reservationId: number): void => void tell(connectorId, reservationId, 'cancel_reservation');
  /** After a restart: reserve(id) for its reservation (cleared first if it shows another), else cancel_reservation(). */
  const restate = async (connectorId: number): Promise<void> => {
    const reservationId = holderAt(connectorId);
    if (reservationId === undefined) {
      await tell(connectorId, undefined, 'cancel_reservation');
      return;
    }
    if ((await tell(connectorId, reservationId, 'reserve')) !== false) return;
    // Refused: it may still show a reservation from before the restart. Unless the book moved on meanwhile.
    if (holderAt(connectorId) !== reservationId) return;
    await tell(connectorId, reservationId, 'cancel_reservation');
    if (holderAt(connectorId) === reservationId) await tell(connectorId, reservationId, 'reserve');
  };
  return {
    handled(events: readonly DomainEvent[]) {
      if (shownUnknown) return;
      for (const event of events) {
        const { reservationId, evseId: connectorId } = event.reservation;
        if (event.kind === 'ReservationEnded') {
          if (connectorId !== 0) released(connectorId, reservationId);
          continue;
        }
        const replaced = event.replaced;
        if (replaced && replaced.evseId !== 0 && replaced.evseId !== connectorId) released(replaced.evseId, reservationId);
        if (connectorId !== 0) reserved(connectorId, reservationId);
      }
    },
    forgetShown() {
      shownUnknown = true;
    },
    announceAll() {
      if (!shownUnknown) return;
      shownUnknown = false;
      evseManagers.forEach((_, index) => void restate(index + 1));
    },
  };
}
