// The one root pino logger; everything else receives a Logger (or a child of it).
import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { module: 'reservation' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? pino.destination({ sync: true }));
}
