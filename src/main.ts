#!/usr/bin/env node
// Process concerns only: argv/env -> config -> module -> signals -> exit codes.
import './memory';
import { clientId, createReservationModule, type ReservationModule } from './app';
import { type CliOptions, parseCli, USAGE } from './config/cli';
import { ConfigError, loadConfig, type ModuleConfig } from './config/load';
import { type EmbeddedBroker, isListening, startEmbeddedBroker } from './embedded-broker';
import { chooseLogFormat, createLogger, type Logger } from './log';
import { requestManagerConfig } from './manager/config-request';
import { MqttConnection } from './mqtt/connection';

function configFailed(err: unknown): never {
  const message = err instanceof ConfigError ? err.message : `${(err as Error).message}\n${USAGE}`;
  console.error(`reservation: ${message}`);
  process.exit(1);
}

/** The config the EVerest manager answers over MQTT, on a connection of its own that is closed after. */
async function fromManager(cli: CliOptions, base: ModuleConfig, log: Logger): Promise<{ config: ModuleConfig; managerBooting: boolean }> {
  const connection = await MqttConnection.open(
    { ...base.mqtt, clientId: `${clientId(base.prefix, base.moduleId)}-config`, connectTimeoutMs: base.connectTimeoutMs },
    log.child({ component: 'mqtt' }),
  );
  try {
    const { entry, managerBooting } = await requestManagerConfig(connection, { prefix: base.prefix, moduleId: base.moduleId }, log.child({ component: 'manager' }));
    try {
      return { config: loadConfig(cli, process.env, entry), managerBooting };
    } catch (err) {
      return configFailed(err);
    }
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  let config: ModuleConfig;
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
    if (cli.help) {
      console.log(USAGE);
      return;
    }
    config = loadConfig(cli, process.env);
  } catch (err) {
    return configFailed(err);
  }
  const log = createLogger(config.logLevel, undefined, chooseLogFormat(config.logFormat, process.stdout.isTTY));
  let module: ReservationModule | undefined;
  let embedded: EmbeddedBroker | undefined;
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (signalled) {
      log.warn({ signal }, 'already shutting down');
      return;
    }
    signalled = true;
    log.info({ signal }, 'shutting down');
    Promise.resolve(module?.stop())
      .then(() => embedded?.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  // Installed before the manager handshake: a module still waiting for its config stops cleanly too.
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  let sendModuleReady = true;
  if (config.source.kind === 'manager') {
    try {
      ({ config, managerBooting: sendModuleReady } = await fromManager(cli, config, log));
    } catch (err) {
      log.fatal({ err: (err as Error).message }, 'start-up failed: no config from the EVerest manager');
      process.exit(1);
    }
  }
  // Never under a manager: its broker is the one that counts.
  if (!config.mqtt.urlGiven && !config.underManager) {
    const { hostname, port } = new URL(config.mqtt.url);
    if (!(await isListening(hostname, Number(port)))) {
      embedded = await startEmbeddedBroker(hostname, Number(port));
      log.info({ url: embedded.url }, 'no broker configured and none listening: started an embedded MQTT broker (aedes) for trying the module out');
    }
  }
  if (signalled) return;
  module = createReservationModule({ config, log, sendModuleReady });
  try {
    await module.start();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'start-up failed');
    process.exit(1);
  }
}

void main();
