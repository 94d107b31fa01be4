// The composition of reservation-cli: the client's own subcommands, and the dashboard, which is
// built on the client (its session) and so is added from here, above both.
import type { Command } from 'commander';
import { type ClientIo, EXIT, type ExitCode, Stop, type Subcommand, UsageError } from '../client/kit';
import { runClient } from '../client/program';
import { startDashboard } from '../dashboard/dashboard';
import { isLoopback, type Listen, MIN_TOKEN_LENGTH, parseListen } from '../dashboard/guard';

const DEFAULT_LISTEN = '127.0.0.1:8080';

const dashboard: Subcommand = (program, kit) => {
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
      const token = opts.token ?? kit.io.env.DASHBOARD_TOKEN;
      const loopback = isLoopback(listen.host);
      if (!loopback && token === undefined) throw new UsageError(`--listen ${opts.listen} is not a loopback address: give --token <secret> (or env DASHBOARD_TOKEN), which every request must then carry`);
      if (token !== undefined && token.length < MIN_TOKEN_LENGTH) throw new UsageError(`the dashboard token must be at least ${MIN_TOKEN_LENGTH} characters (e.g. openssl rand -hex 16)`);
      return kit.withSession(
        command,
        async (session, options, log) => {
          let running;
          try {
            running = await startDashboard({ session, listen, guard: { loopback, ...(token !== undefined ? { token } : {}) }, all: opts.all, now: kit.io.now, log });
          } catch (err) {
            throw new Stop(EXIT.failed, (err as Error).message, 'ListenFailed');
          }
          if (options.json) kit.io.out(JSON.stringify({ dashboard: running.url, mode: opts.all ? 'fleet' : 'module' }));
          else kit.io.out(`dashboard on ${running.url}${token !== undefined ? ' (open it once as ?token=<token>)' : ''}; Ctrl-C to stop`);
          await kit.io.interrupted;
          await running.close();
          return EXIT.ok;
        },
        { logLevel: 'info', caller: 'reservation-dashboard' },
      );
    });
};

/** reservation-cli with every subcommand. */
export function runCli(argv: string[], io: ClientIo): Promise<ExitCode> {
  return runClient(argv, io, [dashboard]);
}
