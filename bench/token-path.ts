// npm run bench's token path, on the hub (bench/hub.ts) with its station-wide reservations held: a
// card tap must not wait on the reservation module. Times a reader's token from its publish to
// Auth's side receiving what the module passed on, beside the same publish straight to Auth's side
// (the broker alone); and validate_token through the module against the validator alone.
import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeCmd, encodeResult, encodeVar } from '../src/everest/envelope';
import { cmdTopic, responseTopic, TOKEN_PROVIDER_IMPL_ID, TOKEN_VALIDATOR_IMPL_ID, varTopic } from '../src/everest/topics';
import { type Answer, type BenchCaller, type Call, percentile } from './caller';
import { fmt, type Target, table } from './format';
import { sleep } from '../test/support/teardown';

const READER = { module_id: 'bench_reader', implementation_id: 'main' };
const VALIDATOR = { module_id: 'bench_validator', implementation_id: 'main' };
const ACCEPTED = { authorization_status: 'Accepted', tariff_messages: [] };
const TAPS = 500;
const WARM_UP = 50;
const WAIT_MS = 15_000;
/** After an EVSE event, before the next tap. */
const SETTLE_MS = 30;
export const GATE_TARGET_P99_MS = 2;
export const VALIDATOR_TARGET_ADDED_P99_MS = 1;

export interface TokenPathRow {
  what: string;
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface TokenPathResult {
  rows: TokenPathRow[];
  /** Module CPU per token through the gate (the station steady), and per validate_token, µs. */
  cpuUsPerToken: number;
  cpuUsPerValidation: number;
  /** EVSEs the walk-in's token kept, of those the hub has: the gate did narrow it. */
  keptOf: { kept: number; of: number };
  /** The module's answers to validate_token that were not the validator's Accepted. */
  errors: number;
}

/** A reader (auth_token_provider), a validator (auth_token_validator) and Auth's side, as three MQTT clients. */
export class TokenPeers {
  private readonly waiting = new Map<number, () => void>();

  private constructor(
    private readonly reader: MqttClient,
    private readonly auth: MqttClient,
    private readonly validator: MqttClient,
    private readonly prefix: string,
  ) {}

  /** The module's connections for them. */
  static readonly connections = { token_providers: [READER], token_validators: [VALIDATOR] };

  static async start(url: string, prefix: string, moduleId: string): Promise<TokenPeers> {
    const connect = async (name: string): Promise<MqttClient> => {
      const client = await mqtt.connectAsync(url, { clientId: `bench-${name}-${process.pid}`, protocolVersion: 4, clean: true });
      (client.stream as net.Socket).setNoDelay?.(true);
      return client;
    };
    const peers = new TokenPeers(await connect('reader'), await connect('auth'), await connect('validator'), prefix);
    peers.auth.on('message', (_topic, payload) => {
      const token = (JSON.parse(payload.toString('utf8')) as { data: { data: { request_id: number } } }).data.data;
      peers.waiting.get(token.request_id)?.();
    });
    await peers.auth.subscribeAsync([varTopic(prefix, moduleId, TOKEN_PROVIDER_IMPL_ID, 'provided_token'), peers.directTopic], { qos: 2 });
    const validate = cmdTopic(prefix, VALIDATOR.module_id, VALIDATOR.implementation_id, 'validate_token');
    peers.validator.on('message', (topic, payload) => {
      const decoded = decodeCmd(payload);
      if (decoded.kind === 'call') peers.validator.publish(responseTopic(topic, decoded.call.origin), encodeResult(decoded.call.id, VALIDATOR.module_id, ACCEPTED), { qos: 2 });
    });
    await peers.validator.subscribeAsync(validate, { qos: 2 });
    return peers;
  }

  /** Where the baseline's token goes: straight to Auth's side, no module between. */
  private get directTopic(): string {
    return `${this.prefix}bench/direct/provided_token`;
  }

  /** Publishes a token as a reader does (QoS 2), through the module or straight to Auth; resolves with the ms until Auth's side has it. */
  async tap(requestId: number, throughModule: boolean): Promise<number> {
    const token = { id_token: { value: 'WALK-IN-CARD', type: 'ISO14443' }, authorization_type: 'RFID', request_id: requestId };
    const topic = throughModule ? varTopic(this.prefix, READER.module_id, READER.implementation_id, 'provided_token') : this.directTopic;
    const begin = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`token ${requestId} did not reach Auth's side within ${WAIT_MS} ms`)), WAIT_MS);
      this.waiting.set(requestId, () => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
        resolve();
      });
      this.reader.publish(topic, encodeVar(token), { qos: 2 });
    });
    return Number(process.hrtime.bigint() - begin) / 1e6;
  }

  /** The connectors of the next token the module passes on for `requestId` (to check it narrows). */
  async passedOn(requestId: number): Promise<number[] | undefined> {
    return new Promise<number[] | undefined>((resolve) => {
      const listener = (_topic: string, payload: Buffer): void => {
        const token = (JSON.parse(payload.toString('utf8')) as { data: { data: { request_id: number; connectors?: number[] } } }).data.data;
        if (token.request_id !== requestId) return;
        this.auth.off('message', listener);
        resolve(token.connectors);
      };
      this.auth.on('message', listener);
      this.reader.publish(varTopic(this.prefix, READER.module_id, READER.implementation_id, 'provided_token'), encodeVar({ id_token: { value: 'WALK-IN-CARD', type: 'ISO14443' }, authorization_type: 'RFID', request_id: requestId }), { qos: 2 });
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.reader.endAsync(), this.auth.endAsync(), this.validator.endAsync()]);
  }
}

export interface TokenPathDeps {
  peers: TokenPeers;
  caller: BenchCaller;
  moduleId: string;
  /** EVSEs the hub's EVSE events may come and go at, and a free one a walk-in may use. */
  positions: readonly number[];
  evseCount: number;
  /** A car plugged in (true) or gone (false) at an EVSE: between taps, so that half of them meet a changed station. */
  carAt(position: number, plugged: boolean): Promise<void>;
  /** The module process's CPU time so far, ms. */
  moduleCpuMs(): number;
}

const row = (what: string, ms: number[]): TokenPathRow => {
  const sorted = ms.slice().sort((a, b) => a - b);
  return { what, count: ms.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
};

export async function measureTokenPath(deps: TokenPathDeps): Promise<TokenPathResult> {
  const { peers, caller, moduleId, positions } = deps;
  let requestId = 1;
  const kept = (await peers.passedOn(requestId++)) ?? [];
  const gate: number[] = [];
  const afterEvent: number[] = [];
  const direct: number[] = [];
  const directAfterPause: number[] = [];
  for (let i = 0; i < WARM_UP + TAPS; i++) {
    // Back to back: a token through the module, then one straight to Auth's side.
    const throughModule = await peers.tap(requestId++, true);
    const straight = await peers.tap(requestId++, false);
    // Then a car comes to a free EVSE, or leaves it again (what the gate decides on changes), and a
    // token after a pause, through the module; and after the same pause one straight to Auth's side.
    // (Cars and cards are seconds apart; a pause alone makes the next message slower on this machine.)
    await deps.carAt(positions[Math.floor(i / 2) % positions.length] as number, i % 2 === 0);
    await sleep(SETTLE_MS);
    const changed = await peers.tap(requestId++, true);
    await sleep(SETTLE_MS);
    const paused = await peers.tap(requestId++, false);
    if (i < WARM_UP) continue;
    gate.push(throughModule);
    direct.push(straight);
    afterEvent.push(changed);
    directAfterPause.push(paused);
  }
  // The module's CPU per token: taps alone, the station steady.
  const cpuBefore = deps.moduleCpuMs();
  for (let i = 0; i < TAPS; i++) await peers.tap(requestId++, true);
  const tapsCpuMs = deps.moduleCpuMs() - cpuBefore;
  const validate = (impl: 'module' | 'validator', position: number): Call => ({
    cmd: 'validate_token',
    impl: impl === 'module' ? TOKEN_VALIDATOR_IMPL_ID : VALIDATOR.implementation_id,
    args: { provided_token: { id_token: { value: 'WALK-IN-CARD', type: 'ISO14443' }, authorization_type: 'RFID', connectors: [position] } },
    expect: ACCEPTED,
  });
  const through: number[] = [];
  const alone: number[] = [];
  let errors = 0;
  const free = positions[0] as number;
  let validationsBefore = 0;
  let validatorAloneMs = 0;
  for (let i = 0; i < WARM_UP + TAPS; i++) {
    if (i === WARM_UP) validationsBefore = deps.moduleCpuMs();
    const viaModule = await caller.timed(moduleId, [validate('module', free)], 1);
    const aloneBegin = deps.moduleCpuMs();
    const viaValidator = await caller.timed(VALIDATOR.module_id, [validate('validator', free)], 1);
    if (i >= WARM_UP) validatorAloneMs += deps.moduleCpuMs() - aloneBegin;
    if (i < WARM_UP) continue;
    through.push(viaModule.latenciesMs[0] as number);
    alone.push(viaValidator.latenciesMs[0] as number);
    if (JSON.stringify((viaModule.answers[0] as Answer).retval) !== JSON.stringify(ACCEPTED)) errors++;
  }
  const validationsCpuMs = deps.moduleCpuMs() - validationsBefore - validatorAloneMs;
  return {
    cpuUsPerToken: (tapsCpuMs * 1000) / TAPS,
    cpuUsPerValidation: (validationsCpuMs * 1000) / TAPS,
    rows: [
      row('a reader\'s token through the gate, to Auth\'s side', gate),
      row('the same publish straight to Auth\'s side (the broker alone)', direct),
      row(`through the gate ${SETTLE_MS} ms after an EVSE event (a car came or went)`, afterEvent),
      row(`straight to Auth's side after a ${SETTLE_MS} ms pause (the broker alone)`, directAfterPause),
      row('validate_token through the module (one validator, answering at once)', through),
      row('validate_token to that validator alone', alone),
    ],
    keptOf: { kept: kept.length, of: deps.evseCount },
    errors,
  };
}

export function tokenPathSection(result: TokenPathResult): string[] {
  return [
    '### The token path on the hub',
    '',
    `A walk-in's card (no reservation) with the hub full: the gate keeps ${result.keptOf.kept} of ${result.keptOf.of} EVSEs. ` +
      'Reader, validator and Auth\'s side are MQTT clients in the bench process; one token or call at a time, QoS 2. ' +
      `Module CPU: ${fmt(result.cpuUsPerToken)} µs per token through the gate, ${fmt(result.cpuUsPerValidation)} µs per validate_token.`,
    '',
    table(
      ['what', 'count', 'p50 ms', 'p99 ms'],
      result.rows.map((r) => [r.what, String(r.count), fmt(r.p50Ms, 2), fmt(r.p99Ms, 2)]),
    ),
    '',
  ];
}

export function tokenPathTargets(result: TokenPathResult): Target[] {
  const [gate, , , , through, alone] = result.rows as TokenPathRow[] as [TokenPathRow, TokenPathRow, TokenPathRow, TokenPathRow, TokenPathRow, TokenPathRow];
  const added = through.p99Ms - alone.p99Ms;
  return [
    { name: `a card through the gate, p99 <= ${GATE_TARGET_P99_MS} ms (reader's publish to Auth's side)`, met: gate.p99Ms <= GATE_TARGET_P99_MS, measured: `${fmt(gate.p99Ms, 2)} ms` },
    {
      name: `validate_token through the module adds <= ${VALIDATOR_TARGET_ADDED_P99_MS} ms at p99 to the validator's own`,
      met: added <= VALIDATOR_TARGET_ADDED_P99_MS,
      measured: `${fmt(through.p99Ms, 2)} ms vs ${fmt(alone.p99Ms, 2)} ms (+${fmt(added, 2)} ms)`,
    },
  ];
}
