// The subscriber of reservation_end (and, in the evse interface, reservation_update): a persistent
// session (clean: false, a stable client id, QoS 2), as docs/reliability.md asks of a subscriber
// that may be away, so the broker keeps the events published while it is disconnected. It can be
// told to go away for a while and come back.
import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { isObject } from '../src/everest/envelope';

export interface EndSeen {
  id: number;
  reason: string;
}

export interface UpdateSeen {
  id: number;
  status: string;
}

/** The value of a Var on `raw`, if it is one (anything else is ignored: the checker complains about what is missing). */
function varValue(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const payload: unknown = JSON.parse(raw.toString('utf8'));
    const value = isObject(payload) && isObject(payload.data) ? payload.data.data : undefined;
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export class EndListener {
  private awayTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly client: MqttClient,
    private readonly onAway: (away: boolean) => void,
  ) {}

  static async start(
    url: string,
    topics: { end: string; update?: string },
    clientId: string,
    on: { end: (end: EndSeen) => void; update?: (update: UpdateSeen) => void; away: (away: boolean) => void },
  ): Promise<EndListener> {
    const client = mqtt.connect(url, { clientId, protocolVersion: 4, clean: false, reconnectPeriod: 200, connectTimeout: 5000, resubscribe: true });
    client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
    client.on('error', () => undefined);
    client.on('message', (topic, raw) => {
      const value = varValue(raw);
      if (!value || typeof value.reservation_id !== 'number') return;
      if (topic === topics.end && typeof value.reason === 'string') on.end({ id: value.reservation_id, reason: value.reason });
      else if (topic === topics.update && typeof value.reservation_status === 'string') on.update?.({ id: value.reservation_id, status: value.reservation_status });
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`listener could not connect to ${url}`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    await client.subscribeAsync(topics.update !== undefined ? [topics.end, topics.update] : topics.end, { qos: 2 });
    return new EndListener(client, on.away);
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
