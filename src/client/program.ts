// reservation-cli: reserve, cancel, exists, list and watch, talking to a running module over MQTT
// in EVerest envelopes. Everything the process touches comes in through ClientIo, so it is testable.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import pino from 'pino';
import { DEFAULT_MODULE_ID, DEFAULT_PREFIX, type Env, moduleAddress, mqttSettings, type MqttSettings } from '../config/load';
import type { CallResult } from '../everest/envelope';
import type { HeldReservation, ReservationCheckStatus, ReservationEnd, ReservationResult } from '../generated/types';
import { startDashboard } from '../dashboard/dashboard';
import { isLoopback, type Listen, MIN_TOKEN_LENGTH, parseListen } from '../dashboard/guard';
import { chooseLogFormat, createLogger, type LogFormat, type Logger, logFormatSetting } from '../log';
import type { Snapshot } from '../module/snapshot';
import { expiryTime } from './expires';
import { decodeSnapshot, describeReservation, formatConnectors, formatReservations, formatWatchEvent, snapshotChanges, type WatchEvent } from './format';
import { BrokerUnreachable, ModuleSession } from './session';

/** Exit codes, as documented in the README and in --help. */
export const EXIT = { ok: 0, failed: 1, usage: 2, timeout: 3, unreachable: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ClientIo {
  /** Writes to stdout; `text` has no trailing newline. */
  out(text: string): void;
  err(text: string): void;
  env: Env;
  now(): number;
  /** Settles when the user interrupts (Ctrl-C): ends `watch` and `dashboard`. */
  interrupted: Promise<void>;
  /** Whether stderr is a terminal: the dashboard's log lines are pretty there. */
  stderrIsTty?: boolean;
}

interface GlobalOptions {
  mqttUrl?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
  prefix?: string;
  module?: string;
  timeout: number;
  json: boolean;
  verbose: boolean;
}

const DEFAULT_TIMEOUT_S = 10;

const EXIT_HELP = `
exit codes: 0 done (reservation accepted, cancelled), 1 refused or failed (the module's answer says why),
            2 usage error, 3 the module did not answer within --timeout, 4 the broker cannot be reached
env: MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, MQTT_CA_FILE, MQTT_CERT_FILE, MQTT_KEY_FILE, EVEREST_PREFIX,
     DASHBOARD_TOKEN, LOG_FORMAT (json or pretty, for the dashboard's and --verbose log lines on stderr)`;

const DEFAULT_LISTEN = '127.0.0.1:8080';

/** A usage problem found after parsing (e.g. --expires), said before any connection. */
class UsageError extends Error {}

/** Thrown inside a subcommand to end the run with `code` after saying `message`. */
class Stop extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    readonly errorType: string,
  ) {
    super(message);
  }
}

function integer(name: string, min: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`);
    return value;
  };
}

function seconds(text: string): number {
  const value = Number(text);
  if (!(value > 0 && value <= 3600)) throw new InvalidArgumentError('must be a number of seconds in (0, 3600]');
  return value;
}

export async function runClient(argv: string[], io: ClientIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = new Command('reservation-cli')
    .description('Talks to a running EVerest reservation module over MQTT.')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.out(text.trimEnd()), writeErr: (text) => io.err(text.trimEnd()) })
    .showHelpAfterError('(reservation-cli --help for usage)')
    .option('--mqtt-url <url>', 'broker URL, user and password may be in it (env MQTT_URL; default mqtt://127.0.0.1:1883)')
    .option('--mqtt-ca <file>', 'CA certificate for mqtts:// (env MQTT_CA_FILE)')
    .option('--mqtt-cert <file>', 'client certificate (env MQTT_CERT_FILE)')
    .option('--mqtt-key <file>', 'client key (env MQTT_KEY_FILE)')
    .option('--prefix <prefix>', `EVerest topic prefix (env EVEREST_PREFIX; default ${DEFAULT_PREFIX})`)
    .option('--module <id>', `the module's id (default ${DEFAULT_MODULE_ID})`)
    .option('--timeout <seconds>', 'how long to wait for the broker and for each answer', seconds, DEFAULT_TIMEOUT_S)
    .option('--json', 'print answers and events as JSON', false)
    .option('--verbose', 'log the MQTT connection (pino JSON on stderr)', false)
    .addHelpText('after', EXIT_HELP);

  /**
   * Runs `body` with a session to the module, turning what goes wrong into exit codes. Log lines go
   * to stderr at `logLevel` (debug with --verbose), pretty on a terminal.
   */
  const withSession = (
    command: Command,
    body: (session: ModuleSession, options: GlobalOptions, log: Logger) => Promise<ExitCode>,
    logLevel = 'silent',
  ): Promise<void> => {
    const options = command.optsWithGlobals<GlobalOptions>();
    return (async () => {
      let session: ModuleSession | undefined;
      try {
        const { mqtt, prefix, moduleId, logFormat } = target(options, io.env);
        const level = options.verbose ? 'debug' : logLevel;
        const log = level === 'silent' ? createLogger('silent') : createLogger(level, pino.destination({ fd: 2, sync: true }), chooseLogFormat(logFormat, io.stderrIsTty));
        try {
          session = await ModuleSession.open({ mqtt, prefix, moduleId, timeoutMs: options.timeout * 1000, ...(command.name() === 'dashboard' ? { caller: 'reservation-dashboard' } : {}) }, log);
        } catch (err) {
          if (err instanceof BrokerUnreachable) throw new Stop(EXIT.unreachable, `cannot reach the broker: ${err.message}`, 'BrokerUnreachable');
          throw err;
        }
        exitCode = await body(session, options, log);
      } catch (err) {
        if (!(err instanceof Stop)) throw err;
        exitCode = err.code;
        if (options.json) io.out(JSON.stringify({ error: { type: err.errorType, message: err.message } }));
        else io.err(`reservation-cli: ${err.message}`);
      } finally {
        await session?.close();
      }
    })();
  };

  /** The answer of a call, or a Stop saying why there is none. */
  const answer = async <T>(session: ModuleSession, cmd: string, args: Record<string, unknown>, options: GlobalOptions): Promise<T> => {
    const result: CallResult = await session.call(cmd, args);
    if (result.ok) return result.retval as T;
    if (result.error.type === 'CmdTimeout') {
      const { prefix, moduleId } = session.options;
      throw new Stop(EXIT.timeout, `no answer to ${cmd} from module ${moduleId} (prefix ${prefix}) within ${options.timeout} s: is it running?`, 'Timeout');
    }
    throw new Stop(EXIT.failed, `${cmd} failed: ${result.error.type}: ${result.error.message}`, result.error.type);
  };

  program
    .command('reserve')
    .description('reserve a connector (0: any connector of the station) for a token')
    .requiredOption('--connector <n>', 'connector id, 0 for any', integer('--connector', 0))
    .requiredOption('--token <id token>', 'the token the reservation is for')
    .requiredOption('--id <reservation id>', 'reservation id (an existing one is replaced)', integer('--id', Number.MIN_SAFE_INTEGER))
    .requiredOption('--expires <when>', 'a duration from now (30s, 15m, 1h30m, 2d) or an RFC 3339 date-time')
    .option('--parent-token <id token>', 'the group (parent) token')
    .action((opts: { connector: number; token: string; id: number; expires: string; parentToken?: string }, command: Command) => {
      let expiry: string;
      try {
        expiry = expiryTime(opts.expires, io.now());
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const reservation = { reservation_id: opts.id, id_token: opts.token, expiry_time: expiry, ...(opts.parentToken !== undefined ? { parent_id_token: opts.parentToken } : {}) };
      return withSession(command, async (session, options) => {
        const result = await answer<ReservationResult>(session, 'reserve_now', { connector_id: opts.connector, reservation }, options);
        const held: HeldReservation = { ...reservation, connector_id: opts.connector };
        if (options.json) io.out(JSON.stringify({ result, reservation: held }));
        else io.out(result === 'Accepted' ? `Accepted: ${describeReservation(held)}` : `${result}: reservation ${opts.id} not made`);
        return result === 'Accepted' ? EXIT.ok : EXIT.failed;
      });
    });

  program
    .command('cancel')
    .description('cancel a held reservation')
    .argument('<reservation id>', 'the reservation to cancel', integer('reservation id', Number.MIN_SAFE_INTEGER))
    .action((reservationId: number, _opts: unknown, command: Command) =>
      withSession(command, async (session, options) => {
        const cancelled = await answer<boolean>(session, 'cancel_reservation', { reservation_id: reservationId }, options);
        if (options.json) io.out(JSON.stringify({ cancelled, reservation_id: reservationId }));
        else io.out(cancelled ? `reservation ${reservationId} cancelled` : `no reservation ${reservationId} is held: nothing cancelled`);
        return cancelled ? EXIT.ok : EXIT.failed;
      }),
    );

  program
    .command('exists')
    .description('ask whether a token may charge on a connector, given the reservations held')
    .requiredOption('--connector <n>', 'connector id', integer('--connector', 1))
    .requiredOption('--token <id token>', 'the token that wants to charge')
    .option('--parent-token <id token>', "the token's parent (group) token")
    .action((opts: { connector: number; token: string; parentToken?: string }, command: Command) =>
      withSession(command, async (session, options) => {
        const request = { connector_id: opts.connector, id_token: opts.token, ...(opts.parentToken !== undefined ? { parent_id_token: opts.parentToken } : {}) };
        const status = await answer<ReservationCheckStatus>(session, 'exists_reservation', { request }, options);
        if (options.json) io.out(JSON.stringify({ status, request }));
        else io.out(`${status}: ${CHECK_MEANING[status] ?? ''}`);
        return EXIT.ok;
      }),
    );

  program
    .command('list')
    .description('list the reservations held and the connector states')
    .action((_opts: unknown, command: Command) =>
      withSession(command, async (session, options) => {
        // Subscribed first: the retained snapshot arrives before the answer to the call after it.
        let snapshot: Snapshot | undefined;
        await session.onSnapshot((payload) => (snapshot = decodeSnapshot(payload) ?? snapshot));
        const reservations = await answer<HeldReservation[]>(session, 'list_reservations', {}, options);
        const connectors = snapshot?.connectors;
        if (options.json) io.out(JSON.stringify({ reservations, ...(connectors ? { connectors } : {}) }));
        else {
          io.out(formatReservations(reservations, io.now()));
          if (snapshot && connectors) io.out(`\n${formatConnectors(connectors, snapshot.connectors_total ?? connectors.length)}`);
        }
        return EXIT.ok;
      }),
    );

  program
    .command('watch')
    .description('print reservation_end events, new reservations and connector states as they happen, until Ctrl-C')
    .action((_opts: unknown, command: Command) =>
      withSession(command, async (session, options) => {
        const print = (event: WatchEvent): void => {
          const at = new Date(io.now()).toISOString();
          io.out(options.json ? JSON.stringify({ at, ...event }) : `${at}  ${formatWatchEvent(event)}`);
        };
        if (!options.json) io.err('watching; Ctrl-C to stop');
        let last: Snapshot | undefined;
        await session.onStatus((status) => print({ type: 'status', status }));
        await session.onVar('reservation_end', (value) => {
          const end = value as Partial<ReservationEnd>;
          if (typeof end.reservation_id === 'number' && typeof end.reason === 'string') print({ type: 'reservation_end', reservation_id: end.reservation_id, reason: end.reason });
        });
        await session.onSnapshot((payload) => {
          const next = decodeSnapshot(payload);
          if (!next) return;
          for (const event of snapshotChanges(last, next)) print(event);
          last = next;
        });
        await io.interrupted;
        return EXIT.ok;
      }),
    );

  program
    .command('dashboard')
    .description('serve a live web page of the module (with --all: of every module under the prefix, read-only) until Ctrl-C')
    .option('--listen <host:port>', 'where to serve the page', DEFAULT_LISTEN)
    .option('--token <secret>', `required unless --listen is a loopback address; every request must carry it (env DASHBOARD_TOKEN; at least ${MIN_TOKEN_LENGTH} characters)`)
    .option('--all', 'fleet view: every module under the prefix ({prefix}modules/+/snapshot and status), read-only', false)
    .action((opts: { listen: string; token?: string; all: boolean }, command: Command) => {
      let listen: Listen;
      try {
        listen = parseListen(opts.listen);
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const token = opts.token ?? io.env.DASHBOARD_TOKEN;
      const loopback = isLoopback(listen.host);
      if (!loopback && token === undefined) throw new UsageError(`--listen ${opts.listen} is not a loopback address: give --token <secret> (or env DASHBOARD_TOKEN), which every request must then carry`);
      if (token !== undefined && token.length < MIN_TOKEN_LENGTH) throw new UsageError(`the dashboard token must be at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 16)`);
      return withSession(
        command,
        async (session, options, log) => {
          let dashboard;
          try {
            dashboard = await startDashboard({ session, listen, guard: { loopback, ...(token !== undefined ? { token } : {}) }, all: opts.all, now: io.now, log });
          } catch (err) {
            throw new Stop(EXIT.failed, (err as Error).message, 'ListenFailed');
          }
          if (options.json) io.out(JSON.stringify({ dashboard: dashboard.url, mode: opts.all ? 'fleet' : 'module' }));
          else io.out(`dashboard on ${dashboard.url}${token !== undefined ? ' (open it once as ?token=<token>)' : ''}; Ctrl-C to stop`);
          await io.interrupted;
          await dashboard.close();
          return EXIT.ok;
        },
        'info',
      );
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    // Commander has already printed its own errors (and help); ours are said here.
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof UsageError) {
      io.err(`reservation-cli: ${err.message}`);
      return EXIT.usage;
    }
    io.err(`reservation-cli: ${(err as Error).message}`);
    return EXIT.failed;
  }
  return exitCode;
}

const CHECK_MEANING: Record<string, string> = {
  NotReserved: 'nothing stops this token from charging there',
  ReservedForToken: 'the connector is reserved for this token (or its parent token)',
  ReservedForOtherToken: 'the connector is reserved for another token',
  ReservedForOtherTokenAndHasParentToken: 'reserved for another token; give the parent token if this one has one',
};

/** Where the module is: broker settings, prefix and module id, or a Stop(usage) naming what is wrong. */
function target(options: GlobalOptions, env: Env): { mqtt: MqttSettings; prefix: string; moduleId: string; logFormat?: LogFormat } {
  const problems: string[] = [];
  const mqtt = mqttSettings(options, env, problems);
  const { prefix, moduleId } = moduleAddress(options, env, problems);
  const logFormat = logFormatSetting(env.LOG_FORMAT, problems);
  if (problems.length > 0) throw new Stop(EXIT.usage, problems.join('; '), 'UsageError');
  return { mqtt, prefix, moduleId, ...(logFormat !== undefined ? { logFormat } : {}) };
}
