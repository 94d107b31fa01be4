// The dashboard: the module's topics (or every module's, for the fleet view) into a DashboardView,
// served by the HTTP side; reserve and cancel go through the client's session, in EVerest envelopes.
import { expiryTime } from '../client/expires';
import { ALL_MODULES, type ModuleSession } from '../client/session';
import type { Logger } from '../log';
import type { GuardOptions, Listen } from './guard';
import { type ActionOutcome, type Actions, type DashboardServer, startDashboardServer } from './server';
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
  await session.onVar('reservation_end', 'connector', (value, id) => view.applyEnd(id, value, now()), which);
  await session.onSnapshot((payload, id) => view.applySnapshot(id, payload, now()), which);

  let server: DashboardServer;
  try {
    server = await startDashboardServer({
      listen: options.listen,
      guard: options.guard,
      view,
      page: options.all ? { mode: 'fleet', prefix } : { mode: 'module', module_id: moduleId, prefix },
      ...(options.all ? {} : { actions: moduleActions(session, now, log) }),
      now,
      log,
    });
  } catch (err) {
    throw new Error(`cannot serve the dashboard on ${options.listen.host}:${options.listen.port}: ${(err as Error).message}`);
  }
  log.info({ url: server.url, mode: options.all ? 'fleet' : 'module', module_id: options.all ? undefined : moduleId, prefix, token: options.guard.token !== undefined }, 'dashboard serving');
  return { url: server.url, view, close: () => server.close() };
}

function moduleActions(session: ModuleSession, now: () => number, log: Logger): Actions {
  /** The module's answer to one call, or why there is none. */
  const call = async (cmd: string, args: Record<string, unknown>, fields: object): Promise<ActionOutcome> => {
    if (!session.brokerConnected) return { status: 503, error: { type: 'BrokerUnreachable', message: 'the dashboard has no broker connection right now; try again when the page says it is back' } };
    const result = await session.call(cmd, args, 'connector');
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
      return call('reserve_now', { connector_id: request.connector_id, reservation }, { client, reservation_id: request.reservation_id, connector_id: request.connector_id, expiry_time: expiry });
    },
    cancel: (reservationId, client) => call('cancel_reservation', { reservation_id: reservationId }, { client, reservation_id: reservationId }),
  };
}
