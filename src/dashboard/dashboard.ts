// The dashboard: the module's topics (or every module's, for the fleet view) into a DashboardView,
// served by the HTTP side; reserve and cancel go through the client's session, in EVerest envelopes.
import { expiryTime } from '../client/expires';
import { ALL_MODULES, type ModuleSession } from '../client/session';
import type { Logger } from '../log';
import type { GuardOptions, Listen } from './guard';
import type { WireInterface } from '../module/reservation-wire';
import { type ActionOutcome, type Actions, type DashboardServer, type ReserveRequest, startDashboardServer } from './server';
import { DashboardView } from './view';

export interface DashboardOptions {
  session: ModuleSession;
  listen: Listen;
  guard: GuardOptions;
  /** Every module under the prefix, read-only, instead of the session's module with forms. */
  all: boolean;
  now: () => number;
  log: Logger;
}

export interface Dashboard {
  url: string;
  view: DashboardView;
  close(): Promise<void>;
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { session, now } = options;
  const log = options.log.child({ component: 'dashboard' });
  const { moduleId, prefix } = session.options;
  const view = new DashboardView(now(), options.all ? undefined : moduleId);
  const which = options.all ? ALL_MODULES : moduleId;

  view.setBroker(session.brokerConnected, now());
  session.onBrokerConnection((connected) => {
    view.setBroker(connected, now());
    if (connected) log.info('broker connection back');
    else log.warn('broker connection lost; the page says so and shows the last state it had');
  });
  await session.onStatus((status, id) => view.applyStatus(id, status, now()), which);
  // reservation_end is impl status's in both interfaces; reservation_update only the evse interface publishes.
  await session.onVar('reservation_end', 'connector', (value, id) => view.applyEnd(id, value, now()), which);
  await session.onVar('reservation_update', 'evse', (value, id) => view.applyUpdate(id, value, now()), which);
  await session.onTokenEvents((payload, id) => view.applyTokenEvent(id, payload, now()), which);
  await session.onSnapshot((payload, id) => view.applySnapshot(id, payload, now()), which);

  let server: DashboardServer;
  try {
    server = await startDashboardServer({
      listen: options.listen,
      guard: options.guard,
      view,
      page: options.all ? { mode: 'fleet', prefix } : { mode: 'module', module_id: moduleId, prefix },
      ...(options.all ? {} : { actions: moduleActions(session, () => view.shownModule(moduleId)?.snapshot?.interface ?? 'connector', now, log) }),
      now,
      log,
    });
  } catch (err) {
    throw new Error(`cannot serve the dashboard on ${options.listen.host}:${options.listen.port}: ${(err as Error).message}`);
  }
  log.info({ url: server.url, mode: options.all ? 'fleet' : 'module', module_id: options.all ? undefined : moduleId, prefix, token: options.guard.token !== undefined }, 'dashboard serving');
  return { url: server.url, view, close: () => server.close() };
}

/** Reserve and cancel, in the interface `served` says the module serves (its last snapshot's). */
function moduleActions(session: ModuleSession, served: () => WireInterface, now: () => number, log: Logger): Actions {
  /** The module's answer to one call, or why there is none. */
  const call = async (cmd: string, args: Record<string, unknown>, fields: object): Promise<ActionOutcome> => {
    if (!session.brokerConnected) return { status: 503, error: { type: 'BrokerUnreachable', message: 'the dashboard has no broker connection right now; try again when the page says it is back' } };
    const result = await session.call(cmd, args, served());
    if (result.ok) {
      log.info({ ...fields, answer: result.retval }, `${cmd} from the dashboard answered`);
      return { status: 200, answer: result.retval };
    }
    log.warn({ ...fields, error: result.error.type, why: result.error.message }, `${cmd} from the dashboard failed`);
    if (result.error.type === 'CmdTimeout') {
      return { status: 504, error: { type: 'Timeout', message: `module ${session.options.moduleId} did not answer ${cmd} in time: is it running?` } };
    }
    return { status: 422, error: { type: result.error.type, message: result.error.message } };
  };
  return {
    reserve: async (request, client) => {
      let expiry: string;
      try {
        expiry = expiryTime(request.expires, now());
      } catch (err) {
        return { status: 400, error: { type: 'BadExpiry', message: (err as Error).message.replace(/^--expires /, 'expiry ') } };
      }
      const reservation = {
        reservation_id: request.reservation_id,
        id_token: request.id_token,
        expiry_time: expiry,
        ...(request.parent_id_token ? { parent_id_token: request.parent_id_token } : {}),
      };
      const wire = served();
      const problem = placeProblem(request, wire);
      if (problem) return { status: 400, error: { type: 'WrongInterface', message: problem } };
      const fields = { client, reservation_id: request.reservation_id, expiry_time: expiry };
      if (wire === 'connector') return call('reserve_now', { connector_id: request.connector_id, reservation }, { ...fields, connector_id: request.connector_id });
      const place = { ...(request.evse_id !== undefined ? { evse_id: request.evse_id } : {}), ...(request.connector_type !== undefined ? { connector_type: request.connector_type } : {}) };
      return call('reserve_now', { request: { ...reservation, ...place } }, { ...fields, ...place });
    },
    cancel: (reservationId, client) => call('cancel_reservation', { reservation_id: reservationId }, { client, reservation_id: reservationId }),
  };
}

/** Why a reserve request does not fit the interface the module serves, if it does not. */
function placeProblem(request: ReserveRequest, wire: WireInterface): string | undefined {
  if (wire === 'connector') {
    if (request.evse_id !== undefined || request.connector_type !== undefined) return 'this module serves the connector interface: reserve a connector, not an EVSE or connector type';
    return request.connector_id === undefined ? 'this module serves the connector interface: say which connector (0: any)' : undefined;
  }
  return request.connector_id !== undefined ? 'this module serves the evse interface: reserve an EVSE (or any) and a connector type, not a connector' : undefined;
}
