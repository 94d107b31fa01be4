// Property-based fuzzing over a real broker: valid reserve_now / cancel_reservation /
// exists_reservation / list_reservations calls mixed with garbage (random bytes, random JSON,
// valid envelopes with one defect, bad origins, unknown command topics). Every valid call must
// get the answer a model of the spec predicts, every defective call its error or no answer at
// all, and the reservations held must always be exactly the model's. Seeded: FUZZ_SEED=<n>
// replays a run (the seed is printed on failure).
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { type Broker, EXTERNAL_BROKER_URL, startBroker } from '../support/broker';
import { type HeldReservation, type Station, startStation } from '../support/harness';
import type { CallResult, Collector, QoS } from '../support/probe';
import { sleep } from '../support/teardown';

jest.setTimeout(120_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20_251_124);
const NUM_RUNS = 12;
const OPS_PER_RUN = { minLength: 200, maxLength: 320 };
const MODULE_ID = 'reservation';
const CONNECTORS = 4;
const MAX_ID = 10;
const ORIGIN = 'fuzz';
const COMMANDS = ['reserve_now', 'cancel_reservation', 'exists_reservation', 'list_reservations'] as const;
const ANSWER_TIMEOUT_MS = 10_000;

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

// ---- The model: all connectors available, no station-wide reservations (connector 0 unsupported).

interface ModelReservation {
  connector: number;
  token: string;
  parent?: string;
  expiry: string;
}

const same = (a: string, b: string): boolean => a.toUpperCase() === b.toUpperCase();

class Model {
  readonly held = new Map<number, ModelReservation>();
  /** Reservations ended by cancel_reservation, by id (each must give one reservation_end). */
  readonly cancelled = new Map<number, number>();

  reserve(op: ReserveOp): string {
    if (op.connector < 1 || op.connector > CONNECTORS || op.past) return 'Rejected';
    const holder = [...this.held.entries()].find(([id, r]) => r.connector === op.connector && id !== op.id);
    if (holder) return 'Occupied';
    this.held.set(op.id, { connector: op.connector, token: op.token, ...(op.parent !== undefined ? { parent: op.parent } : {}), expiry: op.expiry });
    return 'Accepted';
  }

  cancel(id: number): boolean {
    if (!this.held.delete(id)) return false;
    this.cancelled.set(id, (this.cancelled.get(id) ?? 0) + 1);
    return true;
  }

  exists(connector: number, token: string, parent: string | undefined): string {
    const r = [...this.held.values()].find((h) => h.connector === connector);
    if (!r) return 'NotReserved';
    if (same(r.token, token) || (parent !== undefined && r.parent !== undefined && same(r.parent, parent))) return 'ReservedForToken';
    return parent === undefined && r.parent !== undefined ? 'ReservedForOtherTokenAndHasParentToken' : 'ReservedForOtherToken';
  }

  list(): HeldReservation[] {
    return [...this.held.entries()]
      .sort(([a], [b]) => a - b)
      .map(([id, r]) => ({ reservation_id: id, connector_id: r.connector, id_token: r.token, ...(r.parent !== undefined ? { parent_id_token: r.parent } : {}), expiry_time: r.expiry }));
  }
}

// ---- Operations.

interface ReserveOp {
  kind: 'reserve';
  connector: number;
  id: number;
  token: string;
  parent?: string;
  expiry: string;
  past: boolean;
}
type ValidOp =
  | ReserveOp
  | { kind: 'cancel'; id: number }
  | { kind: 'exists'; connector: number; token: string; parent?: string }
  | { kind: 'list' };

/** How the module must treat a defective call. */
type Expect = { answer: 'MessageParsingError' | 'SchemaValidationError' } | { answer: 'none' };

type Op =
  | ValidOp
  | { kind: 'bytes'; cmd: string; bytes: Uint8Array; qos: QoS }
  | { kind: 'json'; cmd: string; text: string; qos: QoS }
  | { kind: 'mutant'; base: ReserveOp | { kind: 'cancel'; id: number }; mutation: Mutation; qos: QoS };

interface Mutation {
  name: string;
  expect: Expect;
  /** Changes the envelope in place; returns the text to publish (and the topic's command, if not the base's). */
  apply(envelope: Envelope): { text: string; cmd?: string };
}

interface Envelope {
  msg_type?: unknown;
  data: { id?: unknown; origin?: unknown; args?: unknown; [key: string]: unknown };
  [key: string]: unknown;
}

const tokenArb = fc.constantFrom('alice', 'ALICE', 'Bob', 'bob', 'carol', 'FLEET-1', 'fleet-1', '__proto__', 'Ünïcode', 'x');
const futureExpiryArb = fc
  .record({
    year: fc.integer({ min: 2090, max: 2099 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.option(fc.stringMatching(/^\.\d{1,9}$/), { nil: '' }),
    separator: fc.constantFrom('T', 't', ' '),
    zone: fc.constantFrom('Z', 'z', '+00:00', '-00:00', '+05:30', '-08:00', '+14:00', '-12:00'),
  })
  .map(({ year, month, day, hour, minute, second, fraction, separator, zone }) => {
    const p = (n: number): string => String(n).padStart(2, '0');
    return `${year}-${p(month)}-${p(day)}${separator}${p(hour)}:${p(minute)}:${p(second)}${fraction}${zone}`;
  });
const pastExpiryArb = fc.constantFrom('2001-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '2020-02-29T23:59:60Z', '2024-06-01T12:00:00+05:30');

const reserveArb: fc.Arbitrary<ReserveOp> = fc
  .record({
    connector: fc.integer({ min: -1, max: CONNECTORS + 1 }),
    id: fc.integer({ min: 1, max: MAX_ID }),
    token: tokenArb,
    parent: fc.option(tokenArb, { nil: undefined }),
    expiry: fc.oneof({ weight: 9, arbitrary: futureExpiryArb.map((e) => ({ e, past: false })) }, { weight: 1, arbitrary: pastExpiryArb.map((e) => ({ e, past: true })) }),
  })
  .map(({ connector, id, token, parent, expiry }) => ({ kind: 'reserve' as const, connector, id, token, ...(parent !== undefined ? { parent } : {}), expiry: expiry.e, past: expiry.past }));
const cancelArb = fc.integer({ min: 1, max: MAX_ID + 2 }).map((id) => ({ kind: 'cancel' as const, id }));
const existsArb = fc
  .record({ connector: fc.integer({ min: 0, max: CONNECTORS + 1 }), token: tokenArb, parent: fc.option(tokenArb, { nil: undefined }) })
  .map(({ connector, token, parent }) => ({ kind: 'exists' as const, connector, token, ...(parent !== undefined ? { parent } : {}) }));

const cmdArb = fc.constantFrom(...COMMANDS);
const qosArb = fc.constantFrom<QoS>(0, 1, 2);

/** A value to put somewhere it does not belong. */
const wrongValueArb = fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)), fc.string({ maxLength: 8 }), fc.constant([]), fc.constant({}));
const badOriginArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', '+', '#', '/', 'a/b', 'x+', '#y', 'nul\u0000', 'nl\n', 'del\u007f', 'lone\ud800', 'nc\uffff', 'o'.repeat(257)),
  fc.constantFrom(null, 42, true, ['ocpp'], { m: 1 }),
);
const badIdArb: fc.Arbitrary<unknown> = fc.constantFrom('', 'i'.repeat(257), null, 7, true, ['id'], { id: 'x' });
const badExpiryArb = fc.constantFrom('2099-02-30T00:00:00Z', '2099-06-01T24:00:00Z', '2099-06-01T12:00:00', '2099-06-01', 'tomorrow', '', '2099-06-01T12:00:00+24:00', '2099-06-01T12:00:60Z', '2099-13-01T00:00:00Z');
const forbiddenKeyArb = fc.constantFrom('__proto__', 'constructor', 'prototype');

/** Args of a reserve_now or cancel envelope, as the object to mutate. */
function argsOf(envelope: Envelope): Record<string, unknown> {
  return envelope.data.args as Record<string, unknown>;
}

/** Shown by its name (and expectation) in a counterexample. */
function mutation(name: string, expect: Expect, apply: Mutation['apply']): Mutation {
  return { name, expect, apply, [fc.toStringMethod]: () => `<${name}: ${expect.answer}>` } as Mutation;
}

const isPlainObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);

const mutationArb = (base: ReserveOp | { kind: 'cancel'; id: number }): fc.Arbitrary<Mutation> => {
  const mpe: Expect = { answer: 'MessageParsingError' };
  const sve: Expect = { answer: 'SchemaValidationError' };
  const none: Expect = { answer: 'none' };
  /** A mutation that edits the envelope object, then publishes it as JSON. */
  const edit = (name: string, expect: Expect, change: (e: Envelope) => void): Mutation =>
    mutation(name, expect, (e) => {
      change(e);
      return { text: JSON.stringify(e) };
    });
  const show = (v: unknown): string => String(JSON.stringify(v)).slice(0, 24);
  const reservationOf = (e: Envelope): Record<string, unknown> => argsOf(e).reservation as Record<string, unknown>;
  const hugeIdArb = fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e308);

  const common: Array<fc.Arbitrary<Mutation>> = [
    fc.string({ maxLength: 6 }).filter((t) => t !== 'Cmd').map((t) => edit(`msg_type ${show(t)}`, mpe, (e) => (e.msg_type = t))),
    fc.constant(edit('no msg_type', mpe, (e) => delete e.msg_type)),
    wrongValueArb.filter((v) => !isPlainObject(v)).map((v) => edit(`args ${show(v)}`, mpe, (e) => (e.data.args = v))),
    fc.tuple(forbiddenKeyArb, fc.boolean()).map(([key, deep]) =>
      edit(`forbidden key ${key}${deep ? ' one level down' : ''}`, mpe, (e) => {
        const target = deep && base.kind === 'reserve' ? reservationOf(e) : deep ? e.data : argsOf(e);
        // defineProperty makes even __proto__ an own key, which JSON.stringify writes out.
        Object.defineProperty(target, key, { value: { polluted: true }, enumerable: true, configurable: true, writable: true });
      }),
    ),
    fc
      .integer({ min: 33, max: 400 })
      .map((levels) =>
        mutation(`an argument nested ${levels} levels deep`, mpe, (e) => ({ text: JSON.stringify(e).replace('"args":{', `"args":{"deep":${'['.repeat(levels)}${']'.repeat(levels)},`) })),
      ),
    fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((k) => !['connector_id', 'reservation', 'reservation_id', '__proto__', 'constructor', 'prototype'].includes(k))
      .map((k) => edit(`unknown argument ${show(k)}`, sve, (e) => (argsOf(e)[k] = 1))),
    badIdArb.map((id) => edit(`call id ${show(id)}`, none, (e) => (e.data.id = id))),
    fc.constant(edit('no call id', none, (e) => delete e.data.id)),
    badOriginArb.map((origin) => edit(`origin ${show(origin)}`, none, (e) => (e.data.origin = origin))),
    fc.constant(edit('no origin', none, (e) => delete e.data.origin)),
    fc.nat().map((n) =>
      mutation(`truncated at ${n}`, none, (e) => {
        const text = JSON.stringify(e);
        return { text: text.slice(0, n % text.length) };
      }),
    ),
    fc
      .constantFrom('unknown', 'reserve_now/x', 'Cancel_Reservation', `reserve_now/response/${ORIGIN}`)
      .map((cmd) => mutation(`topic cmd/${cmd}`, none, (e) => ({ text: JSON.stringify(e), cmd }))),
  ];
  if (base.kind === 'cancel') {
    return fc.oneof(
      ...common,
      fc.constant(edit('no reservation_id', sve, (e) => delete argsOf(e).reservation_id)),
      fc.oneof(wrongValueArb, hugeIdArb).map((v) => edit(`reservation_id ${show(v)}`, sve, (e) => (argsOf(e).reservation_id = v))),
    );
  }
  return fc.oneof(
    ...common,
    fc.constantFrom('connector_id', 'reservation').map((k) => edit(`no ${k}`, sve, (e) => delete argsOf(e)[k])),
    fc.constantFrom('reservation_id', 'id_token', 'expiry_time').map((k) => edit(`no reservation.${k}`, sve, (e) => delete reservationOf(e)[k])),
    wrongValueArb.map((v) => edit(`connector_id ${show(v)}`, sve, (e) => (argsOf(e).connector_id = v))),
    wrongValueArb.map((v) => edit(`reservation ${show(v)}`, sve, (e) => (argsOf(e).reservation = v))),
    fc.oneof(wrongValueArb, hugeIdArb).map((v) => edit(`reservation_id ${show(v)}`, sve, (e) => (reservationOf(e).reservation_id = v))),
    fc
      .oneof(
        wrongValueArb.filter((v) => typeof v !== 'string'),
        fc.integer({ min: 256, max: 400 }).map((n) => 'T'.repeat(n)),
      )
      .map((v) => edit(`id_token ${show(v)}`, sve, (e) => (reservationOf(e).id_token = v))),
    badExpiryArb.map((v) => edit(`expiry_time ${show(v)}`, sve, (e) => (reservationOf(e).expiry_time = v))),
    fc.constantFrom('evse_id', 'Reservation_Id', 'x').map((k) => edit(`reservation.${k}`, sve, (e) => (reservationOf(e)[k] = 1))),
  );
};

const mutantArb = fc
  .oneof(reserveArb.filter((r) => r.connector >= 1 && r.connector <= CONNECTORS), cancelArb)
  .chain((base) => fc.record({ base: fc.constant(base), mutation: mutationArb(base), qos: qosArb }))
  .map(({ base, mutation, qos }) => ({ kind: 'mutant' as const, base, mutation, qos }));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: reserveArb },
  { weight: 3, arbitrary: cancelArb },
  { weight: 2, arbitrary: existsArb },
  { weight: 1, arbitrary: fc.constant({ kind: 'list' as const }) },
  { weight: 2, arbitrary: fc.record({ cmd: cmdArb, bytes: fc.uint8Array({ maxLength: 200 }), qos: qosArb }).map((r) => ({ kind: 'bytes' as const, ...r })) },
  { weight: 2, arbitrary: fc.record({ cmd: cmdArb, text: fc.json({ maxDepth: 6 }), qos: qosArb }).map((r) => ({ kind: 'json' as const, ...r })) },
  { weight: 6, arbitrary: mutantArb },
);

// ---- Driving the module.

function validEnvelope(op: ReserveOp | { kind: 'cancel'; id: number }, id: string, origin: string): { cmd: string; envelope: Envelope } {
  if (op.kind === 'cancel') return { cmd: 'cancel_reservation', envelope: { msg_type: 'Cmd', data: { id, origin, args: { reservation_id: op.id } } } };
  const reservation = { reservation_id: op.id, id_token: op.token, expiry_time: op.expiry, ...(op.parent !== undefined ? { parent_id_token: op.parent } : {}) };
  return { cmd: 'reserve_now', envelope: { msg_type: 'Cmd', data: { id, origin, args: { connector_id: op.connector, reservation } } } };
}

class Driver {
  /** Every CmdResult the module sent, by call id. */
  readonly answers = new Map<string, Array<{ topic: string; result: CallResult }>>();
  /** Call ids that must be answered (once each); any other answer is a failure. */
  readonly expected = new Set<string>();
  private waiters = new Map<string, () => void>();
  private pending: Array<Promise<void>> = [];
  published = 0;

  constructor(readonly station: Station) {}

  async listen(): Promise<Collector> {
    return this.station.probe.collect(`${this.station.prefix}modules/${MODULE_ID}/impl/+/cmd/#`, 2, (m) => {
      const payload = m.payload as { msg_type?: string; data?: { data?: CallResult } };
      if (payload?.msg_type !== 'CmdResult' || typeof payload.data?.data?.id !== 'string') return;
      const result = payload.data.data;
      this.answers.set(result.id, [...(this.answers.get(result.id) ?? []), { topic: m.topic, result }]);
      this.waiters.get(result.id)?.();
    });
  }

  topic(cmd: string): string {
    return this.station.probe.cmdTopic(MODULE_ID, cmd);
  }

  /** Publishes without waiting (garbage); errors surface at settle(). */
  fire(cmd: string, payload: string | Buffer, qos: QoS): void {
    this.published++;
    this.pending.push(this.station.probe.publishRaw(this.topic(cmd), payload, qos));
  }

  /** Publishes a call and resolves with its (first) answer. */
  async call(cmd: string, payload: string, id: string, qos: QoS = 2): Promise<CallResult> {
    this.expected.add(id);
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${cmd} call ${id} within ${ANSWER_TIMEOUT_MS} ms: ${payload.slice(0, 300)}`)), ANSWER_TIMEOUT_MS);
      this.waiters.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.published++;
    await this.station.probe.publishRaw(this.topic(cmd), payload, qos);
    if (!this.answers.has(id)) await answered;
    this.waiters.delete(id);
    return (this.answers.get(id) as Array<{ result: CallResult }>)[0]?.result as CallResult;
  }

  async invoke(cmd: string, args: unknown): Promise<unknown> {
    const id = randomUUID();
    const result = await this.call(cmd, JSON.stringify({ msg_type: 'Cmd', data: { id, origin: ORIGIN, args } }), id);
    if (result.error) throw new Error(`${cmd}(${JSON.stringify(args)}) answered ${JSON.stringify(result.error)}`);
    return result.retval;
  }

  /** Waits for every fire-and-forget publish, and gives stray answers time to show. */
  async settle(): Promise<void> {
    await Promise.all(this.pending.splice(0));
    await this.invoke('list_reservations', {});
    await sleep(200);
  }

  /** Answers that were not expected, or came more than once. */
  strayAnswers(): string[] {
    return [...this.answers.entries()].filter(([id, list]) => !this.expected.has(id) || list.length !== 1).map(([id, list]) => `${id}: ${JSON.stringify(list).slice(0, 300)}`);
  }
}

async function runOp(driver: Driver, model: Model, op: Op): Promise<void> {
  const where = `op ${JSON.stringify(op, (_k, v: unknown) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))?.slice(0, 400)}`;
  switch (op.kind) {
    case 'reserve': {
      const reservation = { reservation_id: op.id, id_token: op.token, expiry_time: op.expiry, ...(op.parent !== undefined ? { parent_id_token: op.parent } : {}) };
      const answer = await driver.invoke('reserve_now', { connector_id: op.connector, reservation });
      expect([where, answer]).toEqual([where, model.reserve(op)]);
      return;
    }
    case 'cancel':
      expect([where, await driver.invoke('cancel_reservation', { reservation_id: op.id })]).toEqual([where, model.cancel(op.id)]);
      return;
    case 'exists': {
      const request = { connector_id: op.connector, id_token: op.token, ...(op.parent !== undefined ? { parent_id_token: op.parent } : {}) };
      expect([where, await driver.invoke('exists_reservation', { request })]).toEqual([where, model.exists(op.connector, op.token, op.parent)]);
      return;
    }
    case 'list':
      expect([where, await driver.invoke('list_reservations', {})]).toEqual([where, model.list()]);
      return;
    case 'bytes':
      driver.fire(op.cmd, Buffer.from(op.bytes), op.qos);
      return;
    case 'json':
      driver.fire(op.cmd, op.text, op.qos);
      return;
    case 'mutant': {
      const id = randomUUID();
      const { cmd, envelope } = validEnvelope(op.base, id, ORIGIN);
      const mutated = op.mutation.apply(envelope);
      if (op.mutation.expect.answer === 'none') {
        driver.fire(mutated.cmd ?? cmd, mutated.text, op.qos);
        return;
      }
      const result = await driver.call(mutated.cmd ?? cmd, mutated.text, id, op.qos);
      expect([where, op.mutation.name, result.error?.__everest__error_type]).toEqual([where, op.mutation.name, op.mutation.expect.answer]);
      return;
    }
  }
}

it(`keeps the reservations exactly as a model of the valid calls predicts, through ${NUM_RUNS} seeded runs of mixed valid calls and garbage`, async () => {
  const station = await startStation(broker, { moduleId: MODULE_ID, configModule: { connectors: CONNECTORS }, env: { LOG_LEVEL: 'warn' } });
  const status = await station.probe.collect(`${station.prefix}modules/${MODULE_ID}/status`, 1);
  await status.waitFor((p) => p === 'online', 5000);
  const driver = new Driver(station);
  await driver.listen();
  const cancelledTotal = new Map<number, number>();
  let valid = 0;

  try {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, OPS_PER_RUN), async (ops) => {
        // Each run starts empty: whatever an earlier (possibly failed) run left is cancelled.
        const model = new Model();
        for (const r of (await driver.invoke('list_reservations', {})) as HeldReservation[]) {
          expect(await driver.invoke('cancel_reservation', { reservation_id: r.reservation_id })).toBe(true);
          cancelledTotal.set(r.reservation_id, (cancelledTotal.get(r.reservation_id) ?? 0) + 1);
        }
        for (const op of ops) {
          if (op.kind === 'reserve' || op.kind === 'cancel' || op.kind === 'exists' || op.kind === 'list') valid++;
          await runOp(driver, model, op);
        }
        await driver.settle();
        expect(driver.strayAnswers()).toEqual([]);
        expect(await driver.invoke('list_reservations', {})).toEqual(model.list());
        for (const [id, n] of model.cancelled) cancelledTotal.set(id, (cancelledTotal.get(id) ?? 0) + n);
      }),
      { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true },
    );
  } catch (err) {
    // The counterexample is a few hundred operations: the error and the seed matter more.
    const message = (err as Error).message.replace(/^(Counterexample: .{0,3000}).*$/m, '$1 ...');
    const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : '';
    throw new Error(`fuzzing failed (replay with FUZZ_SEED=${SEED}):\n${cause}\n\n${message}`);
  }

  // Alive, never cut off by the broker, and one reservation_end per cancelled reservation.
  expect(station.module.child.exitCode).toBeNull();
  expect(status.messages.filter((p) => p !== 'online')).toEqual([]);
  const clientId = `${station.prefix.replace(/\/$/, '').replace(/[^A-Za-z0-9_-]/g, '_')}-${MODULE_ID}`;
  if (EXTERNAL_BROKER_URL === undefined) expect(broker.log().split('\n').filter((l) => l.includes(clientId) && /disconnect|error/i.test(l))).toEqual([]);
  const expectedEnds = [...cancelledTotal.values()].reduce((a, b) => a + b, 0);
  await station.ends.waitForCount(expectedEnds, 10_000);
  await sleep(300);
  const ends = new Map<number, number>();
  for (const e of station.endEvents()) {
    expect(e.reason).toBe('Cancelled');
    ends.set(e.reservation_id, (ends.get(e.reservation_id) ?? 0) + 1);
  }
  expect(new Map([...ends].sort(([a], [b]) => a - b))).toEqual(new Map([...cancelledTotal].sort(([a], [b]) => a - b)));
  expect(driver.strayAnswers()).toEqual([]);
  // Enough of it was valid, and enough was garbage, for the run to mean something.
  expect(valid).toBeGreaterThan(NUM_RUNS * 80);
  expect(driver.published - valid).toBeGreaterThan(NUM_RUNS * 60);
});
