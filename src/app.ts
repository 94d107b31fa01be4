// The composition root: the only file that knows every layer.
import { createConnectorCommands } from './commands/connector';
import { createEvseCommands } from './commands/evse';
import { createStatusCommands } from './commands/status';
import type { ModuleConfig } from './config/load';
import { ReservationBook } from './domain/reservation-book';
import type { DomainEvent } from './domain/types';
import { CmdError } from './everest/errors';
import { MAIN_IMPL_ID, STATUS_IMPL_ID, snapshotTopic, statusTopic, tokenEventsTopic, varTopic } from './everest/topics';
import { requireEvseManagers } from './evse-managers/part';
import { interfaceValidators as evseInterfaceValidators } from './generated/evse/validators';
import { interfaceValidators } from './generated/validators';
import type { Logger } from './log';
import { SystemReadiness } from './manager/readiness';
import { CommandCaller } from './mqtt/caller';
import { MqttConnection } from './mqtt/connection';
import { type CommandHandler, CommandProvider } from './mqtt/provider';
import { VarOutbox } from './module/outbox';
import type { ChangeListener, Implementation, ModulePart, RequiredLinks } from './module/part';
import type { CallCmd, EvsePlacement, Publish } from './module/ports';
import { EventPublisher } from './module/publish';
import { toWire, type WireInterface } from './module/reservation-wire';
import { restoreState } from './module/restore';
import { type Clock, ExpiryScheduler, systemClock } from './module/scheduler';
import { processDiagnostics, SnapshotPublisher } from './module/snapshot';
import { epochMsToRfc3339 } from './module/time';
import { Persister } from './persistence/persister';
import { STATE_VERSION, writeStateAtomically } from './persistence/state-file';
import { InterfaceValidator } from './schema/validate';
import { TokenLedger } from './token-path/ledger';
import { enterTokenPath } from './token-path/part';

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

export function createReservationModule(deps: ModuleDeps): ReservationModule {
  const core = holdReservations(deps);
  const evseManagers = requireEvseManagers({
    ...core,
    prefix: core.config.prefix,
    evseManagers: core.config.evseManagers,
    call: core.link.call,
    connected: () => core.link.connected,
    log: core.log.child({ component: 'evse' }),
  });
  const tokenPath = enterTokenPath({
    prefix: core.config.prefix,
    moduleId: core.config.moduleId,
    providers: core.config.tokenProviders,
    validators: core.config.tokenValidators,
    evseManagers: core.config.evseManagers,
    validationTimeoutMs: core.config.values.token_validation_timeout_ms,
    book: core.book,
    publish: core.link.publish,
    call: core.link.call,
    isReady: () => core.readiness.isReady && core.link.connected,
    layoutKnown: () => evseManagers.layoutKnown(),
    evseManagerOf: (evseId) => evseManagers.evseManagerOf(evseId),
    ledger: core.tokens,
    log: core.log.child({ component: 'tokens' }),
  });
  // A new part (what it provides, what it requires) is one more entry here.
  return runModule(core, [evseManagers, provideReservations(core, evseManagers.placement), tokenPath]);
}

/** The broker as everything built before start() reaches it: through the connection and caller that start() opens. */
class BrokerLink {
  private connection: MqttConnection | undefined;
  private caller: CommandCaller | undefined;
  private providers: CommandProvider[] = [];

  readonly publish: Publish = (topic, payload, qos, retain = false) =>
    this.connection ? this.connection.publish(topic, payload, qos, retain) : Promise.resolve(false);

  readonly call: CallCmd = (moduleId, implId, cmd, args, timeoutMs) =>
    this.caller ? this.caller.call(moduleId, implId, cmd, args, timeoutMs) : Promise.resolve({ ok: false as const, error: new CmdError('NotReady', 'not connected to the broker') });

  get connected(): boolean {
    return this.connection?.connected === true;
  }

  fits(topic: string, payload: string): boolean {
    return this.connection?.fits(topic, payload) ?? true;
  }

  get commandsInFlight(): number {
    return this.providers.reduce((sum, provider) => sum + provider.commandsInFlight, 0);
  }

  get pendingCalls(): number {
    return this.caller?.pendingCount ?? 0;
  }

  /** Connects, and gets ready to call other modules. */
  async open({ prefix, moduleId, ...config }: ModuleConfig, log: Logger): Promise<{ connection: MqttConnection; links: RequiredLinks }> {
    const connection = await MqttConnection.open(
      {
        ...config.mqtt,
        clientId: clientId(prefix, moduleId),
        statusTopic: statusTopic(prefix, moduleId),
        connectTimeoutMs: config.connectTimeoutMs,
        maxPacketBytes: config.values.max_message_bytes,
      },
      log.child({ component: 'mqtt' }),
    );
    this.connection = connection;
    const caller = new CommandCaller(connection, { prefix, origin: moduleId, timeoutMs: config.values.evse_manager_call_timeout_ms }, log.child({ component: 'caller' }));
    this.caller = caller;
    const links: RequiredLinks = {
      subscribe: (topic, qos, handler) => connection.subscribe(topic, qos, handler),
      prepareCall: (...target) => caller.prepare(...target),
    };
    return { connection, links };
  }

  /** Takes the commands of every implementation. */
  async provide(connection: MqttConnection, implementations: readonly Implementation[], { prefix, moduleId }: ModuleConfig, log: Logger): Promise<void> {
    this.providers = implementations.map(
      ({ implId, iface, handlers, qos }) =>
        new CommandProvider(
          connection,
          new InterfaceValidator(iface),
          handlers as Record<string, CommandHandler>,
          { prefix, moduleId, implId, maxPayloadBytes: MAX_PAYLOAD_BYTES, ...(qos ? { qos } : {}) },
          log.child({ component: 'provider', impl_id: implId }),
        ),
    );
    await Promise.all(this.providers.map((provider) => provider.start()));
  }

  /** Stops taking commands (late ones answer Shutdown) and waits a while for those in hand. */
  async stopProviding(): Promise<void> {
    await Promise.all(this.providers.map((provider) => provider.stop(SHUTDOWN_GRACE_MS)));
  }

  async close(): Promise<void> {
    this.caller?.stop();
    await this.connection?.close();
  }
}

/** What every part shares: the reservations, their events, their expiry, their snapshot and their file. */
interface ReservationCore {
  config: ModuleConfig;
  log: Logger;
  clock: Clock;
  wire: WireInterface;
  book: ReservationBook;
  readiness: SystemReadiness;
  link: BrokerLink;
  outbox: VarOutbox;
  persister: Persister;
  scheduler: ExpiryScheduler;
  snapshot: SnapshotPublisher;
  /** What the token path did with tokens: counted in the snapshot, each narrowed or refused one published. */
  tokens: TokenLedger;
  /** Publishes the events of one change, tells every listener, rearms the expiry timer and saves. */
  afterChange(events: DomainEvent[]): Promise<void>;
  /** A part hears the events of every change after they are published. */
  listen(listener: Partial<ChangeListener>): void;
  /**
   * Holds the persisted reservations again and saves them at once (a file that cannot be written
   * stops start-up); `restarted` runs first when an earlier run left a file.
   */
  restore(restarted: () => void): void;
}

function holdReservations({ config, log, clock = systemClock, sendModuleReady = true }: ModuleDeps): ReservationCore {
  const { prefix, moduleId } = config;
  const wire = config.values.reservation_interface;
  const link = new BrokerLink();
  const readiness = new SystemReadiness({ prefix, moduleId, underManager: config.underManager, sendModuleReady }, log.child({ component: 'manager' }));
  const book = new ReservationBook({
    evseCount: config.evseCount,
    reservationsEnabled: config.values.reservations_enabled,
    stationWideSupported: config.values.reserve_connector_zero_supported,
    ...(config.evseLayouts ? { layouts: config.evseLayouts } : {}),
  });
  const persistenceFile = config.values.persistence_file === '' ? undefined : config.values.persistence_file;
  // In acceptance order, which a restart restores: the newest station-wide reservations give way first.
  const saveState = (file: string): void => {
    const undelivered = outbox.entries();
    const updates = undelivered.flatMap((v) => (v.name === 'reservation_update' ? [v.data] : []));
    writeStateAtomically(file, {
      version: STATE_VERSION,
      reservations: book.oldest(book.size).map((r) => toWire(r, wire)),
      undelivered_ends: undelivered.flatMap((v) => (v.name === 'reservation_end' ? [v.data] : [])),
      ...(updates.length > 0 ? { undelivered_updates: updates } : {}),
    });
  };
  const persister = new Persister(persistenceFile ? () => saveState(persistenceFile) : undefined, log.child({ component: 'persistence' }));
  const outbox = new VarOutbox(
    link.publish,
    {
      reservation_end: varTopic(prefix, moduleId, STATUS_IMPL_ID, 'reservation_end'),
      reservation_update: varTopic(prefix, moduleId, MAIN_IMPL_ID, 'reservation_update'),
    },
    () => persister.flush(),
    // Under the manager no var goes out before GlobalReady (spec/everest-manager.md §3).
    () => link.connected && readiness.isReady,
    log.child({ component: 'events' }),
  );
  readiness.onReady(() => outbox.deliverAll());
  const publisher = new EventPublisher(outbox, wire, log.child({ component: 'events' }));
  const tokens = new TokenLedger(link.publish, tokenEventsTopic(prefix, moduleId), () => epochMsToRfc3339(clock.now()), () => snapshot.changed());
  const inTokenPath = config.tokenProviders.length > 0 || config.tokenValidators.length > 0;
  const snapshot = new SnapshotPublisher(link.publish, snapshotTopic(prefix, moduleId), book, wire, () => clock.now(), () =>
    processDiagnostics({ commands_in_flight: link.commandsInFlight, pending_evse_calls: link.pendingCalls, undelivered_ends: outbox.size }),
    (topic, payload) => link.fits(topic, payload),
    () => (inTokenPath ? tokens.counts : undefined),
  );
  const listeners: Array<Partial<ChangeListener>> = [];
  const afterChange = (events: DomainEvent[]): Promise<void> => {
    publisher.handle(events);
    for (const listener of listeners) listener.handled?.(events);
    scheduler.rearm();
    snapshot.changed();
    return persister.flush();
  };
  const scheduler = new ExpiryScheduler(clock, () => book.nextExpiryMs(), (nowMs) => void afterChange(book.expireDue(nowMs)));
  return {
    config,
    log,
    clock,
    wire,
    book,
    readiness,
    link,
    outbox,
    persister,
    scheduler,
    snapshot,
    tokens,
    afterChange,
    listen: (listener) => listeners.push(listener),
    restore(restarted) {
      if (!persistenceFile) return;
      const restored = restoreState(persistenceFile, book, outbox, clock.now(), log.child({ component: 'persistence' }));
      if (restored.restarted) restarted();
      void afterChange(restored.events);
      saveState(persistenceFile);
    },
  };
}

/** The reservation implementation in the configured interface, and reservation_status. */
function provideReservations({ book, clock, wire, afterChange, log }: ReservationCore, placement: EvsePlacement | undefined): ModulePart {
  const commandLog = log.child({ component: 'commands' });
  return {
    implementations: [
      placement
        ? { implId: MAIN_IMPL_ID, iface: evseInterfaceValidators.reservation, handlers: createEvseCommands(book, clock, afterChange, placement, commandLog) }
        : { implId: MAIN_IMPL_ID, iface: interfaceValidators.reservation, handlers: createConnectorCommands(book, clock, afterChange, commandLog) },
      { implId: STATUS_IMPL_ID, iface: interfaceValidators.reservation_status, handlers: createStatusCommands(book, wire) },
    ],
  };
}

/**
 * Start-up and shutdown, the same for every part: connect, let each part reach what it requires,
 * hold the persisted reservations again, provide every implementation, say ready.
 */
function runModule(core: ReservationCore, parts: readonly ModulePart[]): ReservationModule {
  const { config, log, link, book, readiness, outbox, scheduler, snapshot } = core;
  const { prefix, moduleId } = config;
  let stopping: Promise<void> | undefined;
  for (const part of parts) core.listen(part);
  const systemReady = (): void => {
    for (const part of parts) part.ready?.();
  };
  readiness.onReady(systemReady);

  return {
    async start() {
      const { connection, links } = await link.open(config, log);
      connection.onConnected(() => {
        outbox.reconnected();
        for (const part of parts) part.reconnected?.();
      });
      // A forward wall-clock jump shows at the next packet, so the expiry timer need not poll for it.
      connection.onPacketReceived(() => scheduler.checkClock());
      for (const part of parts) await part.connect?.(links);
      // Held again before the first command or token can arrive; after a restart no part assumes
      // what the modules it calls still show.
      core.restore(() => {
        for (const part of parts) part.restarted?.();
      });
      await link.provide(connection, parts.flatMap((part) => part.implementations ?? []), config, log);
      for (const part of parts) await part.listen?.(links);
      await snapshot.publishNow();
      await readiness.announce(connection);
      // Under the manager, readiness says when (GlobalReady, or at once if it already runs).
      if (!config.underManager) systemReady();
      const station = core.wire === 'connector' ? { connectors: book.station.evseCount } : { evses: book.station.evseCount };
      log.info({ module_id: moduleId, prefix, interface: core.wire, ...station, evse_managers: config.evseManagers.length, token_providers: config.tokenProviders.length, token_validators: config.tokenValidators.length, reservations_held: book.size }, 'module ready');
    },
    stop() {
      stopping ??= (async () => {
        await link.stopProviding();
        scheduler.stop();
        for (const part of parts) part.stop?.();
        snapshot.stop();
        outbox.stop();
        await core.persister.flush();
        await link.close();
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
