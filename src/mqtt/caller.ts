// Outgoing EVerest command calls: our own response subscription, a call id, a timeout, and the
// answer matched by id. A call never rejects: it resolves with the result or the CmdError.
import { type CallResult, decodeResult, encodeCmd } from '../everest/envelope';
import { CmdError } from '../everest/errors';
import { cmdTopic, responseTopic } from '../everest/topics';
import type { Logger } from '../log';
import type { MqttConnection } from './connection';

export interface CallerOptions {
  prefix: string;
  /** Our module id: the `origin` of our calls and the last level of our response topics. */
  origin: string;
  timeoutMs: number;
}

interface Pending {
  resolve: (result: CallResult) => void;
  timer: NodeJS.Timeout;
  target: string;
}

export class CommandCaller {
  private readonly pending = new Map<string, Pending>();
  private readonly subscribed = new Set<string>();
  /** The QoS of calls to each command topic prepared at another than EVerest's 2. */
  private readonly callQos = new Map<string, 1>();

  constructor(
    private readonly connection: MqttConnection,
    private readonly options: CallerOptions,
    private readonly log: Logger,
  ) {}

  /** Calls waiting for an answer (for checks that nothing leaks). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Subscribes to the answers of `cmd` on that implementation; call before the first call. At QoS 1
   * the call and its answer each arrive a round trip sooner (see ProviderOptions.qos).
   */
  async prepare(moduleId: string, implId: string, cmd: string, qos: 1 | 2 = 2): Promise<void> {
    const command = cmdTopic(this.options.prefix, moduleId, implId, cmd);
    const topic = responseTopic(command, this.options.origin);
    if (qos === 1) this.callQos.set(command, qos);
    if (this.subscribed.has(topic)) return;
    this.subscribed.add(topic);
    await this.connection.subscribe(topic, qos, (payload) => this.answer(topic, payload));
  }

  call(moduleId: string, implId: string, cmd: string, args: Record<string, unknown>, timeoutMs = this.options.timeoutMs): Promise<CallResult> {
    // node:crypto at the first call, not at start: a module without EVSE managers never calls.
    const id = (require('node:crypto') as typeof import('node:crypto')).randomUUID();
    const target = `${moduleId}/${implId}/${cmd}`;
    return new Promise<CallResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: new CmdError('CmdTimeout', `no answer from ${target} within ${timeoutMs} ms`) });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer, target });
      const topic = cmdTopic(this.options.prefix, moduleId, implId, cmd);
      void this.connection.publish(topic, encodeCmd(id, args, this.options.origin), this.callQos.get(topic) ?? 2);
    });
  }

  /** Ends every pending call with Shutdown. */
  stop(): void {
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      this.pending.delete(id);
      call.resolve({ ok: false, error: new CmdError('Shutdown', `shutting down before ${call.target} answered`) });
    }
  }

  private answer(topic: string, payload: Buffer): void {
    const result = decodeResult(payload);
    if (!result) {
      this.log.warn({ topic }, 'malformed command answer ignored');
      return;
    }
    const call = this.pending.get(result.id);
    if (!call) {
      // Late (after its timeout) or someone else's: nothing waits for it.
      this.log.debug({ topic, call_id: result.id }, 'answer to no pending call ignored');
      return;
    }
    clearTimeout(call.timer);
    this.pending.delete(result.id);
    call.resolve(result.ok ? { ok: true, retval: result.retval } : { ok: false, error: result.error });
  }
}
