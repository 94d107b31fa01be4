// The composition root: the only file that knows every layer.
import type { ModuleConfig } from './config/load';
import { ReservationBook } from './domain/reservation-book';
import type { ConnectorChange, DomainEvent } from './domain/types';
import { encodeModuleReady } from './everest/envelope';
import { CmdError } from './everest/errors';
import { readyTopic, snapshotTopic, statusTopic, varTopic } from './everest/topics';
import { interfaces, types } from './generated/schemas';
import type { Logger } from './log';
import { CommandCaller } from './mqtt/caller';
import { MqttConnection } from './mqtt/connection';
import { type CommandHandler, CommandProvider } from './mqtt/provider';
import { createCommands } from './module/commands';
import { createEvseNotifier } from './module/evse-notifier';
import { watchEvseManagers } from './module/evse-watcher';
import { EventPublisher } from './module/publish';
import { type Clock, ExpiryScheduler, systemClock } from './module/scheduler';
import { SnapshotPublisher } from './module/snapshot';
import { createAjv, InterfaceValidator } from './schema/validate';

export const IMPL_ID = 'main';
export const MAX_PAYLOAD_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 5000;

export interface ModuleDeps {
  config: ModuleConfig;
  log: Logger;
  clock?: Clock;
}

export interface ReservationModule {
  start(): Promise<void>;
  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void>;
}

export function createReservationModule({ config, log, clock = systemClock }: ModuleDeps): ReservationModule {
  const book = new ReservationBook({
    connectorCount: config.connectorCount,
    reservationsEnabled: config.values.reservations_enabled,
    connectorZeroSupported: config.values.reserve_connector_zero_supported,
  });
  const ajv = createAjv();
  const evseValidator = new InterfaceValidator(interfaces.evse_manager, ajv);
  let connection: MqttConnection | undefined;
  let provider: CommandProvider | undefined;
  let caller: CommandCaller | undefined;
  let stopping: Promise<void> | undefined;

  const publish = (topic: string, payload: string, qos: 0 | 1 | 2, retain = false): Promise<boolean> =>
    connection ? connection.publish(topic, payload, qos, retain) : Promise.resolve(false);
  const evseNotifier = createEvseNotifier(
    config.evseManagers,
    (moduleId, implId, cmd, args) =>
      caller ? caller.call(moduleId, implId, cmd, args) : Promise.resolve({ ok: false, error: new CmdError('NotReady', 'not connected to the broker') }),
    evseValidator,
    log.child({ component: 'evse' }),
  );
  const publisher = new EventPublisher(
    publish,
    varTopic(config.prefix, config.moduleId, IMPL_ID, 'reservation_end'),
    log.child({ component: 'events' }),
    evseNotifier,
  );
  const snapshot = new SnapshotPublisher(publish, snapshotTopic(config.prefix, config.moduleId), book, () => clock.now());
  const afterChange = (events: DomainEvent[]): void => {
    publisher.handle(events);
    scheduler.rearm();
    snapshot.changed();
  };
  const scheduler = new ExpiryScheduler(clock, () => book.nextExpiryMs(), (nowMs) => afterChange(book.expireDue(nowMs)));
  const commands = createCommands(book, clock, afterChange, log.child({ component: 'commands' }));

  return {
    async start() {
      const open = await MqttConnection.open(
        {
          ...config.mqtt,
          clientId: `${config.moduleId}-${process.pid}`,
          statusTopic: statusTopic(config.prefix, config.moduleId),
          connectTimeoutMs: config.connectTimeoutMs,
        },
        log.child({ component: 'mqtt' }),
      );
      connection = open;
      caller = new CommandCaller(
        open,
        { prefix: config.prefix, origin: config.moduleId, timeoutMs: config.values.evse_manager_call_timeout_ms },
        log.child({ component: 'caller' }),
      );
      const evseCaller = caller;
      await Promise.all(
        config.evseManagers.flatMap((evse) => ['reserve', 'cancel_reservation'].map((cmd) => evseCaller.prepare(evse.moduleId, evse.implId, cmd))),
      );
      await watchEvseManagers({
        prefix: config.prefix,
        evseManagers: config.evseManagers,
        subscribe: (topic, qos, handler) => open.subscribe(topic, qos, handler),
        validator: evseValidator,
        validateRaisedError: ajv.compile(types.evse_manager?.RaisedError ?? {}),
        onChange: (connectorId: number, change: ConnectorChange) => afterChange(book.connectorChanged(connectorId, change)),
        log: log.child({ component: 'evse' }),
      });
      provider = new CommandProvider(
        open,
        new InterfaceValidator(interfaces.reservation, ajv),
        commands as unknown as Record<string, CommandHandler>,
        { prefix: config.prefix, moduleId: config.moduleId, implId: IMPL_ID, maxPayloadBytes: MAX_PAYLOAD_BYTES },
        log.child({ component: 'provider' }),
      );
      await provider.start();
      await snapshot.publishNow();
      await open.publish(readyTopic(config.prefix, config.moduleId), encodeModuleReady(), 1);
      log.info({ module_id: config.moduleId, prefix: config.prefix, connectors: book.connectorCount, evse_managers: config.evseManagers.length }, 'module ready');
    },
    stop() {
      stopping ??= (async () => {
        await provider?.stop(SHUTDOWN_GRACE_MS);
        scheduler.stop();
        snapshot.stop();
        caller?.stop();
        await connection?.close();
        log.info({ module_id: config.moduleId, reservations_held: book.size }, 'module stopped');
      })();
      return stopping;
    },
  };
}
