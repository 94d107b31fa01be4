// The reservation_end subscriber: a persistent session (clean: false, a stable client id, QoS 2),
// as docs/reliability.md asks of a subscriber that may be away, so the broker keeps the events
// published while it is disconnected. It can be told to go away for a while and come back.
import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { isObject } from '../src/everest/envelope';

export interface EndSeen {
  id: number;
  reason: string;
}

export class EndListener {
  private awayTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: MqttClient,
    private readonly onAway: (away: boolean) => void,
  ) {}

  static async start(url: string, topic: string, clientId: string, onEnd: (end: EndSeen) => void, onAway: (away: boolean) => void): Promise<EndListener> {
    const client = mqtt.connect(url, { clientId, protocolVersion: 4, clean: false, reconnectPeriod: 200, connectTimeout: 5000, resubscribe: true });
    client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
    client.on('error', () => undefined);
    client.on('message', (_topic, raw) => {
      try {
        const payload: unknown = JSON.parse(raw.toString('utf8'));
        const value = isObject(payload) && isObject(payload.data) ? payload.data.data : undefined;
        if (isObject(value) && typeof value.reservation_id === 'number' && typeof value.reason === 'string') onEnd({ id: value.reservation_id, reason: value.reason });
      } catch {
        // not an end: ignored (the checker sees only well-formed ends, and complains about missing ones)
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`listener could not connect to ${url}`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await client.subscribeAsync(topic, { qos: 2 });
    return new EndListener(client, onAway);
  }

  get connected(): boolean {
    return this.client.connected && this.awayTimer === undefined;
  }

  /** Disconnects cleanly (the session stays with the broker) and comes back after `ms`. */
  away(ms: number): void {
    if (this.awayTimer !== undefined) return;
    this.onAway(true);
    this.client.end(false);
    this.awayTimer = setTimeout(() => {
      this.awayTimer = undefined;
      this.client.reconnect();
      this.client.once('connect', () => this.onAway(false));
    }, ms);
  }

  /** Waits until back from away and connected. */
  async back(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.connected) {
      if (Date.now() > deadline) throw new Error('the reservation_end listener did not reconnect');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async close(): Promise<void> {
    if (this.awayTimer !== undefined) clearTimeout(this.awayTimer);
    this.awayTimer = undefined;
    await this.client.endAsync(true);
  }
}
