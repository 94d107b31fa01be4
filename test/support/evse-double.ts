// A test double of an EVerest EVSE manager: publishes session_event and the Inoperative error
// in EVerest's envelopes, answers reserve / cancel_reservation and records the calls. It can be
// told to answer late, with an error, with a malformed payload, or not at all.
import type { Broker } from './broker';
import { type Station, startStation } from './harness';
import { uniquePrefix } from './module-process';
import { type Collector, type EverestError, Probe, type ServedCall, type ServeReply } from './probe';
import { sleep } from './teardown';

export const INOPERATIVE = 'evse_manager/Inoperative';
const IMPL_ID = 'evse';

export type AnswerMode =
  | { kind: 'normal' }
  | { kind: 'refuse' }
  | { kind: 'late'; delayMs: number }
  | { kind: 'error'; error: EverestError }
  | { kind: 'malformed' }
  | { kind: 'invalid' }
  | { kind: 'silent' };

export interface RecordedCall extends ServedCall {
  cmd: 'reserve' | 'cancel_reservation';
}

export interface TransactionStart {
  token: string;
  parentToken?: string;
  reservationId?: number;
}

export class EvseDouble {
  readonly calls: RecordedCall[] = [];
  private mode: AnswerMode = { kind: 'normal' };
  private readonly callArrived: Collector;

  private constructor(
    readonly probe: Probe,
    readonly moduleId: string,
    callArrived: Collector,
  ) {
    this.callArrived = callArrived;
  }

  /** An EVSE manager `moduleId` (implementation `evse`) on the broker, under `prefix`. */
  static async start(broker: Broker, prefix: string, moduleId: string): Promise<EvseDouble> {
    const probe = await Probe.connect(broker.url, { prefix, origin: moduleId });
    // Every call the module makes, in arrival order, whatever the double answers.
    const callArrived = await probe.collect(`${prefix}modules/${moduleId}/impl/${IMPL_ID}/cmd/+`);
    const double = new EvseDouble(probe, moduleId, callArrived);
    for (const cmd of ['reserve', 'cancel_reservation'] as const) {
      await probe.serve(moduleId, IMPL_ID, cmd, (_args, call) => double.reply(cmd, call));
    }
    return double;
  }

  /** The connection entry naming this double in the module's EVerest config. */
  get connection(): { module_id: string; implementation_id: string } {
    return { module_id: this.moduleId, implementation_id: IMPL_ID };
  }

  /** How the double answers calls from now on. */
  answer(mode: AnswerMode): void {
    this.mode = mode;
  }

  /** Resolves with the `count`-th call (1-based, counting every call since start), waiting up to timeoutMs. */
  async nthCall(count: number, timeoutMs = 10_000): Promise<RecordedCall> {
    await this.callArrived.waitForCount(count, timeoutMs);
    // The served handler records calls synchronously when they arrive, in the same order.
    await sleep(0);
    const call = this.calls[count - 1];
    if (!call) throw new Error(`${this.moduleId}: call ${count} arrived but was not recorded`);
    return call;
  }

  /** The calls as `cmd(args)` strings, for readable assertions. */
  callLog(): string[] {
    return this.calls.map((c) => `${c.cmd}(${JSON.stringify(c.args)})`);
  }

  async sessionEvent(event: Record<string, unknown>): Promise<void> {
    await this.probe.publishVar(this.moduleId, IMPL_ID, 'session_event', event);
  }

  async enabled(): Promise<void> {
    await this.sessionEvent({ event: 'Enabled' });
  }

  async disabled(): Promise<void> {
    await this.sessionEvent({ event: 'Disabled' });
  }

  /** A car plugged in: the connector is occupied, no transaction yet. */
  async sessionStarted(): Promise<void> {
    await this.sessionEvent({ event: 'SessionStarted' });
  }

  async sessionFinished(): Promise<void> {
    await this.sessionEvent({ event: 'SessionFinished' });
  }

  async transactionStarted({ token, parentToken, reservationId }: TransactionStart): Promise<void> {
    await this.sessionEvent({
      event: 'TransactionStarted',
      transaction_started: {
        // Fields the module ignores, as a real EVSE manager sends them.
        meter_value: { energy_Wh_import: { total: 1234.5 } },
        timestamp: new Date().toISOString(),
        id_tag: {
          id_token: { value: token, type: 'ISO14443' },
          authorization_status: 'Accepted',
          ...(parentToken !== undefined ? { parent_id_token: { value: parentToken, type: 'Central' } } : {}),
        },
        ...(reservationId !== undefined ? { reservation_id: reservationId } : {}),
      },
    });
  }

  async raiseInoperative(): Promise<void> {
    await this.probe.raiseError(this.moduleId, IMPL_ID, INOPERATIVE);
  }

  async clearInoperative(): Promise<void> {
    await this.probe.clearError(this.moduleId, IMPL_ID, INOPERATIVE);
  }

  private async reply(cmd: RecordedCall['cmd'], call: ServedCall): Promise<ServeReply> {
    this.calls.push({ ...call, cmd });
    const retval = cmd === 'reserve' ? true : null;
    const mode = this.mode;
    switch (mode.kind) {
      case 'normal':
        return { retval };
      case 'refuse':
        return { retval: cmd === 'reserve' ? false : null };
      case 'late':
        await sleep(mode.delayMs);
        return { retval };
      case 'error':
        return { error: mode.error };
      case 'malformed':
        return { raw: '{"msg_type":"CmdResult","data":' };
      case 'invalid':
        return { retval: 'yes' };
      case 'silent':
        return { silent: true };
    }
  }
}

export interface Charger {
  station: Station;
  /** evse[0] is connector 1's EVSE manager, evse[1] connector 2's. */
  evse: [EvseDouble, EvseDouble];
}

/** A two-connector charger: the module started from an EVerest config naming two EVSE-manager doubles. */
export async function startCharger(broker: Broker, configModule: Record<string, unknown> = {}): Promise<Charger> {
  const prefix = uniquePrefix();
  const evse: [EvseDouble, EvseDouble] = [await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2')];
  const station = await startStation(broker, {
    prefix,
    configModule: { reserve_connector_zero_supported: true, ...configModule },
    connections: { evse_manager: evse.map((e) => e.connection) },
  });
  return { station, evse };
}
