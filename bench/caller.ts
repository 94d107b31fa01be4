// An EVerest caller for the benchmark: keeps `window` calls in flight and times each one from
// publish to answer.
import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';

export type QoS = 0 | 2;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
  /** The implementation called; absent: main. */
  impl?: string;
  /** The retval a correct answer carries; anything else counts as an error. */
  expect: unknown;
}

export interface CallStats {
  calls: number;
  seconds: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers with an error, or with another retval than expected. */
  errors: number;
}

/** What a call was answered with. */
export interface Answer {
  retval?: unknown;
  error?: unknown;
}

/** Each call's round trip and answer, in the order of the calls. */
export interface TimedCalls {
  seconds: number;
  latenciesMs: number[];
  answers: Answer[];
}

const STALL_TIMEOUT_MS = 15_000;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Throughput and percentiles of round trips; `errors` counted by the caller. */
export function callStats(latenciesMs: readonly number[], seconds: number, errors: number): CallStats {
  const sorted = latenciesMs.slice().sort((a, b) => a - b);
  return { calls: latenciesMs.length, seconds, callsPerSecond: latenciesMs.length / seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors };
}

export class BenchCaller {
  private readonly pending = new Map<string, (answer: Answer) => void>();
  private nextId = 0;

  private constructor(
    private readonly client: MqttClient,
    private readonly prefix: string,
    private readonly origin: string,
    private readonly qos: QoS,
  ) {
    client.on('message', (_topic, payload) => {
      const answer = (JSON.parse(payload.toString('utf8')) as { data: { data: { id: string; retval?: unknown; error?: unknown } } }).data.data;
      const resolve = this.pending.get(answer.id);
      if (!resolve) return;
      this.pending.delete(answer.id);
      resolve(answer);
    });
  }

  static async connect(url: string, prefix: string, origin: string, qos: QoS): Promise<BenchCaller> {
    const client = mqtt.connect(url, { clientId: `bench-${origin}-${process.pid}`, protocolVersion: 4, clean: true });
    client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync(`${prefix}modules/+/impl/+/cmd/+/response/${origin}`, { qos });
    return new BenchCaller(client, prefix, origin, qos);
  }

  /** Makes every call to `moduleId`, `window` at a time, and times them; an answer other than `expect` is an error. */
  async run(moduleId: string, calls: readonly Call[], window: number): Promise<CallStats> {
    const { seconds, latenciesMs, answers } = await this.timed(moduleId, calls, window);
    const errors = answers.reduce((n, answer, i) => (answer.error !== undefined || answer.retval !== calls[i]?.expect ? n + 1 : n), 0);
    return callStats(latenciesMs, seconds, errors);
  }

  /** Makes every call to `moduleId`, `window` at a time, and keeps each one's round trip and answer. */
  async timed(moduleId: string, calls: readonly Call[], window: number): Promise<TimedCalls> {
    const latencies: number[] = new Array<number>(calls.length);
    const answers: Answer[] = new Array<Answer>(calls.length);
    let started = 0;
    let answered = 0;
    const begin = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      let lastProgress = Date.now();
      const watchdog = setInterval(() => {
        if (Date.now() - lastProgress > STALL_TIMEOUT_MS) {
          clearInterval(watchdog);
          reject(new Error(`${moduleId}: no answer for ${STALL_TIMEOUT_MS} ms (${answered}/${calls.length} answered)`));
        }
      }, 1000);
      const startNext = (): void => {
        const index = started++;
        const call = calls[index];
        if (call === undefined) return;
        const id = `${this.origin}-${this.nextId++}`;
        const sentAt = process.hrtime.bigint();
        this.pending.set(id, (answer) => {
          latencies[index] = Number(process.hrtime.bigint() - sentAt) / 1e6;
          answers[index] = answer;
          lastProgress = Date.now();
          if (++answered === calls.length) {
            clearInterval(watchdog);
            resolve();
          } else startNext();
        });
        const envelope = { msg_type: 'Cmd', data: { id, args: call.args, origin: this.origin } };
        this.client.publish(`${this.prefix}modules/${moduleId}/impl/${call.impl ?? 'main'}/cmd/${call.cmd}`, JSON.stringify(envelope), { qos: this.qos });
      };
      if (calls.length === 0) {
        clearInterval(watchdog);
        resolve();
        return;
      }
      for (let i = 0; i < Math.min(window, calls.length); i++) startNext();
    });
    return { seconds: Number(process.hrtime.bigint() - begin) / 1e9, latenciesMs: latencies, answers };
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }
}
