// reservation-cli: talks to a running module over MQTT in EVerest envelopes. This file is the
// command line's frame (common options, the session, errors to exit codes); the subcommands are in
// commands.ts and snapshot-commands.ts, and src/bin/ adds the ones built on upper layers (dashboard).
// Everything the process touches comes in through ClientIo, so it is testable.
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_MODULE_ID, DEFAULT_PREFIX, type Env, moduleAddress, mqttSettings, type MqttSettings } from '../config/load';
import type { CallResult } from '../everest/envelope';
import { chooseLogFormat, createLogger, createStderrLogger, type LogFormat, logFormatSetting } from '../log';
import type { WireInterface } from '../module/reservation-wire';
import { clientCommands } from './commands';
import { type ClientIo, type ClientKit, EXIT, type ExitCode, type GlobalOptions, Stop, type Subcommand, UsageError } from './kit';
import { seconds } from './options';
import { BrokerUnreachable, ModuleSession } from './session';
import { snapshotCommands } from './snapshot-commands';

const DEFAULT_TIMEOUT_S = 10;

const EXIT_HELP = `
exit codes: 0 done (reservation accepted, cancelled), 1 refused or failed (the module's answer says why),
            2 usage error, 3 the module did not answer within --timeout, 4 the broker cannot be reached
env: MQTT_URL, MQTT_USERNAME, MQTT_PASSWORD, MQTT_CA_FILE, MQTT_CERT_FILE, MQTT_KEY_FILE, EVEREST_PREFIX,
     DASHBOARD_TOKEN, LOG_FORMAT (json or pretty, for the dashboard's and --verbose log lines on stderr)`;

/** Runs the client's subcommands and `extra` ones (composed in src/bin/). */
export async function runClient(argv: string[], io: ClientIo, extra: Subcommand[] = []): Promise<ExitCode> {
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
    .addOption(
      new Option('--interface <name>', "the reservation interface the module serves (default: what its retained snapshot says; none published: connector)").choices(['connector', 'evse']),
    )
    .option('--timeout <seconds>', 'how long to wait for the broker and for each answer', seconds, DEFAULT_TIMEOUT_S)
    .option('--json', 'print answers and events as JSON', false)
    .option('--verbose', 'log the MQTT connection (pino JSON on stderr)', false)
    .addHelpText('after', EXIT_HELP);

  const say = (options: GlobalOptions, err: Stop): void => {
    exitCode = err.code;
    if (options.json) io.out(JSON.stringify({ error: { type: err.errorType, message: err.message } }));
    else io.err(`reservation-cli: ${err.message}`);
  };

  const kit: ClientKit = {
    io,
    withSession(command, body, how = {}) {
      const options = command.optsWithGlobals<GlobalOptions>();
      return (async () => {
        let session: ModuleSession | undefined;
        try {
          const { mqtt, prefix, moduleId, logFormat } = target(options, io.env);
          const level = options.verbose ? 'debug' : (how.logLevel ?? 'silent');
          const log = level === 'silent' ? createLogger('silent') : createStderrLogger(level, chooseLogFormat(logFormat, io.stderrIsTty));
          try {
            session = await ModuleSession.open({ mqtt, prefix, moduleId, timeoutMs: options.timeout * 1000, ...(how.caller !== undefined ? { caller: how.caller } : {}) }, log);
          } catch (err) {
            if (err instanceof BrokerUnreachable) throw new Stop(EXIT.unreachable, `cannot reach the broker: ${err.message}`, 'BrokerUnreachable');
            throw err;
          }
          exitCode = await body(session, options, log);
        } catch (err) {
          if (err instanceof UsageError) say(options, new Stop(EXIT.usage, err.message, 'UsageError'));
          else if (err instanceof Stop) say(options, err);
          else throw err;
        } finally {
          await session?.close();
        }
      })();
    },
    async answer<T>(session: ModuleSession, cmd: string, args: Record<string, unknown>, options: GlobalOptions, wire: WireInterface): Promise<T> {
      const result: CallResult = await session.call(cmd, args, wire);
      if (result.ok) return result.retval as T;
      if (result.error.type === 'CmdTimeout') {
        const { prefix, moduleId } = session.options;
        throw new Stop(EXIT.timeout, `no answer to ${cmd} from module ${moduleId} (prefix ${prefix}) within ${options.timeout} s: is it running?`, 'Timeout');
      }
      throw new Stop(EXIT.failed, `${cmd} failed: ${result.error.type}: ${result.error.message}`, result.error.type);
    },
    async served(session, options) {
      if (options.interface !== undefined) return { wire: options.interface, why: `--interface ${options.interface}` };
      const wire = await session.servedInterface();
      if (wire === undefined) return { wire: 'connector', why: 'it has published no snapshot, so the connector interface is assumed; --interface overrides' };
      return { wire, why: 'its retained snapshot says so; --interface overrides' };
    },
  };

  for (const add of [...clientCommands, ...snapshotCommands, ...extra]) add(program, kit);

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

/** Where the module is: broker settings, prefix and module id, or a Stop(usage) naming what is wrong. */
function target(options: GlobalOptions, env: Env): { mqtt: MqttSettings; prefix: string; moduleId: string; logFormat?: LogFormat } {
  const problems: string[] = [];
  const mqtt = mqttSettings(options, env, problems);
  const { prefix, moduleId } = moduleAddress(options, env, problems);
  const logFormat = logFormatSetting(env.LOG_FORMAT, problems);
  if (problems.length > 0) throw new Stop(EXIT.usage, problems.join('; '), 'UsageError');
  return { mqtt, prefix, moduleId, ...(logFormat !== undefined ? { logFormat } : {}) };
}
