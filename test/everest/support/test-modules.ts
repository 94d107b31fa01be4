// The test's side of the everestjs test modules (test/everest/modules): it tells them what to do on
// test-control/<module id>/do and reads what they report on test-control/<module id>/did (see
// test-channel.js there). One probe per station watches every module's reports from before the
// manager starts, so nothing a module reports is missed.
import { isDeepStrictEqual } from 'node:util';
import type { Collector, Probe, ReceivedMessage } from '../../support/probe';
import type { Connection } from './manager';

const CONTROL_ROOT = 'test-control';
const ACTION_TIMEOUT_MS = 30_000;

/** A command a test module served: {kind: 'call'}. */
export interface ServedCall {
  cmd: string;
  args: Record<string, unknown>;
  result: unknown;
}

/** A var a test module received: {kind: 'var'}. */
export interface ReceivedVar {
  requirement: string;
  index: number;
  var: string;
  value: unknown;
}

interface Report {
  kind: string;
  seq?: number;
  result?: unknown;
  error?: string;
  [key: string]: unknown;
}

function reportOf(message: ReceivedMessage): Report {
  return message.payload as Report;
}

/** Reports of every test module, from one subscription taken before the manager starts. */
export class ControlLine {
  private seq = 0;

  private constructor(
    readonly probe: Probe,
    private readonly reports: Collector,
  ) {}

  static async open(probe: Probe): Promise<ControlLine> {
    return new ControlLine(probe, await probe.collect(`${CONTROL_ROOT}/+/did`));
  }

  /** The reports of `moduleId` so far. */
  reportsOf(moduleId: string): Report[] {
    const topic = `${CONTROL_ROOT}/${moduleId}/did`;
    return this.reports.entries.filter((e) => e.topic === topic).map(reportOf);
  }

  /** The first report of `moduleId` (so far or later) satisfying `predicate`. */
  async waitForReport(moduleId: string, predicate: (report: Report) => boolean, timeoutMs = ACTION_TIMEOUT_MS): Promise<Report> {
    const topic = `${CONTROL_ROOT}/${moduleId}/did`;
    const message = await this.reports.waitFor((payload, m) => m.topic === topic && predicate(payload as Report), timeoutMs);
    return reportOf(message);
  }

  /** Has `moduleId` carry out `action` and resolves with its result; rejects with its error. */
  async act(moduleId: string, action: string, fields: Record<string, unknown> = {}): Promise<unknown> {
    const seq = ++this.seq;
    await this.probe.publishRaw(`${CONTROL_ROOT}/${moduleId}/do`, JSON.stringify({ ...fields, seq, action }), 2);
    const done = await this.waitForReport(moduleId, (r) => r.kind === 'done' && r.seq === seq);
    if (done.error !== undefined) throw new Error(`${moduleId}: ${action} failed: ${done.error}`);
    return done.result;
  }
}

/** Any test module: its id, its connection entry, and its readiness (GlobalReady reached it). */
export class TestModule {
  constructor(
    readonly line: ControlLine,
    readonly moduleId: string,
    readonly implId: string,
  ) {}

  get connection(): Connection {
    return { module_id: this.moduleId, implementation_id: this.implId };
  }

  /** What the module reported once its GlobalReady came (details of its own). */
  async ready(timeoutMs?: number): Promise<Record<string, unknown>> {
    return this.line.waitForReport(this.moduleId, (r) => r.kind === 'ready', timeoutMs);
  }

  /** The commands it served so far, in order. */
  calls(cmd?: string): ServedCall[] {
    return this.line
      .reportsOf(this.moduleId)
      .filter((r) => r.kind === 'call' && (cmd === undefined || r.cmd === cmd))
      .map((r) => ({ cmd: r.cmd as string, args: r.args as Record<string, unknown>, result: r.result }));
  }

  /** The first served command (so far or later) satisfying `predicate`. */
  async waitForCall(predicate: (call: ServedCall) => boolean, timeoutMs?: number): Promise<ServedCall> {
    const report = await this.line.waitForReport(
      this.moduleId,
      (r) => r.kind === 'call' && predicate({ cmd: r.cmd as string, args: r.args as Record<string, unknown>, result: r.result }),
      timeoutMs,
    );
    return { cmd: report.cmd as string, args: report.args as Record<string, unknown>, result: report.result };
  }
}

export interface CallerReady {
  /** Per requirement, the commands the tree's interface declares (what the framework lets it call). */
  commands: Record<string, string[]>;
  /** Per requirement, the vars it subscribed to (every var the tree's interface declares). */
  vars: Record<string, string[]>;
}

/** TestReservationCaller: calls the reservation module through the framework and hears its vars. */
export class ReservationCaller extends TestModule {
  constructor(line: ControlLine, moduleId = 'caller') {
    super(line, moduleId, 'main');
  }

  override async ready(timeoutMs?: number): Promise<CallerReady & Record<string, unknown>> {
    return (await super.ready(timeoutMs)) as unknown as CallerReady & Record<string, unknown>;
  }

  /** `cmd` of its `requirement` connection, called with everestjs: resolves with its result, rejects with the framework's error. */
  call<T = unknown>(requirement: 'reservation' | 'reservation_status', cmd: string, args: Record<string, unknown>): Promise<T> {
    return this.line.act(this.moduleId, 'call', { requirement, cmd, args }) as Promise<T>;
  }

  /** Resolves once it heard `varName` with exactly `value` (so far or later). */
  async heard(varName: string, value: unknown, timeoutMs?: number): Promise<void> {
    await this.waitForValue(varName, (v) => isDeepStrictEqual(v, value), timeoutMs);
  }

  /** The first value of `varName` (so far or later) satisfying `predicate`. */
  async waitForValue(varName: string, predicate: (value: unknown) => boolean = () => true, timeoutMs?: number): Promise<unknown> {
    const report = await this.line.waitForReport(this.moduleId, (r) => r.kind === 'var' && r.var === varName && predicate(r.value), timeoutMs);
    return report.value;
  }
}

export interface EvseSpec {
  /** What get_evse reports as the EVSE's id. */
  id: number;
  /** Its connectors' types, connector 1 first. */
  connectorTypes: string[];
}

/** TestEvseManager: an EVSE manager that keeps EvseManager's reservation state and records every call. */
export class TestEvseManager extends TestModule {
  constructor(
    line: ControlLine,
    moduleId: string,
    readonly spec: EvseSpec,
  ) {
    super(line, moduleId, 'evse');
  }

  get configModule(): Record<string, unknown> {
    return { evse_id: this.spec.id, connector_types: this.spec.connectorTypes.join(',') };
  }

  /** Publishes a session event as EvseManager does (uuid, timestamp, meter values and reservation id filled in). */
  async sessionEvent(event: string, fields: Record<string, unknown> = {}): Promise<void> {
    await this.line.act(this.moduleId, 'session_event', { ...fields, event });
  }

  /** A car plugs in: SessionStarted, reason EVConnected. */
  plugIn(): Promise<void> {
    return this.sessionEvent('SessionStarted', { session_started: { reason: 'EVConnected' } });
  }

  /** Charging starts for `token`: TransactionStarted. */
  transactionStarted(token: string): Promise<void> {
    return this.sessionEvent('TransactionStarted', { transaction_started: { id_tag: rfid(token) } });
  }

  async raiseError(type: string): Promise<void> {
    await this.line.act(this.moduleId, 'raise_error', { type });
  }

  async clearError(type: string): Promise<void> {
    await this.line.act(this.moduleId, 'clear_error', { type });
  }
}

/** A ProvidedIdToken as an RFID reader provides it. */
export function rfid(value: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id_token: { value, type: 'ISO14443' }, authorization_type: 'RFID', ...extra };
}

/** TestTokenProvider: a reader that presents the tokens the test gives it. */
export class TestTokenProvider extends TestModule {
  constructor(line: ControlLine, moduleId = 'reader') {
    super(line, moduleId, 'main');
  }

  async present(token: Record<string, unknown>): Promise<void> {
    await this.line.act(this.moduleId, 'present', { token });
  }
}

/** TestTokenValidator: answers validate_token as the test sets, per token value, and records every call. */
export class TestTokenValidator extends TestModule {
  constructor(line: ControlLine, moduleId = 'validator') {
    super(line, moduleId, 'main');
  }

  /** From now on validate_token answers `results[value]` for a token of that value, Invalid for others. */
  async answer(results: Record<string, Record<string, unknown>>): Promise<void> {
    await this.line.act(this.moduleId, 'answer', { results });
  }
}
