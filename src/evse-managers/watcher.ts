// Follows each connected EVSE manager (connection N is the EVSE at position N): its session_event
// var and its evse_manager/Inoperative error become EvseChanges for the domain; its ModuleReady
// says it started again (holding no reservation).
import type { EvseManagerConnection } from '../config/load';
import type { EvseChange, SessionClaim } from '../domain/types';
import { decodeErrorEvent, decodeVar, isReadyMessage } from '../everest/envelope';
import { errorTopic, readyTopic, varTopic } from '../everest/topics';
import type { RaisedError, SessionEvent, SessionIdTag } from '../generated/types';
import type { Logger } from '../log';
import type { Validate } from '../schema/schema-types';
import { check, type InterfaceValidator } from '../schema/validate';
import type { Subscribe } from '../module/ports';

export const INOPERATIVE_ERROR = 'evse_manager/Inoperative';

/** Who a session was started for: the token (and parent token) and the reservation it names. */
function claimOf(started: { id_tag?: SessionIdTag; reservation_id?: number }): SessionClaim {
  return {
    ...(started.id_tag ? { idToken: started.id_tag.id_token.value } : {}),
    ...(started.id_tag?.parent_id_token ? { parentIdToken: started.id_tag.parent_id_token.value } : {}),
    ...(started.reservation_id !== undefined ? { reservationId: started.reservation_id } : {}),
  };
}

/**
 * The change a session event makes to its EVSE; undefined for events that change nothing.
 * `perConnector`: Enabled/Disabled name a connector (absent: 1); without it they are about the
 * whole EVSE manager's connector, as in the connector interface.
 */
export function evseChangeOf(event: SessionEvent, perConnector: boolean): EvseChange | undefined {
  switch (event.event) {
    case 'Enabled':
    case 'Disabled':
      return perConnector && event.connector_id !== undefined ? { kind: event.event, connectorId: event.connector_id } : { kind: event.event };
    case 'SessionStarted': {
      // Started by an authorisation, it may name the reservation it uses.
      const started = event.session_started;
      return started?.reason === 'Authorized' ? { kind: 'SessionStarted', claim: claimOf(started) } : { kind: 'SessionStarted' };
    }
    case 'SessionFinished':
    case 'Authorized':
    case 'Deauthorized':
    case 'TransactionFinished':
      return { kind: event.event };
    case 'TransactionStarted':
      return event.transaction_started
        ? { kind: 'TransactionStarted', ...claimOf(event.transaction_started), idToken: event.transaction_started.id_tag.id_token.value }
        : undefined;
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
  /** Enabled/Disabled name a connector of the EVSE (the evse interface) rather than the whole EVSE manager. */
  perConnector: boolean;
  onChange: (position: number, change: EvseChange) => void;
  /** The EVSE manager ended the reservation it showed (session event ReservationEnd). */
  onReservationEnd?: (position: number) => void;
  /**
   * The EVSE manager dropped whatever reservation it showed without a ReservationEnd: EVerest's
   * EvseManager does when a session starts with reason Authorized and when a transaction starts.
   */
  onClearedSilently?: (position: number) => void;
  /** The EVSE manager (re)started: its ModuleReady, which every EVerest module sends at start. */
  onStarted?: (position: number) => void;
  log: Logger;
}

export async function watchEvseManagers(deps: EvseWatcherDeps): Promise<void> {
  const { prefix, evseManagers, subscribe, log } = deps;
  await Promise.all(
    evseManagers.flatMap((evse, index) => {
      const position = index + 1;
      // Logs speak the interface's words: connector N there, the EVSE manager's position here.
      const context = { ...(deps.perConnector ? { evse_position: position } : { connector_id: position }), evse_manager: evse.moduleId };
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
        if (event.event === 'ReservationEnd' && deps.onReservationEnd) {
          log.info(context, 'EVSE manager ended its reservation');
          deps.onReservationEnd(position);
          return;
        }
        const change = evseChangeOf(event, deps.perConnector);
        if (!change) {
          log.debug({ ...context, event: event.event }, 'session_event changes nothing here');
          return;
        }
        log.info({ ...context, event: event.event, ...('connectorId' in change ? { connector_id: change.connectorId } : {}) }, 'EVSE changed');
        if (change.kind === 'TransactionStarted' || (change.kind === 'SessionStarted' && event.session_started?.reason === 'Authorized')) deps.onClearedSilently?.(position);
        deps.onChange(position, change);
      };
      const onInoperative = (payload: Buffer): void => {
        const decoded = decodeErrorEvent(payload);
        const problem = decoded ? check(deps.validateRaisedError, decoded.data) : 'not a RaiseError/ClearError envelope';
        if (!decoded || problem || (decoded.data as RaisedError).type !== INOPERATIVE_ERROR) {
          log.warn({ ...context, reason: problem ?? `error type is not ${INOPERATIVE_ERROR}` }, 'invalid error event ignored');
          return;
        }
        log.info({ ...context, raised: decoded.raised }, decoded.raised ? 'EVSE inoperative' : 'EVSE operative again');
        deps.onChange(position, { kind: decoded.raised ? 'Faulted' : 'FaultCleared' });
      };
      const onStarted = deps.onStarted;
      const onReady = (payload: Buffer): void => {
        if (!onStarted || !isReadyMessage(payload, 'ModuleReady')) return;
        log.info(context, 'EVSE manager started; it holds no reservation');
        onStarted(position);
      };
      return [
        subscribe(varTopic(prefix, evse.moduleId, evse.implId, 'session_event'), 2, onSessionEvent),
        subscribe(errorTopic(prefix, evse.moduleId, evse.implId, INOPERATIVE_ERROR), 2, onInoperative),
        ...(onStarted ? [subscribe(readyTopic(prefix, evse.moduleId), 2, onReady)] : []),
      ];
    }),
  );
}
