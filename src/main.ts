#!/usr/bin/env node
// Process concerns only: argv/env -> config -> module -> signals -> exit codes.
import './memory';
import { createReservationModule } from './app';
import { parseCli, USAGE } from './config/cli';
import { ConfigError, loadConfig, type ModuleConfig } from './config/load';
import { type EmbeddedBroker, isListening, startEmbeddedBroker } from './embedded-broker';
import { chooseLogFormat, createLogger } from './log';

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
  const log = createLogger(config.logLevel, undefined, chooseLogFormat(config.logFormat, process.stdout.isTTY));
  let embedded: EmbeddedBroker | undefined;
  if (!config.mqtt.urlGiven) {
    const { hostname, port } = new URL(config.mqtt.url);
    if (!(await isListening(hostname, Number(port)))) {
      embedded = await startEmbeddedBroker(hostname, Number(port));
      log.info({ url: embedded.url }, 'no broker configured and none listening: started an embedded MQTT broker (aedes) for trying the module out');
    }
  }
  const module = createReservationModule({ config, log });

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'already shutting down');
      return;
    }
    signalled = true;
    log.info({ signal }, 'shutting down');
    module
      .stop()
      .then(() => embedded?.close())
      .then(
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
