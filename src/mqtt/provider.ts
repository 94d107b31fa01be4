// The command server: everest-framework's provide_cmd sequence, in one function (receive).
import { decodeCmd, encodeError, encodeResult } from '../everest/envelope';
import { CmdError } from '../everest/errors';
import { cmdTopic, responseTopic } from '../everest/topics';
import type { Logger } from '../log';
import type { InterfaceValidator } from '../schema/validate';
import type { MqttConnection } from './connection';

export type CommandHandler = (args: Record<string, unknown>) => unknown;

export interface ProviderOptions {
  prefix: string;
  moduleId: string;
  implId: string;
  /** Larger payloads are dropped before they are parsed (no EVerest call needs more). */
  maxPayloadBytes: number;
  /**
   * The QoS calls are taken and answered at (EVerest's: 2). 1 hands a call over a round trip sooner:
   * MQTT.js gives a QoS 2 message only once PUBREL has come, and EVerest's framework the answer too.
   */
  qos?: 1 | 2;
}

export class CommandProvider {
  private stopping = false;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly topics: string[];

  constructor(
    private readonly connection: MqttConnection,
    private readonly validator: InterfaceValidator,
    private readonly handlers: Readonly<Record<string, CommandHandler>>,
    private readonly options: ProviderOptions,
    private readonly log: Logger,
  ) {
    // As EVerest's check_code(): a command the interface declares but nobody handles stops start-up.
    const missing = validator.cmdNames.filter((cmd) => typeof handlers[cmd] !== 'function');
    if (missing.length > 0) throw new Error(`no handler for command(s) ${missing.join(', ')} of the interface`);
    this.topics = validator.cmdNames.map((cmd) => cmdTopic(options.prefix, options.moduleId, options.implId, cmd));
  }

  get commandsInFlight(): number {
    return this.inFlight;
  }

  async start(): Promise<void> {
    await Promise.all(
      this.validator.cmdNames.map((cmd, i) =>
        this.connection.subscribe(this.topics[i] as string, this.options.qos ?? 2, (payload, topic) => void this.receive(cmd, topic, payload)),
      ),
    );
  }

  /** Stops taking commands (late ones answer Shutdown) and waits, up to `timeoutMs`, for those in hand. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    await Promise.allSettled(this.topics.map((topic) => this.connection.unsubscribe(topic)));
    if (this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async receive(cmd: string, topic: string, payload: Buffer): Promise<void> {
    if (payload.length > this.options.maxPayloadBytes) {
      this.log.warn({ cmd, bytes: payload.length }, `command dropped: payload larger than ${this.options.maxPayloadBytes} bytes`);
      return;
    }
    const decoded = decodeCmd(payload);
    if (decoded.kind === 'drop') {
      this.log.warn({ cmd, reason: decoded.reason }, 'command dropped: no usable id or origin');
      return;
    }
    const { id, origin } = decoded.kind === 'call' ? decoded.call : decoded;
    const reply = responseTopic(topic, origin);
    this.inFlight++;
    try {
      const retval = decoded.kind === 'reject' ? decoded.error : await this.run(cmd, decoded.call.args);
      const answer = retval instanceof CmdError ? retval : this.encodeFitting(id, reply, retval);
      if (answer instanceof CmdError) {
        this.log.warn({ cmd, call_id: id, origin, error_type: answer.type, reason: answer.message }, 'command answered with an error');
        await this.connection.publish(reply, encodeError(id, this.options.moduleId, answer), this.options.qos ?? 2);
      } else {
        await this.connection.publish(reply, answer, this.options.qos ?? 2);
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** The encoded result, or a HandlerException if the broker's packet limit would refuse it. */
  private encodeFitting(id: string, reply: string, retval: unknown): string | CmdError {
    const result = encodeResult(id, this.options.moduleId, retval);
    if (this.connection.fits(reply, result)) return result;
    return new CmdError('HandlerException', `result of ${Buffer.byteLength(result)} bytes is larger than max_message_bytes allows`);
  }

  /** The handler's validated result, or the CmdError to answer instead. */
  private async run(cmd: string, args: Record<string, unknown>): Promise<unknown> {
    if (this.stopping) return new CmdError('Shutdown', 'module is shutting down');
    const argsProblem = this.validator.checkArguments(cmd, args);
    if (argsProblem) return new CmdError('SchemaValidationError', argsProblem);
    let retval: unknown;
    try {
      retval = (await (this.handlers[cmd] as CommandHandler)(args)) ?? null;
    } catch (err) {
      if (err instanceof CmdError) return err;
      this.log.error({ cmd, err }, 'command handler threw');
      return new CmdError('HandlerException', (err as Error)?.message ?? String(err));
    }
    const resultProblem = this.validator.checkResult(cmd, retval);
    return resultProblem ? new CmdError('SchemaValidationError', resultProblem) : retval;
  }
}
