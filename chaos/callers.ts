// Callers of the module (an OCPP module and others), each an EVerest peer with its own origin.
// A call that gets no answer in time is sent again as a NEW call (a new call id, the same
// arguments), as EVerest callers do: the module does not deduplicate call ids, so the retry is
// a second command and the checker treats the unanswered one as possibly applied. Answers that
// come late, after their call was given up, are still recorded: they tell the checker which it was.
import { randomUUID } from 'node:crypto';
import { isObject } from '../src/everest/envelope';
import { Probe } from '../test/support/probe';
import type { LogEvent, SentReserve } from './events';
import type { Caller, Command } from './schedule';

/** How long one attempt waits for its answer before it is sent again. */
export const ANSWER_TIMEOUT_MS = 3000;
/** Attempts per command: enough to outlast a module restart or a broker outage. */
const MAX_ATTEMPTS = 8;

type Recorder = (event: LogEvent) => void;


export function argsOf(command: Command, expiryTime: string): Record<string, unknown> {
  switch (command.cmd) {
    case 'reserve_now': {
      const reservation = { reservation_id: command.id, id_token: command.token, ...(command.parent !== undefined ? { parent_id_token: command.parent } : {}), expiry_time: expiryTime };
      if ('connector' in command) return { connector_id: command.connector, reservation };
      const { evse, type } = command.request;
      return { request: { ...reservation, ...(evse !== undefined ? { evse_id: evse } : {}), ...(type !== undefined ? { connector_type: type } : {}) } };
    }
    case 'cancel_reservation':
      return { reservation_id: command.id };
    case 'exists_reservation':
      if ('connector' in command) return { request: { connector_id: command.connector, id_token: command.token, ...(command.parent !== undefined ? { parent_id_token: command.parent } : {}) } };
      return { request: { ...(command.request.evse !== undefined ? { evse_id: command.request.evse } : {}), id_token: command.token, ...(command.parent !== undefined ? { group_id_token: command.parent } : {}) } };
    case 'check_start':
      return { request: { evse_id: command.evse, id_token: command.token, ...(command.parent !== undefined ? { parent_id_token: command.parent } : {}) } };
    case 'list_reservations':
      return {};
  }
}

/** The implementation serving `command`: today's exists_reservation is on impl main, ours (with a connector) on impl status. */
function implOf(command: Command): string | undefined {
  return command.cmd === 'exists_reservation' && 'request' in command ? 'main' : undefined;
}

export class CallerPeer {
  private readonly waiting = new Map<string, () => void>();

  private constructor(
    readonly probe: Probe,
    readonly origin: Caller,
    private readonly moduleId: string,
    private readonly record: Recorder,
    private readonly stepNow: () => number,
  ) {}

  static async start(url: string, prefix: string, moduleId: string, origin: Caller, record: Recorder, stepNow: () => number): Promise<CallerPeer> {
    const probe = await Probe.connect(url, { prefix, origin });
    const peer = new CallerPeer(probe, origin, moduleId, record, stepNow);
    await probe.collect(`${prefix}modules/${moduleId}/impl/+/cmd/+/response/${origin}`, 2, (message) => peer.onAnswer(message.payload));
    return peer;
  }

  get connected(): boolean {
    return this.probe.client.connected;
  }

  /** Sends `command` until it is answered (or attempts run out); every attempt and answer is recorded. */
  async run(command: Command): Promise<void> {
    // The expiry is fixed once, from the first attempt: a retry repeats the same arguments.
    const expiryMs = command.cmd === 'reserve_now' ? Date.now() + command.expiresInMs : 0;
    const expiryTime = new Date(expiryMs).toISOString();
    const reserve: SentReserve | undefined =
      command.cmd === 'reserve_now'
        ? {
            ...('connector' in command ? { connector: command.connector } : { request: command.request }),
            id: command.id,
            token: command.token,
            ...(command.parent !== undefined ? { parent: command.parent } : {}),
            expiryTime,
            expiryMs,
          }
        : undefined;
    // The implementation the module's manifest serves it under (main or status).
    const topic = this.probe.cmdTopic(this.moduleId, command.cmd, implOf(command));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const id = randomUUID();
      const answered = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting.delete(id);
          resolve(false);
        }, ANSWER_TIMEOUT_MS);
        this.waiting.set(id, () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
      this.record({ k: 'sent', t: Date.now(), step: this.stepNow(), attempt: id, caller: this.origin, command, ...(reserve ? { reserve } : {}) });
      const envelope = JSON.stringify({ msg_type: 'Cmd', data: { id, args: argsOf(command, expiryTime), origin: this.origin } });
      // Not awaited: while the broker is down MQTT.js holds the message (and sends it on reconnect).
      this.probe.publishRaw(topic, envelope, 2).catch(() => undefined);
      if (await answered) return;
      this.record({ k: 'abandoned', t: Date.now(), step: this.stepNow(), attempt: id });
    }
  }

  async close(): Promise<void> {
    await this.probe.close();
  }

  private onAnswer(payload: unknown): void {
    if (!isObject(payload) || !isObject(payload.data) || !isObject(payload.data.data)) return;
    const result = payload.data.data;
    if (typeof result.id !== 'string') return;
    const error = isObject(result.error) ? String(result.error.__everest__error_type) : undefined;
    this.record({ k: 'answer', t: Date.now(), step: this.stepNow(), attempt: result.id, ...(error !== undefined ? { error } : { retval: result.retval }) });
    this.waiting.get(result.id)?.();
    this.waiting.delete(result.id);
  }
}
