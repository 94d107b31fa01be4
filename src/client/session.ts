// The client's link to a running module: one broker connection, EVerest calls with a timeout,
// and subscriptions to what the module publishes. No status topic or last will: a client is no module.
import { randomBytes } from 'node:crypto';
import type { CallResult } from '../everest/envelope';
import { decodeVar } from '../everest/envelope';
import { moduleIdOf, snapshotTopic, statusTopic, tokenEventsTopic, varTopic } from '../everest/topics';
import type { MqttSettings } from '../config/load';
import { implOfCmd as evseImplOfCmd, implOfVar as evseImplOfVar } from '../generated/evse/manifest';
import { implOfCmd, implOfVar } from '../generated/manifest';
import type { Logger } from '../log';
import type { WireInterface } from '../module/reservation-wire';
import { CommandCaller } from '../mqtt/caller';
import { MqttConnection } from '../mqtt/connection';
import { decodeSnapshot } from './format';

export interface SessionOptions {
  mqtt: MqttSettings;
  prefix: string;
  moduleId: string;
  timeoutMs: number;
  /** Who calls, as the first part of the MQTT client id and of `origin` (default reservation-cli). */
  caller?: string;
}

/** In place of a module id: every module under the prefix (the dashboard's fleet view). */
export const ALL_MODULES = '+';

/** A listener for what one module publishes; `moduleId` tells which when listening to ALL_MODULES. */
export type ModuleListener<T> = (value: T, moduleId: string) => void;

export class BrokerUnreachable extends Error {}

/** Where each interface's manifest serves its commands and vars (exists_reservation moves to main in the evse one). */
const IMPLS: Record<WireInterface, { cmd: Readonly<Record<string, string>>; var: Readonly<Record<string, string>> }> = {
  connector: { cmd: implOfCmd, var: implOfVar },
  evse: { cmd: evseImplOfCmd, var: evseImplOfVar },
};

export class ModuleSession {
  private constructor(
    private readonly connection: MqttConnection,
    private readonly caller: CommandCaller,
    readonly options: SessionOptions,
  ) {}

  static async open(options: SessionOptions, log: Logger): Promise<ModuleSession> {
    // Unique per run, so answers to two clients at once never cross.
    const origin = `${options.caller ?? 'reservation-cli'}-${randomBytes(6).toString('hex')}`;
    let connection: MqttConnection;
    try {
      connection = await MqttConnection.open({ ...options.mqtt, clientId: origin, connectTimeoutMs: options.timeoutMs }, log);
    } catch (err) {
      throw new BrokerUnreachable((err as Error).message);
    }
    const caller = new CommandCaller(connection, { prefix: options.prefix, origin, timeoutMs: options.timeoutMs }, log);
    return new ModuleSession(connection, caller, options);
  }

  /** Calls `cmd` where the module serving `wire` provides it. */
  async call(cmd: string, args: Record<string, unknown>, wire: WireInterface): Promise<CallResult> {
    const implId = implOf(IMPLS[wire].cmd, cmd);
    await this.caller.prepare(this.options.moduleId, implId, cmd);
    return this.caller.call(this.options.moduleId, implId, cmd, args);
  }

  /** Values of one of the module's vars (as the module serving `wire` provides it), as they are published. */
  async onVar(name: string, wire: WireInterface, listener: ModuleListener<unknown>, moduleId = this.options.moduleId): Promise<void> {
    await this.connection.subscribe(varTopic(this.options.prefix, moduleId, implOf(IMPLS[wire].var, name), name), 2, (payload, topic) => {
      const decoded = decodeVar(payload);
      if (decoded) this.tell(listener, decoded.value, topic);
    });
  }

  /** The retained snapshot now (if the module has published one) and every later one. */
  async onSnapshot(listener: ModuleListener<Buffer>, moduleId = this.options.moduleId): Promise<void> {
    await this.connection.subscribe(snapshotTopic(this.options.prefix, moduleId), 1, (payload, topic) => this.tell(listener, payload, topic));
  }

  /** Each token the module's token path narrowed or refused, as it happens (published only in the token path). */
  async onTokenEvents(listener: ModuleListener<Buffer>, moduleId = this.options.moduleId): Promise<void> {
    await this.connection.subscribe(tokenEventsTopic(this.options.prefix, moduleId), 1, (payload, topic) => this.tell(listener, payload, topic));
  }

  /** The interface the module serves, as its retained snapshot says (undefined: it has published none). */
  async servedInterface(): Promise<WireInterface | undefined> {
    const { prefix, moduleId } = this.options;
    let served: WireInterface | undefined;
    await this.connection.subscribe(snapshotTopic(prefix, moduleId), 1, (payload) => {
      const snapshot = decodeSnapshot(payload);
      if (snapshot) served = snapshot.interface ?? 'connector';
    });
    // The broker sends a subscription's retained message before it acknowledges the next subscribe on the same connection.
    const barrier = statusTopic(prefix, moduleId);
    await this.connection.subscribe(barrier, 1, () => undefined);
    await Promise.all([this.connection.unsubscribe(snapshotTopic(prefix, moduleId)), this.connection.unsubscribe(barrier)]);
    return served;
  }

  async onStatus(listener: ModuleListener<string>, moduleId = this.options.moduleId): Promise<void> {
    await this.connection.subscribe(statusTopic(this.options.prefix, moduleId), 1, (payload, topic) => this.tell(listener, payload.toString('utf8'), topic));
  }

  /** Called with false when the broker connection is lost and true when it is back (subscriptions restored). */
  onBrokerConnection(listener: (connected: boolean) => void): void {
    this.connection.onDisconnected(() => listener(false));
    this.connection.onConnected(() => listener(true));
  }

  get brokerConnected(): boolean {
    return this.connection.connected;
  }

  private tell<T>(listener: ModuleListener<T>, value: T, topic: string): void {
    const moduleId = moduleIdOf(this.options.prefix, topic);
    if (moduleId !== undefined) listener(value, moduleId);
  }

  async close(): Promise<void> {
    this.caller.stop();
    await this.connection.close();
  }
}

/** The implementation the module's manifest serves a command or var under. */
function implOf(owners: Readonly<Record<string, string>>, name: string): string {
  const implId = owners[name];
  if (implId === undefined) throw new Error(`the module provides no ${name}`);
  return implId;
}
