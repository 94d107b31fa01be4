// The connector interface's side of the EVSE managers: a connector's EVSE manager is told
// reserve(reservation_id) when a reservation is accepted for it, cancel_reservation() when it
// ends. Answers are only logged: a missing, late or failed answer changes nothing else
// (spec/reservation-module.md "What it requires").
import type { EvseManagerConnection } from '../config/load';
import type { DomainEvent } from '../domain/types';
import type { Logger } from '../log';
import type { CallCmd } from '../module/ports';
import type { ChangeListener } from '../module/part';
import type { InterfaceValidator } from '../schema/validate';

export function createConnectorNotifier(
  evseManagers: readonly EvseManagerConnection[],
  call: CallCmd,
  validator: InterfaceValidator,
  log: Logger,
): ChangeListener {
  const tell = (connectorId: number, reservationId: number, cmd: 'reserve' | 'cancel_reservation', args: Record<string, unknown>): void => {
    const evse = evseManagers[connectorId - 1];
    if (!evse) return; // no EVSE manager connected: connectors are always available
    const context = { connector_id: connectorId, reservation_id: reservationId, evse_manager: evse.moduleId, cmd };
    void call(evse.moduleId, evse.implId, cmd, args).then((answer) => {
      if (!answer.ok) {
        log.warn({ ...context, error_type: answer.error.type, reason: answer.error.message }, 'EVSE manager call failed');
        return;
      }
      const problem = validator.checkResult(cmd, answer.retval);
      if (problem) log.warn({ ...context, reason: problem }, 'EVSE manager answered with an invalid result');
      else if (cmd === 'reserve' && answer.retval === false) log.warn(context, 'EVSE manager refused to show the reservation');
      else log.debug({ ...context, retval: answer.retval }, 'EVSE manager call answered');
    });
  };
  const reserved = (connectorId: number, reservationId: number): void => tell(connectorId, reservationId, 'reserve', { reservation_id: reservationId });
  const released = (connectorId: number, reservationId: number): void => tell(connectorId, reservationId, 'cancel_reservation', {});
  return {
    handled(events: readonly DomainEvent[]) {
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
  };
}
