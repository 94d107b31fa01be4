// A test double of an EVerest EVSE manager: publishes session_event and the Inoperative error
// in EVerest's envelopes, answers reserve / cancel_reservation / get_evse and records the calls.
// It can be told to answer late, with an error, with a malformed payload, or not at all; or, as
// `everest`, to keep a reservation as EVerest's EvseManager does (EvseManager.cpp, everest-core
// 23c9dac16): reserve refused while disabled, faulted, in a session or reserved for another id;
// ReservationStart / ReservationEnd published as it does; the reservation id put into the
// session it starts, and cleared silently then. It can also restart (holding no reservation).
import type { Broker } from './broker';
import { type Station, startStation } from './harness';
import { uniquePrefix } from './module-process';
import { type Collector, type EverestError, Probe, type ServedCall, type ServeReply } from './probe';
import { sleep } from './teardown';

export const INOPERATIVE = 'evse_manager/Inoperative';
const IMPL_ID = 'evse';
const TOKEN_PROVIDER_IMPL = 'token_provider';

export type AnswerMode =
  | { kind: 'normal' }
  | { kind: 'refuse' }
  | { kind: 'late'; delayMs: number }
  | { kind: 'error'; error: EverestError }
  | { kind: 'malformed' }
  | { kind: 'invalid' }
  | { kind: 'silent' }
  /** As EVerest's EvseManager: reserve refused while disabled, faulted, in a session, or reserved for another id. */
  | { kind: 'everest' };

export interface RecordedCall extends ServedCall {
  cmd: 'reserve' | 'cancel_reservation';
}

/** What get_evse answers: EVerest's Evse (a connector without type is Unknown). */
export interface EvseDescription {
  id: number;
  connectors: Array<{ id: number; type?: string }>;
}

export interface EvseDoubleOptions {
  /** Served on get_evse; absent: get_evse is not served at all (an EVSE manager of the seed's era). */
  evse?: EvseDescription;
}

export interface TransactionStart {
  token: string;
  parentToken?: string;
  reservationId?: number;
}

export class EvseDouble {
  readonly calls: RecordedCall[] = [];
  /** get_evse calls, apart: they are not about reservations. */
  readonly getEvseCalls: ServedCall[] = [];
  /** authorize_response calls (Auth's grants, or the module's answer to a refused Plug&Charge car), apart too. */
  readonly authorizeResponses: ServedCall[] = [];
  private mode: AnswerMode = { kind: 'normal' };
  private getEvseMode: AnswerMode = { kind: 'normal' };
  /** What an EVerest EvseManager would be doing (for the `everest` answer mode). */
  private readonly state = { reservedFor: undefined as number | undefined, disabled: false, faulted: false, session: false };
  /** Down (restarting): calls reach no one, and are neither recorded nor answered. */
  private down = false;
  /** Told of every reservation call served, with its answer (undefined: none, or cancel_reservation's null). */
  onServed: ((served: { cmd: RecordedCall['cmd']; reservationId?: number; retval: unknown }) => void) | undefined;
  private readonly callArrived: Collector;

  private constructor(
    readonly probe: Probe,
    readonly moduleId: string,
    callArrived: Collector,
    private readonly options: EvseDoubleOptions,
  ) {
    this.callArrived = callArrived;
  }

  /** An EVSE manager `moduleId` (implementation `evse`) on the broker, under `prefix`. */
  static async start(broker: Broker, prefix: string, moduleId: string, options: EvseDoubleOptions = {}): Promise<EvseDouble> {
    const probe = await Probe.connect(broker.url, { prefix, origin: moduleId });
    // Every reservation call the module makes, in arrival order, whatever the double answers.
    const callArrived = await probe.collect(`${prefix}modules/${moduleId}/impl/${IMPL_ID}/cmd/+`);
    const double = new EvseDouble(probe, moduleId, callArrived, options);
    for (const cmd of ['reserve', 'cancel_reservation'] as const) {
      await probe.serve(moduleId, IMPL_ID, cmd, (args, call) => double.reply(cmd, args, call));
    }
    if (options.evse) await probe.serve(moduleId, IMPL_ID, 'get_evse', (_args, call) => double.describe(call));
    await probe.serve(moduleId, IMPL_ID, 'authorize_response', (_args, call) => {
      double.authorizeResponses.push(call);
      return { retval: null };
    });
    return double;
  }

  /** How the double answers get_evse from now on. */
  answerGetEvse(mode: AnswerMode): void {
    this.getEvseMode = mode;
  }

  /** Resolves once get_evse has been asked `count` times. */
  async getEvseAsked(count = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.getEvseCalls.length < count) {
      if (Date.now() > deadline) throw new Error(`${this.moduleId}: get_evse asked ${this.getEvseCalls.length} times, not ${count}`);
      await sleep(10);
    }
  }

  /** The reservation this double would show, as EVerest's EvseManager keeps it (-1: station-wide). */
  get reservedFor(): number | undefined {
    return this.state.reservedFor;
  }

  /** Whether EVerest's EvseManager would refuse reserve now whatever it shows: disabled, faulted, or not idle. */
  get busy(): boolean {
    return this.state.disabled || this.state.faulted || this.state.session;
  }

  /**
   * The EVSE manager process restarts: down for `downMs` (calls to it are lost), then up holding
   * no reservation. It says ModuleReady, as every EVerest module does at start, and publishes its
   * state as EvseManager does (Enabled or Disabled); a fault still there is raised again, a car
   * still plugged in starts a new session.
   */
  async restart(downMs = 0): Promise<void> {
    this.goDown();
    await sleep(downMs);
    await this.comeUp();
  }

  /** The process dies: its reservation goes with it, calls to it are lost. */
  goDown(): void {
    this.down = true;
    this.state.reservedFor = undefined;
  }

  /** The process is back: ModuleReady, then its state; returns the events it published after ModuleReady. */
  async comeUp(): Promise<Array<'Enabled' | 'Disabled' | 'RaiseInoperative' | 'SessionStarted'>> {
    this.down = false;
    await this.probe.publishRaw(`${this.probe.prefix}modules/${this.moduleId}/ready`, JSON.stringify({ msg_type: 'ModuleReady', data: true }), 2);
    const published: Array<'Enabled' | 'Disabled' | 'RaiseInoperative' | 'SessionStarted'> = [this.state.disabled ? 'Disabled' : 'Enabled'];
    await this.sessionEvent({ event: published[0] });
    if (this.state.faulted) {
      published.push('RaiseInoperative');
      await this.probe.raiseError(this.moduleId, IMPL_ID, INOPERATIVE);
    }
    if (this.state.session) {
      published.push('SessionStarted');
      await this.sessionEvent({ event: 'SessionStarted', session_started: { reason: 'EVConnected', meter_value: { energy_Wh_import: { total: 1234.5 } } } });
    }
    return published;
  }

  /** The connection entry naming this double in the module's EVerest config. */
  get connection(): { module_id: string; implementation_id: string } {
    return { module_id: this.moduleId, implementation_id: IMPL_ID };
  }

  /** Its token provider (EvseManager's impl token_provider: Autocharge and Plug&Charge), as a token_providers connection. */
  get tokenProvider(): { module_id: string; implementation_id: string } {
    return { module_id: this.moduleId, implementation_id: TOKEN_PROVIDER_IMPL };
  }

  /** Publishes a token as EvseManager's token_provider does (for Plug&Charge and Autocharge, naming its own EVSE). */
  async presentToken(token: object): Promise<void> {
    await this.probe.publishVar(this.moduleId, TOKEN_PROVIDER_IMPL, 'provided_token', token);
  }

  /** How the double answers calls from now on. */
  answer(mode: AnswerMode): void {
    this.mode = mode;
  }

  /** Resolves with the `count`-th call (1-based, counting every call since start), waiting up to timeoutMs. */
  async nthCall(count: number, timeoutMs = 10_000): Promise<RecordedCall> {
    const deadline = Date.now() + timeoutMs;
    // The served handlers record reservation calls synchronously when they arrive, in order.
    for (;;) {
      await this.callArrived.waitForCount(count, Math.max(0, deadline - Date.now()));
      await sleep(0);
      const call = this.calls[count - 1];
      if (call) return call;
      if (Date.now() > deadline) throw new Error(`${this.moduleId}: reservation call ${count} did not arrive (calls: ${this.callLog().join(', ')})`);
      await sleep(10);
    }
  }

  /** The calls as `cmd(args)` strings, for readable assertions. */
  callLog(): string[] {
    return this.calls.map((c) => `${c.cmd}(${JSON.stringify(c.args)})`);
  }

  async sessionEvent(event: Record<string, unknown>): Promise<void> {
    await this.probe.publishVar(this.moduleId, IMPL_ID, 'session_event', event);
  }

  async enabled(connectorId?: number): Promise<void> {
    this.state.disabled = false;
    await this.sessionEvent({ event: 'Enabled', ...(connectorId !== undefined ? { connector_id: connectorId } : {}) });
  }

  async disabled(connectorId?: number): Promise<void> {
    this.state.disabled = true;
    await this.sessionEvent({ event: 'Disabled', ...(connectorId !== undefined ? { connector_id: connectorId } : {}) });
    // EVerest's EvseManager drops its reservation once it published Disabled, and says so.
    if (this.mode.kind === 'everest' && this.state.reservedFor !== undefined) await this.reservationEnd();
  }

  /**
   * A session began: by default a car plugged in (EVConnected); with reason Authorized a driver
   * authorised first, naming their token and the reservation it uses, as EVerest's EvseManager does.
   */
  async sessionStarted(started?: { reason: 'EVConnected' | 'Authorized'; token?: string; parentToken?: string; reservationId?: number }): Promise<number | undefined> {
    this.state.session = true;
    if (!started) {
      await this.sessionEvent({ event: 'SessionStarted' });
      return undefined;
    }
    // EVerest's EvseManager names the reservation it shows (-1 included) in any session it starts,
    // and clears it silently when the session started with an authorisation.
    const reservationId = started.reservationId ?? (this.mode.kind === 'everest' ? this.state.reservedFor : undefined);
    if (started.reason === 'Authorized') this.state.reservedFor = undefined;
    await this.sessionEvent({
      event: 'SessionStarted',
      session_started: {
        reason: started.reason,
        meter_value: { energy_Wh_import: { total: 1234.5 } },
        ...(started.token !== undefined
          ? { id_tag: { id_token: { value: started.token, type: 'ISO14443' }, authorization_status: 'Accepted', ...(started.parentToken !== undefined ? { parent_id_token: { value: started.parentToken, type: 'Central' } } : {}) } }
          : {}),
        ...(reservationId !== undefined ? { reservation_id: reservationId } : {}),
      },
    });
    return reservationId;
  }

  async sessionFinished(): Promise<void> {
    this.state.session = false;
    await this.sessionEvent({ event: 'SessionFinished' });
  }

  /** The EVSE manager ends the reservation it shows by itself (EVerest: disabled, error shutdown, authorisation withdrawn). */
  async reservationEnd(): Promise<void> {
    this.state.reservedFor = undefined;
    await this.sessionEvent({ event: 'ReservationEnd' });
  }

  /** Returns the reservation id it named in the transaction. */
  async transactionStarted({ token, parentToken, reservationId: named }: TransactionStart): Promise<number | undefined> {
    // EVerest's EvseManager puts the reservation it shows (-1 included) into the transaction, and clears it silently.
    const reservationId = named ?? (this.mode.kind === 'everest' ? this.state.reservedFor : undefined);
    this.state.session = true;
    this.state.reservedFor = undefined;
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
    return reservationId;
  }

  async raiseInoperative(): Promise<void> {
    this.state.faulted = true;
    await this.probe.raiseError(this.moduleId, IMPL_ID, INOPERATIVE);
    // EVerest's EvseManager cancels its reservation on an error shutdown, and says so.
    if (this.mode.kind === 'everest' && this.state.reservedFor !== undefined) await this.reservationEnd();
  }

  async clearInoperative(): Promise<void> {
    this.state.faulted = false;
    await this.probe.clearError(this.moduleId, IMPL_ID, INOPERATIVE);
  }

  private describe(call: ServedCall): Promise<ServeReply> {
    if (this.down) return Promise.resolve({ silent: true });
    this.getEvseCalls.push(call);
    return this.answerWith(this.getEvseMode, this.options.evse);
  }

  private async reply(cmd: RecordedCall['cmd'], args: Record<string, unknown>, call: ServedCall): Promise<ServeReply> {
    if (this.down) return { silent: true };
    this.calls.push({ ...call, cmd });
    const reply = this.mode.kind === 'everest' ? await this.asEverest(cmd, args) : await this.answerWith(this.mode, cmd === 'reserve' ? true : null);
    const reservationId = typeof args.reservation_id === 'number' ? args.reservation_id : undefined;
    this.onServed?.({ cmd, ...(reservationId !== undefined ? { reservationId } : {}), retval: 'retval' in reply ? reply.retval : undefined });
    return reply;
  }

  /** EVerest's EvseManager::reserve and cancel_reservation, with their session events. */
  private async asEverest(cmd: RecordedCall['cmd'], args: Record<string, unknown>): Promise<ServeReply> {
    if (cmd === 'cancel_reservation') {
      if (this.state.reservedFor !== undefined) await this.reservationEnd();
      return { retval: null };
    }
    const id = args.reservation_id as number;
    const { reservedFor } = this.state;
    if (this.busy) return { retval: false };
    if (reservedFor !== undefined && reservedFor !== -1 && reservedFor !== id) return { retval: false };
    // Said again for the same id only when that is -1 (EvseManager::reserve signals unless it overwrites a real id).
    const announce = reservedFor !== id || id === -1;
    this.state.reservedFor = id;
    if (announce) await this.sessionEvent({ event: 'ReservationStart' });
    return { retval: true };
  }

  private async answerWith(mode: AnswerMode, retval: unknown): Promise<ServeReply> {
    switch (mode.kind) {
      case 'normal':
      case 'everest':
        return { retval };
      case 'refuse':
        return { retval: retval === true ? false : null };
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
