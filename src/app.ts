// The composition root: the only file that knows every layer.
import { createConnectorCommands } from './commands/connector';
import { createEvseCommands } from './commands/evse';
import { createStatusCommands } from './commands/status';
import type { ModuleConfig } from './config/load';
import { ReservationBook } from './domain/reservation-book';
import type { DomainEvent } from './domain/types';
import { CmdError } from './everest/errors';
import { MAIN_IMPL_ID, STATUS_IMPL_ID, snapshotTopic, statusTopic, varTopic } from './everest/topics';
import { createConnectorNotifier } from './evse-managers/connector-notifier';
import { EvseLayoutQuery } from './evse-managers/layouts';
import { EvseReconciler } from './evse-managers/reconciler';
import { watchEvseManagers } from './evse-managers/watcher';
import { interfaceValidators as evseInterfaceValidators } from './generated/evse/validators';
import { interfaceValidators, typeValidators } from './generated/validators';
import type { Logger } from './log';
import { SystemReadiness } from './manager/readiness';
import { CommandCaller } from './mqtt/caller';
import { MqttConnection } from './mqtt/connection';
import { type CommandHandler, CommandProvider } from './mqtt/provider';
import { VarOutbox } from './module/outbox';
import type { CallCmd } from './module/ports';
import { EventPublisher } from './module/publish';
import { toWire } from './module/reservation-wire';
import { restoreState } from './module/restore';
import { type Clock, ExpiryScheduler, systemClock } from './module/scheduler';
import { processDiagnostics, SnapshotPublisher } from './module/snapshot';
import { Persister } from './persistence/persister';
import { STATE_VERSION, writeStateAtomically } from './persistence/state-file';
import { InterfaceValidator } from './schema/validate';

export const MAX_PAYLOAD_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 5000;

export interface ModuleDeps {
  config: ModuleConfig;
  log: Logger;
  clock?: Clock;
  /** Under the EVerest manager: false when it already runs and counted this module (default true). */
  sendModuleReady?: boolean;
}

export interface ReservationModule {
  start(): Promise<void>;
  /** Idempotent: a second call waits for the first. */
  stop(): Promise<void>;
}

export function createReservationModule({ config, log, clock = systemClock, sendModuleReady = true }: ModuleDeps): ReservationModule {
  const { prefix, moduleId } = config;
  const wire = config.values.reservation_interface;
  const readiness = new SystemReadiness({ prefix, moduleId, underManager: config.underManager, sendModuleReady }, log.child({ component: 'manager' }));
  const book = new ReservationBook({
    evseCount: config.evseCount,
    reservationsEnabled: config.values.reservations_enabled,
    stationWideSupported: config.values.reserve_connector_zero_supported,
    ...(config.evseLayouts ? { layouts: config.evseLayouts } : {}),
  });
  const evseValidator = new InterfaceValidator(interfaceValidators.evse_manager);
  const persistenceFile = config.values.persistence_file === '' ? undefined : config.values.persistence_file;
  let connection: MqttConnection | undefined;
  let providers: CommandProvider[] = [];
  let caller: CommandCaller | undefined;
  let stopping: Promise<void> | undefined;

  const publish = (topic: string, payload: string, qos: 0 | 1 | 2, retain = false): Promise<boolean> =>
    connection ? connection.publish(topic, payload, qos, retain) : Promise.resolve(false);
  // In acceptance order, which a restart restores: the newest station-wide reservations give way first.
  const saveState = (): void => {
    const undelivered = outbox.entries();
    const updates = undelivered.flatMap((v) => (v.name === 'reservation_update' ? [v.data] : []));
    writeStateAtomically(persistenceFile as string, {
      version: STATE_VERSION,
      reservations: book.oldest(book.size).map((r) => toWire(r, wire)),
      undelivered_ends: undelivered.flatMap((v) => (v.name === 'reservation_end' ? [v.data] : [])),
      ...(updates.length > 0 ? { undelivered_updates: updates } : {}),
    });
  };
  const persister = new Persister(persistenceFile ? saveState : undefined, log.child({ component: 'persistence' }));
  const outbox = new VarOutbox(
    publish,
    {
      reservation_end: varTopic(prefix, moduleId, STATUS_IMPL_ID, 'reservation_end'),
      reservation_update: varTopic(prefix, moduleId, MAIN_IMPL_ID, 'reservation_update'),
    },
    () => persister.flush(),
    // Under the manager no var goes out before GlobalReady (spec/everest-manager.md §3).
    () => connection?.connected === true && readiness.isReady,
    log.child({ component: 'events' }),
  );
  readiness.onReady(() => outbox.deliverAll());
  const evseLog = log.child({ component: 'evse' });
  const callEvse: CallCmd = (evseModuleId, implId, cmd, args) =>
    caller ? caller.call(evseModuleId, implId, cmd, args) : Promise.resolve({ ok: false as const, error: new CmdError('NotReady', 'not connected to the broker') });
  // The EVSE managers' side differs by interface: told as today in the one, reconciled (and asked get_evse) in the other.
  const reconciler =
    wire === 'evse'
      ? new EvseReconciler({
          evseManagers: config.evseManagers,
          book,
          call: callEvse,
          validator: evseValidator,
          isReady: () => readiness.isReady && connection?.connected === true,
          onEvents: (events) => void afterChange(events),
          log: evseLog,
        })
      : undefined;
  const layoutQuery =
    wire === 'evse' && config.evseManagers.length > 0
      ? new EvseLayoutQuery({
          evseManagers: config.evseManagers,
          call: callEvse,
          validator: evseValidator,
          apply: (position, layout) => void afterChange(book.describeEvse(position, layout)),
          log: evseLog,
        })
      : undefined;
  const evseSide =
    reconciler ?? // Calls that fall due before GlobalReady wait for it, in order.
    createConnectorNotifier(config.evseManagers, (...call) => readiness.whenReady().then(() => callEvse(...call)), evseValidator, evseLog, (connectorId) => book.holderAt(connectorId)?.reservationId);
  const publisher = new EventPublisher(outbox, wire, log.child({ component: 'events' }), evseSide);
  const systemReady = (): void => {
    layoutQuery?.start();
    evseSide.announceAll();
  };
  readiness.onReady(systemReady);
  const snapshot = new SnapshotPublisher(publish, snapshotTopic(prefix, moduleId), book, wire, () => clock.now(), () =>
    processDiagnostics({
      commands_in_flight: providers.reduce((sum, provider) => sum + provider.commandsInFlight, 0),
      pending_evse_calls: caller?.pendingCount ?? 0,
      undelivered_ends: outbox.size,
    }),
    (topic, payload) => connection?.fits(topic, payload) ?? true,
  );
  const afterChange = (events: DomainEvent[]): Promise<void> => {
    publisher.handle(events);
    scheduler.rearm();
    snapshot.changed();
    return persister.flush();
  };
  const scheduler = new ExpiryScheduler(clock, () => book.nextExpiryMs(), (nowMs) => void afterChange(book.expireDue(nowMs)));
  const commandLog = log.child({ component: 'commands' });
  const commandTables = [
    reconciler
      ? { implId: MAIN_IMPL_ID, iface: evseInterfaceValidators.reservation, handlers: createEvseCommands(book, clock, afterChange, reconciler, commandLog) }
      : { implId: MAIN_IMPL_ID, iface: interfaceValidators.reservation, handlers: createConnectorCommands(book, clock, afterChange, commandLog) },
    { implId: STATUS_IMPL_ID, iface: interfaceValidators.reservation_status, handlers: createStatusCommands(book, wire) },
  ];

  return {
    async start() {
      const open = await MqttConnection.open(
        {
          ...config.mqtt,
          clientId: clientId(prefix, moduleId),
          statusTopic: statusTopic(prefix, moduleId),
          connectTimeoutMs: config.connectTimeoutMs,
          maxPacketBytes: config.values.max_message_bytes,
        },
        log.child({ component: 'mqtt' }),
      );
      connection = open;
      open.onConnected(() => {
        outbox.reconnected();
        reconciler?.reconnected();
      });
      // A forward wall-clock jump shows at the next packet, so the expiry timer need not poll for it.
      open.onPacketReceived(() => scheduler.checkClock());
      const evseCaller = new CommandCaller(
        open,
        { prefix, origin: moduleId, timeoutMs: config.values.evse_manager_call_timeout_ms },
        log.child({ component: 'caller' }),
      );
      caller = evseCaller;
      const evseCmds = ['reserve', 'cancel_reservation', ...(wire === 'evse' ? ['get_evse'] : [])];
      await Promise.all(config.evseManagers.flatMap((evse) => evseCmds.map((cmd) => evseCaller.prepare(evse.moduleId, evse.implId, cmd))));
      await watchEvseManagers({
        prefix,
        evseManagers: config.evseManagers,
        subscribe: (topic, qos, handler) => open.subscribe(topic, qos, handler),
        validator: evseValidator,
        validateRaisedError: typeValidators.evse_manager.RaisedError,
        perConnector: wire === 'evse',
        onChange: (position, change) => void afterChange(book.evseChanged(position, change)),
        ...(reconciler ? { onReservationEnd: (position: number) => reconciler.reservationEnded(position), onStarted: (position: number) => reconciler.evseManagerStarted(position) } : {}),
        log: evseLog,
      });
      if (persistenceFile) {
        // Held again before the first command can arrive; a file that cannot be written stops start-up.
        const { events, restarted } = restoreState(persistenceFile, book, outbox, clock.now(), log.child({ component: 'persistence' }));
        if (restarted) evseSide.forgetShown();
        void afterChange(events);
        saveState();
      }
      providers = commandTables.map(
        ({ implId, iface, handlers }) =>
          new CommandProvider(
            open,
            new InterfaceValidator(iface),
            handlers as unknown as Record<string, CommandHandler>,
            { prefix, moduleId, implId, maxPayloadBytes: MAX_PAYLOAD_BYTES },
            log.child({ component: 'provider', impl_id: implId }),
          ),
      );
      await Promise.all(providers.map((provider) => provider.start()));
      await snapshot.publishNow();
      await readiness.announce(open);
      // Under the manager, readiness says when (GlobalReady, or at once if it already runs).
      if (!config.underManager) systemReady();
      const station = wire === 'connector' ? { connectors: book.station.evseCount } : { evses: book.station.evseCount };
      log.info({ module_id: moduleId, prefix, interface: wire, ...station, evse_managers: config.evseManagers.length, reservations_held: book.size }, 'module ready');
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all(providers.map((provider) => provider.stop(SHUTDOWN_GRACE_MS)));
        scheduler.stop();
        layoutQuery?.stop();
        reconciler?.stop();
        snapshot.stop();
        outbox.stop();
        await persister.flush();
        caller?.stop();
        await connection?.close();
        log.info({ module_id: moduleId, reservations_held: book.size }, 'module stopped');
      })();
      return stopping;
    },
  };
}

/** Stable per prefix and module id, so the broker recognises a restarted module (and its ACL can name it). */
export function clientId(prefix: string, moduleId: string): string {
  const scope = prefix.replace(/\/$/, '').replace(/[^A-Za-z0-9_-]/g, '_');
  return scope === '' ? moduleId : `${scope}-${moduleId}`;
}
