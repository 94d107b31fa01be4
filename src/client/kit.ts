// What every subcommand of reservation-cli works with: its I/O, the common options, the session
// runner and the exit codes. Kept apart so that subcommands (here and in src/bin/) import it, not the program.
import type { Command } from 'commander';
import type { Env } from '../config/load';
import type { Logger } from '../log';
import type { WireInterface } from '../module/reservation-wire';
import type { ModuleSession } from './session';

/** Exit codes, as documented in docs/operating.md and in --help. */
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

export interface GlobalOptions {
  mqttUrl?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
  prefix?: string;
  module?: string;
  interface?: WireInterface;
  timeout: number;
  json: boolean;
  verbose: boolean;
}

/** The interface to speak to the module in, and why (for usage errors). */
export interface Served {
  wire: WireInterface;
  why: string;
}

/** A usage problem found after parsing (e.g. --expires, an option of the other interface): exit 2, nothing sent. */
export class UsageError extends Error {}

/** Thrown inside a subcommand to end the run with `code` after saying `message`. */
export class Stop extends Error {
  constructor(
    readonly code: ExitCode,
    message: string,
    readonly errorType: string,
  ) {
    super(message);
  }
}

export type SessionBody = (session: ModuleSession, options: GlobalOptions, log: Logger) => Promise<ExitCode>;

/** What a subcommand gets to work with. */
export interface ClientKit {
  io: ClientIo;
  /**
   * Runs `body` with a session to the module, turning what goes wrong into exit codes. Log lines go
   * to stderr at `logLevel` (debug with --verbose; default silent), pretty on a terminal.
   */
  withSession(command: Command, body: SessionBody, how?: { logLevel?: string; caller?: string }): Promise<void>;
  /** The answer of a call to the module serving `wire`, or a Stop saying why there is none. */
  answer<T>(session: ModuleSession, cmd: string, args: Record<string, unknown>, options: GlobalOptions, wire: WireInterface): Promise<T>;
  /** --interface if given, else what the module's retained snapshot says (none: connector). */
  served(session: ModuleSession, options: GlobalOptions): Promise<Served>;
}

/** Adds one subcommand to the program. */
export type Subcommand = (program: Command, kit: ClientKit) => void;

/** The interface --interface names, if it was given: said in usage errors. */
export function givenInterface(command: Command): Served | undefined {
  const wire = command.optsWithGlobals<GlobalOptions>().interface;
  return wire === undefined ? undefined : { wire, why: `--interface ${wire}` };
}

