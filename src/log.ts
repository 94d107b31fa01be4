// The one root pino logger; everything else receives a Logger (or a child of it).
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** `json`: one JSON object per line (systemd, Docker, pipes); `pretty`: pino-pretty, for a person at a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** LOG_FORMAT's value, checked; a wrong one is added to `problems`. */
export function logFormatSetting(value: string | undefined, problems: string[]): LogFormat | undefined {
  if (value === undefined) return undefined;
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  problems.push(`LOG_FORMAT ${JSON.stringify(value)} is not one of ${LOG_FORMATS.join(', ')}`);
  return undefined;
}

/** LOG_FORMAT if set, else pretty on a terminal and JSON anywhere else. */
export function chooseLogFormat(forced: LogFormat | undefined, isTty: boolean | undefined): LogFormat {
  return forced ?? (isTty === true ? 'pretty' : 'json');
}

export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const options = { level, base: { module: 'reservation' }, timestamp: pino.stdTimeFunctions.isoTime };
  if (format === 'pretty') return pino(options, prettyStream(destination));
  return pino(options, destination ?? pino.destination({ sync: true }));
}

/** A logger writing to stderr (a tool's log lines, apart from the output on stdout). */
export function createStderrLogger(level: string, format: LogFormat): Logger {
  return createLogger(level, pino.destination({ fd: 2, sync: true }), format);
}

/** pino-pretty is loaded only here, so the JSON path (every service start) does not pay for it. */
function prettyStream(destination: DestinationStream | undefined): DestinationStream {
  const { build: pretty } = require('pino-pretty') as typeof import('pino-pretty');
  return pretty({
    sync: true,
    destination: destination ?? 1,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    // `[component] message`, then the line's other fields; the module name is the same on every line.
    ignore: 'module,component,pid,hostname',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
}
