#!/usr/bin/env node
// Process concerns only: argv/env -> config -> module -> signals -> exit codes.
import { createReservationModule } from './app';
import { parseCli, USAGE } from './config/cli';
import { ConfigError, loadConfig, type ModuleConfig } from './config/load';
import { createLogger } from './log';

async function main(): Promise<void> {
  let config: ModuleConfig;
  try {
    const cli = parseCli(process.argv.slice(2));
    if (cli.help) {
      console.log(USAGE);
      return;
    }
    config = loadConfig(cli, process.env);
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `${(err as Error).message}\n${USAGE}`;
    console.error(`reservation: ${message}`);
    process.exit(1);
  }
  const log = createLogger(config.logLevel);
  const module = createReservationModule({ config, log });

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'already shutting down');
      return;
    }
    signalled = true;
    log.info({ signal }, 'shutting down');
    module.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  try {
    await module.start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'start-up failed');
    process.exit(1);
  }
}

void main();
