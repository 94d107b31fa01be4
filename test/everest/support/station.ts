// A charging station under EVerest's own manager, for one test: its own mosquitto, the reservation
// module (module id `reservation`), the caller (`caller`) wired to its impls `main` and `status`,
// EVSE managers (`evse_manager_1`, ...) wired to it, and, for the token path, EVerest's own Auth
// (`auth`) with a reader (`reader`) and a validator (`validator`). Where Auth's tokens come from and
// where they are validated is one TokenPath: rewiring Auth is a change of config, nothing else.
import { TOKEN_PROVIDER_IMPL_ID, TOKEN_VALIDATOR_IMPL_ID } from '../../../src/everest/topics';
import { redact } from '../../../src/token-path/redact';
import { type Broker, startBroker } from '../../support/broker';
import { type Collector, Probe } from '../../support/probe';
import { type ActiveModules, type Connection, EverestManager } from './manager';
import { ControlLine, type EvseSpec, ReservationCaller, TestEvseManager, TestTokenProvider, TestTokenValidator } from './test-modules';
import type { Tree } from './tree';

export const RESERVATION_ID = 'reservation';
/** The module name the module folder is installed under (npm run everest-module). */
export const RESERVATION_MODULE = 'Reservation';
/** EVerest's topic prefix, the manager's default. */
export const EVEREST_PREFIX_TOPIC = 'everest/';

/** EVSE 1 with a CCS2 connector, EVSE 2 with a CCS2 and a Type2 one: a station's EVSE managers unless a test says otherwise. */
export const TWO_EVSES: readonly EvseSpec[] = [
  { id: 1, connectorTypes: ['cCCS2'] },
  { id: 2, connectorTypes: ['cCCS2', 'cType2'] },
];

/** Where Auth's tokens come from and who validates them, as connections of the config. */
export interface TokenPath {
  /** Auth's token_provider and token_validator connections. */
  auth: { token_provider: Connection[]; token_validator: Connection[] };
  /** Connections of the reservation module's own entry besides evse_manager (none while it is not in the token path). */
  reservation: Record<string, Connection[]>;
}

/** Today's wiring: Auth hears the reader and asks the validator directly; the module is not in the token path. */
export function directTokenPath(reader: TestTokenProvider, validator: TestTokenValidator): TokenPath {
  return { auth: { token_provider: [reader.connection], token_validator: [validator.connection] }, reservation: {} };
}

/**
 * The token path through the module (spec/everest-token-path.md §2): Auth hears tokens only from the
 * module's token_provider and asks only its token_validator; the reader and the validator are the
 * module's token_providers and token_validators.
 */
export function moduleTokenPath(reader: TestTokenProvider, validator: TestTokenValidator): TokenPath {
  return {
    auth: {
      token_provider: [{ module_id: RESERVATION_ID, implementation_id: TOKEN_PROVIDER_IMPL_ID }],
      token_validator: [{ module_id: RESERVATION_ID, implementation_id: TOKEN_VALIDATOR_IMPL_ID }],
    },
    reservation: { token_providers: [reader.connection], token_validators: [validator.connection] },
  };
}

export interface StationOptions {
  tree: Tree;
  /** The EVSE managers, in connection order (EVSE 1 is connection 0, as Auth assumes); TWO_EVSES by default. */
  evses?: readonly EvseSpec[];
  /** config_module of the reservation module's entry. */
  reservationConfig?: Record<string, unknown>;
  /** The reservation module is started by the test, not the manager (`standalone: true` in its entry). */
  standaloneEntry?: boolean;
  /** Module ids for the manager's --standalone option (startStation). */
  standalone?: string[];
  /** EVerest's Auth with a reader and a validator, wired by this token path. */
  tokenPath?: (reader: TestTokenProvider, validator: TestTokenValidator) => TokenPath;
  /** startStation waits for the manager's "All modules are initialized" and every test module's GlobalReady (default true). */
  waitReady?: boolean;
}

/** A station's broker, the test's client on it and the modules' config: everything but the manager. */
export interface PreparedStation {
  broker: Broker;
  /** The test's own MQTT client on the station's broker. */
  probe: Probe;
  /** Every message on the broker since before the manager started, in the order the broker delivered them. */
  wire: Collector;
  line: ControlLine;
  tree: Tree;
  modules: ActiveModules;
  caller: ReservationCaller;
  evses: TestEvseManager[];
  reader: TestTokenProvider;
  validator: TestTokenValidator;
}

export interface Station extends PreparedStation {
  manager: EverestManager;
}

/** The station's active_modules, from its parts. */
function activeModules(options: StationOptions, parts: Pick<Station, 'caller' | 'evses' | 'reader' | 'validator'>): ActiveModules {
  const { caller, evses, reader, validator } = parts;
  const tokenPath = options.tokenPath?.(reader, validator);
  const evseConnections = evses.map((e) => e.connection);
  const modules: ActiveModules = {
    [RESERVATION_ID]: {
      module: RESERVATION_MODULE,
      ...(options.standaloneEntry ? { standalone: true } : {}),
      ...(options.reservationConfig !== undefined ? { config_module: options.reservationConfig } : {}),
      connections: { evse_manager: evseConnections, ...tokenPath?.reservation },
    },
    [caller.moduleId]: {
      module: 'TestReservationCaller',
      connections: {
        reservation: [{ module_id: RESERVATION_ID, implementation_id: 'main' }],
        reservation_status: [{ module_id: RESERVATION_ID, implementation_id: 'status' }],
      },
    },
  };
  for (const evse of evses) modules[evse.moduleId] = { module: 'TestEvseManager', config_module: evse.configModule };
  if (tokenPath !== undefined) {
    modules.auth = {
      module: 'Auth',
      // connection_timeout has no default in Auth's manifest.
      config_module: { connection_timeout: 30, selection_algorithm: 'FindFirst' },
      connections: { ...tokenPath.auth, evse_manager: evseConnections },
    };
    modules[reader.moduleId] = { module: 'TestTokenProvider' };
    modules[validator.moduleId] = { module: 'TestTokenValidator' };
  }
  return modules;
}

/** The station's broker, the test's client and the config, with no manager yet. */
export async function prepareStation(options: StationOptions): Promise<PreparedStation> {
  const broker = await startBroker();
  const probe = await Probe.connect(broker.url, { prefix: EVEREST_PREFIX_TOPIC, origin: 'test' });
  const wire = await probe.collect('#');
  const line = await ControlLine.open(probe);
  const evses = (options.evses ?? TWO_EVSES).map((spec, i) => new TestEvseManager(line, `evse_manager_${i + 1}`, spec));
  const parts = { caller: new ReservationCaller(line), evses, reader: new TestTokenProvider(line), validator: new TestTokenValidator(line) };
  return { broker, probe, wire, line, tree: options.tree, modules: activeModules(options, parts), ...parts };
}

/** Starts EVerest's manager for a prepared station. */
export function startManager(station: PreparedStation, standalone?: string[]): EverestManager {
  return EverestManager.start({ tree: station.tree, broker: station.broker, modules: station.modules, ...(standalone ? { standalone } : {}) });
}

/** Starts the station's broker and manager; by default resolves once the whole station is ready. */
export async function startStation(options: StationOptions): Promise<Station> {
  const prepared = await prepareStation(options);
  const station: Station = { ...prepared, manager: startManager(prepared, options.standalone) };
  if (options.waitReady ?? true) await stationReady(station);
  return station;
}

/** The manager counted every module ready, and GlobalReady reached every test module. */
export async function stationReady(station: Station): Promise<void> {
  await station.manager.ready();
  const testModules = [station.caller, ...station.evses, ...(station.modules.auth ? [station.reader, station.validator] : [])];
  await Promise.all(testModules.map((m) => m.ready()));
}

/** The module's log line (in the manager's output, for a module it spawned) once an EVSE manager answered get_evse. */
const EVSE_DESCRIBED = 'EVSE manager described its EVSE';

/** Resolves once the module (spawned by the manager, today's interface) knows every EVSE's connectors from get_evse. */
export async function evsesDescribed(station: Station): Promise<void> {
  await station.manager.waitFor((output) => occurrences(output, EVSE_DESCRIBED) >= station.evses.length);
}

/** How often `text` occurs in `output`. */
function occurrences(output: string, text: string): number {
  return output.split(text).length - 1;
}

const AUTH_TOOK_TOKEN = 'Received new token';
const AUTH_NOT_STARTED = 'Auth not fully initialized. Discarding provided token';
const PRESENT_ATTEMPTS = 5;

/**
 * The reader presents `token` until EVerest's Auth takes it in: Auth discards tokens that arrive
 * before its own start-up (get_evse of every EVSE manager, after GlobalReady) has finished.
 */
export async function presentToAuth(station: Station, token: Record<string, unknown>): Promise<void> {
  for (let attempt = 1; attempt <= PRESENT_ATTEMPTS; attempt++) {
    const before = station.manager.output();
    const [taken, discarded] = [occurrences(before, AUTH_TOOK_TOKEN), occurrences(before, AUTH_NOT_STARTED)];
    await station.reader.present(token);
    await station.manager.waitFor((output) => occurrences(output, AUTH_TOOK_TOKEN) > taken || occurrences(output, AUTH_NOT_STARTED) > discarded, 30_000);
    if (occurrences(station.manager.output(), AUTH_TOOK_TOKEN) > taken) return;
  }
  throw new Error(`Auth discarded the token ${PRESENT_ATTEMPTS} times: it never finished starting`);
}

/**
 * The reader presents `token` (presentToAuth) and resolves with what EVerest's Auth made of it, as
 * its log line "Result for token: <redacted value>: <result>" says (NO_CONNECTOR_AVAILABLE,
 * REJECTED, USED_TO_START_TRANSACTION, ...). Auth logs it after it told the EVSE managers, so a test
 * can then look at what they were told.
 */
export async function authDecides(station: Station, token: Record<string, unknown>): Promise<string> {
  const value = (token.id_token as { value: string }).value;
  const line = `Result for token: ${redact(value)}: `;
  const before = occurrences(station.manager.output(), line);
  await presentToAuth(station, token);
  await station.manager.waitFor((output) => occurrences(output, line) > before, 30_000);
  const after = station.manager.output().split(line)[before + 1] as string;
  return (/^[A-Z_]+/.exec(after) as RegExpExecArray)[0];
}
