// Follows each connected EVSE manager (connection N is connector N): its session_event var and
// its evse_manager/Inoperative error become ConnectorChanges for the domain.
import type { EvseManagerConnection } from '../config/load';
import type { ConnectorChange } from '../domain/types';
import { decodeErrorEvent, decodeVar } from '../everest/envelope';
import { errorTopic, varTopic } from '../everest/topics';
import type { RaisedError, SessionEvent } from '../generated/types';
import type { Logger } from '../log';
import type { Validate } from '../schema/schema-types';
import { check, type InterfaceValidator } from '../schema/validate';
import type { Subscribe } from './ports';

export const INOPERATIVE_ERROR = 'evse_manager/Inoperative';

/** The change a session event makes to its connector; undefined for events that change nothing. */
export function connectorChangeOf(event: SessionEvent): ConnectorChange | undefined {
  switch (event.event) {
    case 'Enabled':
    case 'Disabled':
    case 'SessionStarted':
    case 'SessionFinished':
      return { kind: event.event };
    case 'TransactionStarted': {
      const tx = event.transaction_started;
      if (!tx) return undefined;
      return {
        kind: 'TransactionStarted',
        idToken: tx.id_tag.id_token.value,
        ...(tx.id_tag.parent_id_token ? { parentIdToken: tx.id_tag.parent_id_token.value } : {}),
        ...(tx.reservation_id !== undefined ? { reservationId: tx.reservation_id } : {}),
      };
    }
    default:
      return undefined;
  }
}

export interface EvseWatcherDeps {
  prefix: string;
  evseManagers: readonly EvseManagerConnection[];
  subscribe: Subscribe;
  /** Validates session_event against the generated evse_manager interface. */
  validator: InterfaceValidator;
  validateRaisedError: Validate;
  onChange: (connectorId: number, change: ConnectorChange) => void;
  log: Logger;
}

export async function watchEvseManagers(deps: EvseWatcherDeps): Promise<void> {
  const { prefix, evseManagers, subscribe, log } = deps;
  await Promise.all(
    evseManagers.flatMap((evse, index) => {
      const connectorId = index + 1;
      const context = { connector_id: connectorId, evse_manager: evse.moduleId };
      const onSessionEvent = (payload: Buffer): void => {
        const decoded = decodeVar(payload);
        const problem = decoded ? deps.validator.checkVar('session_event', decoded.value) : 'not a Var envelope';
        if (!decoded || problem) {
          log.warn({ ...context, reason: problem }, 'invalid session_event ignored');
          return;
        }
        const event = decoded.value as SessionEvent;
        if (event.event === 'TransactionStarted' && !event.transaction_started) {
          log.warn({ ...context, reason: 'TransactionStarted without transaction_started' }, 'invalid session_event ignored');
          return;
        }
        const change = connectorChangeOf(event);
        if (!change) {
          log.debug({ ...context, event: event.event }, 'session_event changes nothing here');
          return;
        }
        log.info({ ...context, event: event.event }, 'connector changed');
        deps.onChange(connectorId, change);
      };
      const onInoperative = (payload: Buffer): void => {
        const decoded = decodeErrorEvent(payload);
        const problem = decoded ? check(deps.validateRaisedError, decoded.data) : 'not a RaiseError/ClearError envelope';
        if (!decoded || problem || (decoded.data as RaisedError).type !== INOPERATIVE_ERROR) {
          log.warn({ ...context, reason: problem ?? `error type is not ${INOPERATIVE_ERROR}` }, 'invalid error event ignored');
          return;
        }
        log.info({ ...context, raised: decoded.raised }, decoded.raised ? 'connector inoperative' : 'connector operative again');
        deps.onChange(connectorId, { kind: decoded.raised ? 'Faulted' : 'FaultCleared' });
      };
      return [
        subscribe(varTopic(prefix, evse.moduleId, evse.implId, 'session_event'), 2, onSessionEvent),
        subscribe(errorTopic(prefix, evse.moduleId, evse.implId, INOPERATIVE_ERROR), 2, onInoperative),
      ];
    }),
  );
}
