// Tells a connector's EVSE manager about its reservation: reserve(reservation_id) when one is
// accepted for it, cancel_reservation() when it ends. Answers are only logged: a missing,
// late or failed answer changes nothing else (spec: "What it requires").
import type { EvseManagerConnection } from '../config/load';
import type { Logger } from '../log';
import type { InterfaceValidator } from '../schema/validate';
import type { CallCmd } from './ports';

export interface EvseNotifier {
  reserved(connectorId: number, reservationId: number): void;
  released(connectorId: number, reservationId: number): void;
}

export function createEvseNotifier(
  evseManagers: readonly EvseManagerConnection[],
  call: CallCmd,
  validator: InterfaceValidator,
  log: Logger,
): EvseNotifier {
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
  return {
    reserved: (connectorId, reservationId) => tell(connectorId, reservationId, 'reserve', { reservation_id: reservationId }),
    released: (connectorId, reservationId) => tell(connectorId, reservationId, 'cancel_reservation', {}),
  };
}
