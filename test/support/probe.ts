// An EVerest peer for the tests: calls commands, listens to vars, raises errors and can
// stand in for a command provider (an EVSE manager double), over a real MQTT.js client.
import { randomUUID } from 'node:crypto';
import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { isObject } from '../../src/everest/envelope';
import { MAIN_IMPL_ID, topicMatches } from '../../src/everest/topics';
import { implOfCmd, implOfVar } from '../../src/generated/manifest';
import { track, within } from './teardown';

export type QoS = 0 | 1 | 2;

export interface EverestError {
  __everest__error_type: string;
  __everest__error_msg: string;
}

/** `data.data` of a CmdResult: `{id, retval, origin}` or `{id, origin, error}`. */
export interface CallResult {
  id: string;
  origin: string;
  retval?: unknown;
  error?: EverestError;
}

export interface CallOptions {
  implId?: string;
  /** The caller's module id (the response topic's last level); the probe's own by default. */
  origin?: string;
  timeoutMs?: number;
}

export interface ReceivedMessage {
  topic: string;
  /** Parsed JSON, or the payload as a string when it is not JSON. */
  payload: unknown;
  raw: Buffer;
  retain: boolean;
  /** Date.now() when the probe received it. */
  receivedAt: number;
}

export class TimeoutError extends Error {}

function parsePayload(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Every message on a topic filter since it was created. */
export class Collector {
  readonly entries: ReceivedMessage[] = [];
  private cursor = 0;
  private waiters: Array<() => void> = [];

  constructor(
    readonly filter: string,
    private readonly onClose: () => Promise<void>,
    private readonly listener?: (message: ReceivedMessage) => void,
  ) {}

  /** The payloads received so far (parsed JSON, or strings). */
  get messages(): unknown[] {
    return this.entries.map((e) => e.payload);
  }

  push(message: ReceivedMessage): void {
    this.entries.push(message);
    for (const wake of this.waiters.splice(0)) wake();
    this.listener?.(message);
  }

  /** The next message not yet returned by next(); rejects after timeoutMs. */
  async next(timeoutMs = 5000): Promise<ReceivedMessage> {
    const entry = await this.until(() => this.entries[this.cursor], timeoutMs, `a message on ${this.filter}`);
    this.cursor++;
    return entry;
  }

  /** The first message (received so far or later) whose parsed payload satisfies predicate. */
  async waitFor(predicate: (payload: unknown, message: ReceivedMessage) => boolean, timeoutMs = 5000): Promise<ReceivedMessage> {
    return this.until(() => this.entries.find((e) => predicate(e.payload, e)), timeoutMs, `a matching message on ${this.filter}`);
  }

  /** Resolves once `count` messages have arrived; rejects after timeoutMs. */
  async waitForCount(count: number, timeoutMs = 5000): Promise<ReceivedMessage[]> {
    await this.until(() => (this.entries.length >= count ? true : undefined), timeoutMs, `${count} messages on ${this.filter}`);
    return this.entries.slice();
  }

  close(): Promise<void> {
    return this.onClose();
  }

  private async until<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new TimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.entries.length}: ${JSON.stringify(this.messages).slice(0, 2000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

export interface ServedCall {
  id: string;
  origin: string;
  args: unknown;
  topic: string;
}

export interface Served {
  calls: ServedCall[];
  stop(): Promise<void>;
}

/** What a served command answers: a retval, an EVerest error, a raw payload (e.g. malformed JSON), or nothing. */
export type ServeReply = { retval: unknown } | { error: EverestError } | { raw: string } | { silent: true };

export type ServeHandler = (args: Record<string, unknown>, call: ServedCall) => ServeReply | Promise<ServeReply>;

export class Probe {
  private readonly collectors = new Set<Collector>();
  /** Per topic filter: how many collectors use it, and its SUBACK. */
  private readonly subscriptions = new Map<string, { count: number; ready: Promise<void> }>();
  private readonly untrack: () => void;
  private closed = false;

  private constructor(
    readonly client: MqttClient,
    readonly prefix: string,
    readonly origin: string,
  ) {
    client.on('message', (topic, raw, packet) => {
      const message: ReceivedMessage = { topic, raw, payload: parsePayload(raw), retain: packet.retain, receivedAt: Date.now() };
      for (const collector of this.collectors) {
        if (topicMatches(collector.filter, topic)) collector.push(message);
      }
    });
    this.untrack = track(`probe ${origin}`, () => this.close());
  }

  static async connect(url: string, { prefix, origin = 'probe' }: { prefix: string; origin?: string }): Promise<Probe> {
    const client = mqtt.connect(url, {
      clientId: `${origin}-${randomUUID().slice(0, 8)}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 200,
      connectTimeout: 5000,
    });
    // Nagle would add ~40 ms to every QoS 2 round trip (broker-facts #2); every reconnect is a new socket.
    client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.end(true);
        reject(new Error(`probe could not connect to ${url}`));
      }, 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return new Probe(client, prefix, origin);
  }

  /** By default the implementation the reservation module's manifest serves `cmd` under. */
  cmdTopic(moduleId: string, cmd: string, implId = implOfCmd[cmd] ?? MAIN_IMPL_ID): string {
    return `${this.prefix}modules/${moduleId}/impl/${implId}/cmd/${cmd}`;
  }

  varTopic(moduleId: string, varName: string, implId = implOfVar[varName] ?? MAIN_IMPL_ID): string {
    return `${this.prefix}modules/${moduleId}/impl/${implId}/var/${varName}`;
  }

  errorTopic(moduleId: string, implId: string, errorType: string): string {
    return `${this.prefix}modules/${moduleId}/impl/${implId}/error/${errorType}`;
  }

  /** Collects every message on `filter` (wildcards allowed) from now on; subscribed when it resolves. */
  async collect(filter: string, qos: QoS = 2, listener?: (message: ReceivedMessage) => void): Promise<Collector> {
    const collector: Collector = new Collector(
      filter,
      async () => {
        if (!this.collectors.delete(collector)) return;
        await this.release(filter);
      },
      listener,
    );
    this.collectors.add(collector);
    await this.acquire(filter, qos);
    return collector;
  }

  /** Calls a command as an EVerest caller and resolves with `data.data` of the matching CmdResult. */
  async call(moduleId: string, cmd: string, args: unknown, options: CallOptions = {}): Promise<CallResult> {
    const origin = options.origin ?? this.origin;
    const id = randomUUID();
    return this.callRaw(moduleId, cmd, { msg_type: 'Cmd', data: { id, args, origin } }, { ...options, origin, id });
  }

  /** Calls and resolves with the retval; rejects if the answer is an error. */
  async invoke<T = unknown>(moduleId: string, cmd: string, args: unknown, options: CallOptions = {}): Promise<T> {
    const result = await this.call(moduleId, cmd, args, options);
    if (result.error !== undefined) throw new Error(`${cmd} answered ${result.error.__everest__error_type}: ${result.error.__everest__error_msg}`);
    return result.retval as T;
  }

  /**
   * Publishes `envelope` (an object, or a string sent as is) on the command topic and waits for
   * the CmdResult with call id `id` on the response topic of `options.origin`.
   */
  async callRaw(moduleId: string, cmd: string, envelope: unknown, options: CallOptions & { id: string }): Promise<CallResult> {
    const { implId, origin = this.origin, timeoutMs = 10_000, id } = options;
    const topic = this.cmdTopic(moduleId, cmd, implId);
    const responses = await this.collect(`${topic}/response/${origin}`);
    try {
      await this.publishRaw(topic, typeof envelope === 'string' ? envelope : JSON.stringify(envelope), 2);
      const answer = await responses.waitFor((p) => isObject(p) && isObject(p.data) && isObject(p.data.data) && p.data.data.id === id, timeoutMs);
      return ((answer.payload as Record<string, Record<string, unknown>>).data as Record<string, unknown>).data as CallResult;
    } catch (err) {
      if (err instanceof TimeoutError) throw new TimeoutError(`no answer to ${cmd} (call ${id}) from ${moduleId} within ${timeoutMs} ms`);
      throw err;
    } finally {
      await responses.close();
    }
  }

  async publishRaw(topic: string, payload: string | Buffer, qos: QoS = 2, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos, retain });
  }

  /** Publishes a var as the module `moduleId` would: `{msg_type:'Var', data:{data: value}}`. */
  async publishVar(moduleId: string, implId: string, varName: string, value: unknown): Promise<void> {
    await this.publishRaw(this.varTopic(moduleId, varName, implId), JSON.stringify({ msg_type: 'Var', data: { data: value } }), 2);
  }

  async raiseError(moduleId: string, implId: string, errorType: string, fields: Record<string, unknown> = {}): Promise<void> {
    await this.publishError('RaiseError', moduleId, implId, errorType, 'Active', fields);
  }

  async clearError(moduleId: string, implId: string, errorType: string, fields: Record<string, unknown> = {}): Promise<void> {
    await this.publishError('ClearError', moduleId, implId, errorType, 'ClearedByModule', fields);
  }

  /**
   * Acts as the provider of `cmd` on `moduleId`/`implId`: answers each call on
   * `.../response/<caller origin>` as the handler's reply (awaited) says.
   */
  async serve(moduleId: string, implId: string, cmd: string, handler: ServeHandler): Promise<Served> {
    const topic = this.cmdTopic(moduleId, cmd, implId);
    const calls: ServedCall[] = [];
    const collector = await this.collect(topic, 2, (message) => {
      const payload = message.payload;
      if (message.topic !== topic || !isObject(payload) || !isObject(payload.data)) return;
      const { id, origin, args } = payload.data;
      if (typeof id !== 'string' || typeof origin !== 'string') return;
      const call: ServedCall = { id, origin, args, topic };
      calls.push(call);
      void (async () => {
        const reply = await handler(isObject(args) ? args : {}, call);
        if ('silent' in reply || this.closed) return;
        const result = 'error' in reply ? { id, origin: moduleId, error: reply.error } : 'retval' in reply ? { id, retval: reply.retval ?? null, origin: moduleId } : undefined;
        const payload = 'raw' in reply ? reply.raw : JSON.stringify({ msg_type: 'CmdResult', data: { type: 'result', data: result } });
        await this.publishRaw(`${topic}/response/${origin}`, payload, 2);
      })().catch(() => undefined);
    });
    return { calls, stop: () => collector.close() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.untrack();
    this.collectors.clear();
    const ended = await within(this.client.endAsync(false).then(() => true), 2000);
    if (!ended) await this.client.endAsync(true);
  }

  private async publishError(
    msgType: 'RaiseError' | 'ClearError',
    moduleId: string,
    implId: string,
    errorType: string,
    state: string,
    fields: Record<string, unknown>,
  ): Promise<void> {
    const data = {
      type: errorType,
      message: `${errorType} ${msgType === 'RaiseError' ? 'raised' : 'cleared'} by the test probe`,
      severity: 'High',
      origin: { module_id: moduleId, implementation_id: implId },
      state,
      timestamp: new Date().toISOString(),
      uuid: randomUUID(),
      ...fields,
    };
    await this.publishRaw(this.errorTopic(moduleId, implId, errorType), JSON.stringify({ msg_type: msgType, data }), 2);
  }

  private async acquire(filter: string, qos: QoS): Promise<void> {
    const held = this.subscriptions.get(filter);
    if (held) {
      // Subscribing again would make the broker re-send retained messages: share the first SUBACK.
      held.count++;
      await held.ready;
      return;
    }
    const ready = this.client.subscribeAsync(filter, { qos }).then(() => undefined);
    this.subscriptions.set(filter, { count: 1, ready });
    await ready;
  }

  private async release(filter: string): Promise<void> {
    const held = this.subscriptions.get(filter);
    if (!held) return;
    if (--held.count > 0) return;
    this.subscriptions.delete(filter);
    if (!this.closed && this.client.connected) await this.client.unsubscribeAsync(filter).catch(() => undefined);
  }
}
