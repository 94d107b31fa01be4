// The broker connection: the only place besides provider/caller that touches MQTT.js.
import type { Socket } from 'node:net';
import type { IClientOptions, MqttClient } from 'mqtt';
import { topicMatches } from '../everest/topics';
import type { Logger } from '../log';
import { connectMqtt } from './transport';

export type MessageHandler = (payload: Buffer, topic: string) => void;

/** Reconnect attempts back off from the first delay, doubling up to the last. */
export const RECONNECT_MIN_MS = 500;
export const RECONNECT_MAX_MS = 8000;
/** MQTT keepalive, seconds: the only thing that wakes an idle module (MQTT.js checks every half of it). */
export const MQTT_KEEPALIVE_S = 10;

export type QoS = 0 | 1 | 2;

export interface ConnectionOptions {
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Retained `online` while connected; the broker publishes `offline` as our last will. None for a mere client. */
  statusTopic?: string;
  /** How long start-up waits for the first connection before giving up. */
  connectTimeoutMs: number;
  /** Larger packets are never handed to MQTT.js (see publish). */
  maxPacketBytes?: number;
}

/** Bytes of a PUBLISH packet: fixed header (up to 5), topic length (2), topic, packet id (2), payload. */
export function publishPacketBytes(topic: string, payload: string): number {
  return 9 + Buffer.byteLength(topic) + Buffer.byteLength(payload);
}

export class MqttConnection {
  private readonly handlers = new Map<string, MessageHandler>();
  /** Filters with `+` or `#` (a dashboard's fleet view), matched when no exact topic is. */
  private readonly wildcardHandlers = new Map<string, MessageHandler>();
  private readonly connectListeners: Array<() => void> = [];
  private readonly disconnectListeners: Array<() => void> = [];
  private wasConnected = false;
  private closing = false;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: ConnectionOptions,
    private readonly log: Logger,
  ) {
    client.on('message', (topic, payload) => this.dispatch(topic, payload));
  }

  /** Connects, or rejects once `connectTimeoutMs` has passed without a connection. */
  static async open(options: ConnectionOptions, log: Logger): Promise<MqttConnection> {
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      protocolVersion: 4, // MQTT 3.1.1, as everest-framework
      clean: true,
      resubscribe: true,
      keepalive: MQTT_KEEPALIVE_S,
      reconnectPeriod: RECONNECT_MIN_MS,
      connectTimeout: 5000,
      queueQoSZero: false,
      // MQTT.js would otherwise pre-build 65,536 two-byte Buffers for packet ids: 6 MB of heap for nothing.
      writeCache: false,
      ...(options.username !== undefined ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...options.tls,
      ...(options.statusTopic !== undefined ? { will: { topic: options.statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true } } : {}),
    };
    const client = connectMqtt(options.url, clientOptions);
    const connection = new MqttConnection(client, options, log);
    client.on('connect', () => connection.onConnect());
    client.on('close', () => connection.onClose());
    client.on('offline', () => log.warn({ url: redact(options.url) }, 'broker connection lost; reconnecting'));
    client.on('reconnect', () => connection.backOff());
    // Kept so that giving up can say why (refused, not authorised, TLS), not only that time ran out.
    let lastError: string | undefined;
    client.on('error', (err) => {
      lastError = err.message;
      log.warn({ err: err.message }, 'broker connection error');
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.removeListener('connect', connected);
        client.end(true);
        const why = lastError === undefined ? '' : ` (last error: ${lastError})`;
        reject(new Error(`no connection to the broker at ${redact(options.url)} within ${options.connectTimeoutMs} ms${why}`));
      }, options.connectTimeoutMs);
      const connected = (): void => {
        clearTimeout(timer);
        resolve();
      };
      client.once('connect', connected);
    });
    return connection;
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Called after every (re)connection, once subscriptions are restored by MQTT.js. */
  onConnected(listener: () => void): void {
    this.connectListeners.push(listener);
  }

  /** Called for every packet from the broker (the keepalive's answers included): a wake-up to piggyback on. */
  onPacketReceived(listener: () => void): void {
    this.client.on('packetreceive', () => {
      // Called inside MQTT.js's parser: a throw would leave it deaf (broker-facts #4).
      try {
        listener();
      } catch (err) {
        this.log.error({ err }, 'packet listener failed');
      }
    });
  }

  /** Called whenever the connection is lost (once per loss, not per failed reconnect attempt). */
  onDisconnected(listener: () => void): void {
    this.disconnectListeners.push(listener);
  }

  async subscribe(topic: string, qos: QoS, handler: MessageHandler): Promise<void> {
    (/[+#]/.test(topic) ? this.wildcardHandlers : this.handlers).set(topic, handler);
    await this.client.subscribeAsync(topic, { qos });
  }

  /** Stops delivery of `topic`; its handler still sees what arrives until the broker confirms. */
  async unsubscribe(topic: string): Promise<void> {
    try {
      await this.client.unsubscribeAsync(topic);
    } finally {
      this.handlers.delete(topic);
      this.wildcardHandlers.delete(topic);
    }
  }

  /** True if a publish of `payload` on `topic` stays within the broker's packet size limit. */
  fits(topic: string, payload: string): boolean {
    return this.options.maxPacketBytes === undefined || publishPacketBytes(topic, payload) <= this.options.maxPacketBytes;
  }

  /**
   * Publishes; a failure is logged and reported as false, never thrown. A packet over the limit is
   * refused here: the broker would drop the connection, and MQTT.js would replay it after every reconnect.
   */
  async publish(topic: string, payload: string, qos: QoS, retain = false): Promise<boolean> {
    if (!this.fits(topic, payload)) {
      this.log.error({ topic, bytes: publishPacketBytes(topic, payload), max_message_bytes: this.options.maxPacketBytes }, 'publish refused: larger than max_message_bytes');
      return false;
    }
    try {
      await this.client.publishAsync(topic, payload, { qos, retain });
      return true;
    } catch (err) {
      this.log.warn({ topic, err: (err as Error).message }, 'publish failed');
      return false;
    }
  }

  /** Says offline, then disconnects cleanly (so the broker does not send the will). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.client.connected && this.options.statusTopic !== undefined) await this.publish(this.options.statusTopic, 'offline', 1, true);
    await this.client.endAsync();
  }

  /**
   * MQTT.js has no backoff of its own (mqtt.js #561), but re-arms its reconnect timer from
   * options.reconnectPeriod after every failed attempt: stretching that option backs off.
   */
  private backOff(): void {
    const next = Math.min((this.client.options.reconnectPeriod ?? RECONNECT_MIN_MS) * 2, RECONNECT_MAX_MS);
    this.client.options.reconnectPeriod = next;
    this.log.info({ next_attempt_in_ms: next }, 'reconnecting to the broker');
  }

  private onConnect(): void {
    this.wasConnected = true;
    this.client.options.reconnectPeriod = RECONNECT_MIN_MS;
    // MQTT.js leaves Nagle on: without this every QoS 1/2 round trip waits ~40 ms for delayed ACKs.
    (this.client.stream as Socket | undefined)?.setNoDelay?.(true);
    this.log.info({ url: redact(this.options.url) }, 'connected to broker');
    if (this.options.statusTopic !== undefined) void this.publish(this.options.statusTopic, 'online', 1, true);
    for (const listener of this.connectListeners) listener();
  }

  private onClose(): void {
    // MQTT.js emits close after every failed reconnect attempt too: tell a loss once, and not our own close.
    if (!this.wasConnected || this.closing) return;
    this.wasConnected = false;
    for (const listener of this.disconnectListeners) listener();
  }

  private dispatch(topic: string, payload: Buffer): void {
    let handler = this.handlers.get(topic);
    if (!handler) {
      for (const [filter, candidate] of this.wildcardHandlers) {
        if (topicMatches(filter, topic)) {
          handler = candidate;
          break;
        }
      }
    }
    if (!handler) return;
    // A throwing listener would leave MQTT.js deaf (broker-facts #4): never let one escape.
    try {
      handler(payload, topic);
    } catch (err) {
      this.log.error({ topic, err }, 'message handler failed');
    }
  }
}

/** The URL without its password, for logs. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
