// Hostile input over a real broker (spec "Bad input", docs/reliability.md "Hostile input"), beyond what
// protocol-errors.test.ts covers: every group holds one unrelated reservation, and after each
// test checks that it is unchanged, the module still answers, and mosquitto never dropped it.
import { randomUUID } from 'node:crypto';
import { type Broker, EXTERNAL_BROKER_URL, startBroker } from '../support/broker';
import { type HeldReservation, isoIn, reservation, type Station, startStation } from '../support/harness';
import { type CallResult, type Collector, type ReceivedMessage } from '../support/probe';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const MODULE_ID = 'reservation';
const MAX_SAFE = Number.MAX_SAFE_INTEGER; // 2^53 - 1
/** After a call that proves the module handled what came before, time for a stray answer to show. */
const SETTLE_MS = 200;

/** The reservation no test may touch. */
const SENTINEL: HeldReservation = { reservation_id: 777_777, connector_id: 4, id_token: 'SENTINEL', expiry_time: '2099-01-01T00:00:00Z' };

interface Guarded {
  station: Station;
  /** Everything under the module's topics (commands, answers, status, snapshot). */
  traffic: Collector;
  status: Collector;
}

function cmdEnvelope(id: unknown, origin: unknown, args: unknown): string {
  return JSON.stringify({ msg_type: 'Cmd', data: { id, args, origin } });
}

function reserveArgs(id: number, connector: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { connector_id: connector, reservation: { ...reservation(id), ...overrides } };
}

function isCmdResult(m: ReceivedMessage): boolean {
  return (m.payload as { msg_type?: unknown } | null)?.msg_type === 'CmdResult';
}

function resultOf(m: ReceivedMessage): CallResult {
  return (m.payload as { data: { data: CallResult } }).data.data;
}

/** mosquitto's client id for the module (app.ts clientId): its log names it on every disconnect. */
function moduleClientId(prefix: string): string {
  return `${prefix.replace(/\/$/, '').replace(/[^A-Za-z0-9_-]/g, '_')}-${MODULE_ID}`;
}

/**
 * A station for one describe block, with the sentinel held; after each test it must be intact,
 * the module must answer, and it must never have lost its broker connection.
 */
function guardedStation(configModule: Record<string, unknown> = { connectors: 4 }): Guarded {
  const ctx = {} as Guarded;
  beforeAll(async () => {
    ctx.station = await startStation(broker, { moduleId: MODULE_ID, configModule });
    const { reservation_id, id_token, expiry_time, connector_id } = SENTINEL;
    expect(await ctx.station.reserveNow(connector_id, { reservation_id, id_token, expiry_time })).toBe('Accepted');
    ctx.status = await ctx.station.probe.collect(`${ctx.station.prefix}modules/${MODULE_ID}/status`, 1);
    await ctx.status.waitFor((p) => p === 'online', 5000);
    ctx.traffic = await ctx.station.probe.collect(`${ctx.station.prefix}modules/#`);
  });
  afterEach(async () => {
    const { station } = ctx;
    expect(station.module.child.exitCode).toBeNull();
    const held = await station.list();
    expect(held.find((r) => r.reservation_id === SENTINEL.reservation_id)).toEqual(SENTINEL);
    expect(station.endEvents().filter((e) => e.reservation_id === SENTINEL.reservation_id)).toEqual([]);
    // A dropped connection shows as the last will (offline) and in mosquitto's log.
    expect(ctx.status.messages.filter((p) => p !== 'online')).toEqual([]);
    const clientId = moduleClientId(station.prefix);
    if (EXTERNAL_BROKER_URL === undefined) {
      expect(broker.log()).toContain(clientId);
      expect(
        broker
          .log()
          .split('\n')
          .filter((line) => line.includes(clientId) && /disconnect|error/i.test(line)),
      ).toEqual([]);
    }
  });
  return ctx;
}

/**
 * Publishes a payload the module must drop, then proves it handled it: a later call is answered.
 * Returns the module's answers (CmdResults) that arrived in between, on any command.
 */
async function publishAndSettle(ctx: Guarded, topic: string, payload: string | Buffer): Promise<CallResult[]> {
  const from = ctx.traffic.entries.length;
  await ctx.station.probe.publishRaw(topic, payload, 2);
  const followUp = await ctx.station.call('cancel_reservation', { reservation_id: 999_999_999 });
  expect(followUp.retval).toBe(false);
  await sleep(SETTLE_MS);
  return ctx.traffic.entries
    .slice(from)
    .filter(isCmdResult)
    .map(resultOf)
    .filter((r) => r.id !== followUp.id);
}

function reserveTopic(ctx: Guarded): string {
  return ctx.station.probe.cmdTopic(MODULE_ID, 'reserve_now');
}

async function heldIds(ctx: Guarded): Promise<number[]> {
  return (await ctx.station.list()).map((r) => r.reservation_id).filter((id) => id !== SENTINEL.reservation_id);
}

describe('payloads that are JSON but no Cmd object are dropped unanswered', () => {
  const ctx = guardedStation();
  const valid = (): string => cmdEnvelope(randomUUID(), 'ocpp', reserveArgs(11, 1));
  const cases: Array<[string, () => string]> = [
    ['an array holding a valid call', () => `[${valid()}]`],
    ['a number', () => '42'],
    ['a string', () => JSON.stringify(valid())],
    ['null', () => 'null'],
    ['true', () => 'true'],
    ['an empty payload', () => ''],
    ['an envelope whose data is an array', () => JSON.stringify({ msg_type: 'Cmd', data: [JSON.parse(valid()).data] })],
    ['an envelope whose data is null', () => JSON.stringify({ msg_type: 'Cmd', data: null })],
    ['a call without the envelope', () => JSON.stringify(JSON.parse(valid()).data)],
  ];

  it.each(cases)('%s', async (_name, payload) => {
    const linesBefore = ctx.station.module.lines().length;
    expect(await publishAndSettle(ctx, reserveTopic(ctx), payload())).toEqual([]);
    expect(ctx.station.module.lines().slice(linesBefore).some((l) => l.level === 40 && /dropped/.test(String(l.msg)))).toBe(true);
    expect(await heldIds(ctx)).toEqual([]);
  });
});

describe('calls without a usable id or origin are dropped, even when their arguments are valid', () => {
  const ctx = guardedStation();
  const badIds: Array<[string, unknown]> = [
    ['a numeric id', 12345],
    ['an object id', { uuid: 'x' }],
    ['an array id', ['x']],
    ['a null id', null],
    ['an empty id', ''],
    ['an id of 257 characters', 'i'.repeat(257)],
  ];
  it.each(badIds)('%s', async (_name, id) => {
    expect(await publishAndSettle(ctx, reserveTopic(ctx), cmdEnvelope(id, 'ocpp', reserveArgs(12, 1)))).toEqual([]);
    expect(await heldIds(ctx)).toEqual([]);
  });

  const badOrigins: Array<[string, unknown]> = [
    ['a numeric origin', 7],
    ['an array origin', ['ocpp']],
    ['an object origin', { module_id: 'ocpp' }],
    ['a null origin', null],
    ['an origin that is only "+"', '+'],
    ['an origin that is only "#"', '#'],
    ['an origin that is only "/"', '/'],
    ['an origin with a newline', 'ocpp\ncaller'],
    ['an origin with a tab', 'ocpp\t'],
    ['an origin with ESC', 'ocpp\u001b[31m'],
    ['an origin with DEL', 'ocpp\u007f'],
    ['an origin with a C1 control character', 'ocpp\u0085'],
    ['an origin with the non-character U+FFFF', 'ocpp\uffff'],
    ['an origin with the non-character U+10FFFF', 'ocpp\u{10ffff}'],
    ['an origin with a lone surrogate', 'ocpp\ud800'],
    ['an origin of 257 characters', 'o'.repeat(257)],
    // Under the 64 KiB payload limit, so it is the origin check that must catch it.
    ['an origin of 60,000 characters', 'o'.repeat(60_000)],
  ];
  it.each(badOrigins)('%s', async (_name, origin) => {
    const linesBefore = ctx.station.module.lines().length;
    const payload = cmdEnvelope(randomUUID(), origin, reserveArgs(13, 2));
    expect(await publishAndSettle(ctx, reserveTopic(ctx), payload)).toEqual([]);
    expect(await heldIds(ctx)).toEqual([]);
    expect(ctx.station.module.lines().slice(linesBefore).some((l) => l.level === 40 && /origin/.test(String(l.reason)))).toBe(true);
    // No topic the module published to carries any of it.
    const fragment = typeof origin === 'string' ? origin.slice(0, 40) : undefined;
    if (fragment !== undefined && fragment.length > 1) {
      expect(ctx.traffic.entries.filter((m) => m.topic.includes(`/response/${fragment}`)).map((m) => m.topic)).toEqual([]);
    }
  });

  // The check must not refuse what is a plain topic level.
  it.each([
    ['256 characters (the limit)', 'p'.repeat(256)],
    ['spaces and non-ASCII letters', 'ocpp caller ünïcödé 😀'],
    ['a dollar sign', '$SYS'],
  ])('answers an origin of %s on .../response/<origin>', async (_name, origin) => {
    const id = randomUUID();
    const result = await ctx.station.probe.callRaw(MODULE_ID, 'reserve_now', cmdEnvelope(id, origin, reserveArgs(14, 1)), { id, origin });
    expect(result).toEqual({ id, origin: MODULE_ID, retval: 'Accepted' });
    expect(await ctx.station.cancel(14)).toBe(true);
  });
});

describe('args of the wrong type answer MessageParsingError', () => {
  const ctx = guardedStation();
  it.each([
    ['null', null],
    ['a number', 777_777],
    ['true', true],
  ])('args %s', async (_name, args) => {
    const id = randomUUID();
    const result = await ctx.station.probe.callRaw(MODULE_ID, 'cancel_reservation', cmdEnvelope(id, 'ocpp', args), { id, origin: 'ocpp' });
    expect(result.error?.__everest__error_type).toBe('MessageParsingError');
  });
});

describe('topics under cmd/ that name no command are not answered', () => {
  const ctx = guardedStation();
  it.each([
    ['an unknown command', (p: string) => `${p}modules/${MODULE_ID}/impl/main/cmd/unknown_command`],
    ['a level below a command', (p: string) => `${p}modules/${MODULE_ID}/impl/main/cmd/reserve_now/extra`],
    ['a command in other letter case', (p: string) => `${p}modules/${MODULE_ID}/impl/main/cmd/Reserve_Now`],
    ['an empty command level', (p: string) => `${p}modules/${MODULE_ID}/impl/main/cmd/`],
    ['another implementation', (p: string) => `${p}modules/${MODULE_ID}/impl/other/cmd/reserve_now`],
    ['the module id in other letter case', (p: string) => `${p}modules/${MODULE_ID.toUpperCase()}/impl/main/cmd/reserve_now`],
    ['the command\'s own response topic', (p: string) => `${p}modules/${MODULE_ID}/impl/main/cmd/reserve_now/response/ocpp`],
  ])('%s', async (_name, topicOf) => {
    const payload = cmdEnvelope(randomUUID(), 'ocpp', reserveArgs(15, 1));
    expect(await publishAndSettle(ctx, topicOf(ctx.station.prefix), payload)).toEqual([]);
    expect(await heldIds(ctx)).toEqual([]);
  });
});

describe('keys that reach a prototype answer MessageParsingError and change nothing', () => {
  const ctx = guardedStation();
  const inFuture = isoIn(3_600_000);
  // Written by hand: in an object literal __proto__ would set the prototype instead of a key.
  const cases: Array<[string, string, (id: string) => string]> = [
    ['__proto__ at the top level', 'reserve_now', (id) => `{"__proto__":{"polluted":1},"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"connector_id":1,"reservation":{"reservation_id":16,"id_token":"T","expiry_time":"${inFuture}"}}}}`],
    ['constructor in data', 'reserve_now', (id) => `{"msg_type":"Cmd","data":{"constructor":{"prototype":{}},"id":"${id}","origin":"ocpp","args":{"connector_id":1,"reservation":{"reservation_id":16,"id_token":"T","expiry_time":"${inFuture}"}}}}`],
    ['prototype in args', 'cancel_reservation', (id) => `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"reservation_id":${SENTINEL.reservation_id},"prototype":{"x":1}}}}`],
    ['constructor in args', 'cancel_reservation', (id) => `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"constructor":1,"reservation_id":${SENTINEL.reservation_id}}}}`],
    ['__proto__ nested in the reservation', 'reserve_now', (id) => `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"connector_id":1,"reservation":{"reservation_id":16,"id_token":"T","expiry_time":"${inFuture}","__proto__":{"parent_id_token":"ADMIN"}}}}}`],
    ['constructor.prototype nested deeper', 'exists_reservation', (id) => `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"request":{"connector_id":1,"id_token":"T","x":{"y":{"constructor":{"prototype":{"isAdmin":true}}}}}}}}`],
  ];
  it.each(cases)('%s', async (_name, cmd, payload) => {
    const id = randomUUID();
    const result = await ctx.station.probe.callRaw(MODULE_ID, cmd, payload(id), { id, origin: 'ocpp' });
    expect(result).toEqual({ id, origin: MODULE_ID, error: { __everest__error_type: 'MessageParsingError', __everest__error_msg: expect.stringMatching(/forbidden key/) } });
    expect(await heldIds(ctx)).toEqual([]);
  });

  it('takes such names as ordinary token values', async () => {
    expect(await ctx.station.reserveNow(1, reservation(17, { id_token: '__proto__', parent_id_token: 'constructor' }))).toBe('Accepted');
    expect(await ctx.station.reserveNow(2, reservation(18, { id_token: 'hasOwnProperty' }))).toBe('Accepted');
    expect(await ctx.station.reserveNow(3, reservation(19, { id_token: 'toString' }))).toBe('Accepted');
    expect(await ctx.station.exists({ connector_id: 1, id_token: '__PROTO__' })).toBe('ReservedForToken');
    expect(await ctx.station.exists({ connector_id: 1, id_token: 'other', parent_id_token: 'CONSTRUCTOR' })).toBe('ReservedForToken');
    expect(await ctx.station.exists({ connector_id: 1, id_token: 'prototype' })).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(await ctx.station.exists({ connector_id: 2, id_token: 'hasownproperty' })).toBe('ReservedForToken');
    expect(await ctx.station.exists({ connector_id: 3, id_token: 'valueOf' })).toBe('ReservedForOtherToken');
    expect((await ctx.station.list()).filter((r) => r.reservation_id !== SENTINEL.reservation_id).map((r) => [r.reservation_id, r.id_token, r.parent_id_token])).toEqual([
      [17, '__proto__', 'constructor'],
      [18, 'hasOwnProperty', undefined],
      [19, 'toString', undefined],
    ]);
    for (const id of [17, 18, 19]) expect(await ctx.station.cancel(id)).toBe(true);
  });
});

describe('deeply nested JSON is refused without crashing', () => {
  const ctx = guardedStation();
  /** `levels` nested objects around 1, built as text (JSON.stringify would recurse). */
  const nestedObject = (levels: number): string => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  it('answers MessageParsingError for 10,000 levels inside a reservation', async () => {
    const id = randomUUID();
    const payload = `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"connector_id":1,"reservation":{"reservation_id":20,"id_token":"T","expiry_time":"${isoIn(3_600_000)}","x":${nestedObject(10_000)}}}}}`;
    expect(Buffer.byteLength(payload)).toBeLessThan(64 * 1024); // so the depth check, not the size limit, refuses it
    const result = await ctx.station.probe.callRaw(MODULE_ID, 'reserve_now', payload, { id, origin: 'ocpp' });
    expect(result.error).toEqual({ __everest__error_type: 'MessageParsingError', __everest__error_msg: expect.stringMatching(/nested deeper/) });
    expect(await heldIds(ctx)).toEqual([]);
  });

  it('does not cancel when a valid cancel carries 10,000 levels beside its argument', async () => {
    const id = randomUUID();
    const payload = `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"reservation_id":${SENTINEL.reservation_id},"x":${nestedObject(10_000)}}}}`;
    const result = await ctx.station.probe.callRaw(MODULE_ID, 'cancel_reservation', payload, { id, origin: 'ocpp' });
    expect(result.error?.__everest__error_type).toBe('MessageParsingError');
  });

  it('drops 30,000 nested arrays as the whole payload', async () => {
    const payload = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    expect(await publishAndSettle(ctx, reserveTopic(ctx), payload)).toEqual([]);
  });

  it('drops an unterminated 60,000-level nesting (not JSON)', async () => {
    expect(await publishAndSettle(ctx, reserveTopic(ctx), '{"a":['.repeat(10_000))).toEqual([]);
  });
});

describe('payload size: over 64 KiB is dropped unread, up to it is served', () => {
  const ctx = guardedStation();
  const LIMIT = 64 * 1024;
  /** A call padded with JSON whitespace to exactly `bytes` bytes. */
  const padded = (envelope: string, bytes: number): string => envelope + ' '.repeat(bytes - Buffer.byteLength(envelope));

  it('answers a valid call of exactly 64 KiB', async () => {
    const id = randomUUID();
    const payload = padded(cmdEnvelope(id, 'ocpp', { reservation_id: 424_242 }), LIMIT);
    expect(Buffer.byteLength(payload)).toBe(LIMIT);
    const result = await ctx.station.probe.callRaw(MODULE_ID, 'cancel_reservation', payload, { id, origin: 'ocpp' });
    expect(result.retval).toBe(false);
  });

  it('drops a valid cancel of one byte more, so the reservation stays', async () => {
    const linesBefore = ctx.station.module.lines().length;
    const payload = padded(cmdEnvelope(randomUUID(), 'ocpp', { reservation_id: SENTINEL.reservation_id }), LIMIT + 1);
    expect(await publishAndSettle(ctx, ctx.station.probe.cmdTopic(MODULE_ID, 'cancel_reservation'), payload)).toEqual([]);
    expect(ctx.station.module.lines().slice(linesBefore).some((l) => l.level === 40 && l.bytes === LIMIT + 1)).toBe(true);
  });

  it.each([1, 10])('drops %i MiB', async (mib) => {
    const envelope = cmdEnvelope(randomUUID(), 'ocpp', reserveArgs(21, 1, { id_token: 'X' }));
    expect(await publishAndSettle(ctx, reserveTopic(ctx), padded(envelope, mib * 1024 * 1024))).toEqual([]);
    expect(await heldIds(ctx)).toEqual([]);
  });
});

describe('integers beyond the safe range, and zero or negative ids', () => {
  const ctx = guardedStation();
  /** A reserve_now call with the reservation_id written as JSON text (JSON.parse would round it). */
  const reserveWithIdText = (idText: string, connectorText: string): { envelope: string; id: string } => {
    const id = randomUUID();
    return {
      id,
      envelope: `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"connector_id":${connectorText},"reservation":{"reservation_id":${idText},"id_token":"BIG","expiry_time":"${isoIn(3_600_000)}"}}}}`,
    };
  };

  it('refuses a reservation_id beyond 2^53 - 1, which could alias another reservation', async () => {
    // 2^53 + 1 reads as 2^53 in a JS number: accepted, it would replace a reservation held as 2^53.
    for (const idText of ['9007199254740992', '9007199254740993', '-9007199254740993', '1e308', '-1e308', '1e400']) {
      const { envelope, id } = reserveWithIdText(idText, '1');
      const result = await ctx.station.probe.callRaw(MODULE_ID, 'reserve_now', envelope, { id, origin: 'ocpp' });
      expect([idText, result.error?.__everest__error_type]).toEqual([idText, 'SchemaValidationError']);
      expect(result.error?.__everest__error_msg).toContain('reservation_id');
    }
    expect(await heldIds(ctx)).toEqual([]);
  });

  it('holds and cancels reservation_id 2^53 - 1 exactly, and refuses to cancel beyond it', async () => {
    const { envelope, id } = reserveWithIdText(String(MAX_SAFE), '1');
    expect((await ctx.station.probe.callRaw(MODULE_ID, 'reserve_now', envelope, { id, origin: 'ocpp' })).retval).toBe('Accepted');
    const second = reserveWithIdText('9007199254740993', '2');
    expect((await ctx.station.probe.callRaw(MODULE_ID, 'reserve_now', second.envelope, { id: second.id, origin: 'ocpp' })).error?.__everest__error_type).toBe(
      'SchemaValidationError',
    );
    expect(await heldIds(ctx)).toEqual([MAX_SAFE]);
    const cancelId = randomUUID();
    const cancelBeyond = await ctx.station.probe.callRaw(MODULE_ID, 'cancel_reservation', `{"msg_type":"Cmd","data":{"id":"${cancelId}","origin":"ocpp","args":{"reservation_id":9007199254740992}}}`, {
      id: cancelId,
      origin: 'ocpp',
    });
    expect(cancelBeyond.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(await ctx.station.cancel(MAX_SAFE)).toBe(true);
    const end = await ctx.station.ends.waitFor((p) => (p as { data: { data: { reservation_id: number } } }).data.data.reservation_id === MAX_SAFE, 5000);
    expect(end.raw.toString()).toBe(`{"msg_type":"Var","data":{"data":{"reservation_id":${MAX_SAFE},"reason":"Cancelled"}}}`);
  });

  it('takes reservation_id 0 and negative ids as ordinary ids', async () => {
    const endsBefore = ctx.station.endEvents().length;
    expect(await ctx.station.reserveNow(1, reservation(0))).toBe('Accepted');
    expect(await ctx.station.reserveNow(2, reservation(-1))).toBe('Accepted');
    expect(await ctx.station.reserveNow(3, reservation(-MAX_SAFE))).toBe('Accepted');
    expect(await heldIds(ctx)).toEqual([-MAX_SAFE, -1, 0]);
    for (const id of [0, -1, -MAX_SAFE]) expect(await ctx.station.cancel(id)).toBe(true);
    await ctx.station.ends.waitForCount(endsBefore + 3, 5000);
    expect(ctx.station.endEvents().slice(endsBefore)).toEqual([0, -1, -MAX_SAFE].map((reservation_id) => ({ reservation_id, reason: 'Cancelled' })));
  });

  it('answers Rejected for a connector_id that is negative, zero (unsupported) or huge, and SchemaValidationError for a fraction', async () => {
    for (const connectorText of ['-1', '0', '9007199254740993', '1e308', '-1e308']) {
      const { envelope, id } = reserveWithIdText('22', connectorText);
      const result = await ctx.station.probe.callRaw(MODULE_ID, 'reserve_now', envelope, { id, origin: 'ocpp' });
      expect([connectorText, result.retval]).toEqual([connectorText, 'Rejected']);
    }
    expect((await ctx.station.call('reserve_now', reserveArgs(22, 1.5))).error?.__everest__error_type).toBe('SchemaValidationError');
    expect(await ctx.station.exists({ connector_id: -1, id_token: 'X' })).toBe('NotReserved');
    expect(await ctx.station.exists({ connector_id: 1e308, id_token: 'X' })).toBe('NotReserved');
    expect(await heldIds(ctx)).toEqual([]);
  });
});

describe('expiry_time: RFC 3339 edge cases', () => {
  const ctx = guardedStation();

  it.each([
    ['an offset of +05:30', '2099-06-01T12:00:00+05:30'],
    ['the unknown-offset form -00:00', '2099-06-01T12:00:00-00:00'],
    ['nanoseconds', '2099-06-01T12:00:00.123456789Z'],
    ['a fraction with an offset', '2099-06-01T12:00:00.5-08:00'],
    ['a leap second', '2099-12-31T23:59:60Z'],
    ['a leap second in another offset', '2100-01-01T00:59:60+01:00'],
    ['lower-case t and z', '2099-06-01t12:00:00z'],
    ['February 29 of a leap year', '2096-02-29T00:00:00Z'],
    ['the last second of year 9999', '9999-12-31T23:59:59Z'],
  ])('accepts %s and keeps it as given', async (_name, expiry) => {
    expect(await ctx.station.reserveNow(1, reservation(30, { expiry_time: expiry }))).toBe('Accepted');
    expect((await ctx.station.list()).find((r) => r.reservation_id === 30)?.expiry_time).toBe(expiry);
    expect(await ctx.station.cancel(30)).toBe(true);
  });

  it.each([
    ['24:00', '2099-06-01T24:00:00Z'],
    ['February 30', '2099-02-30T12:00:00Z'],
    ['February 29 of a common year', '2099-02-29T12:00:00Z'],
    ['month 13', '2099-13-01T12:00:00Z'],
    ['minute 60', '2099-06-01T12:60:00Z'],
    ['second 60 that is no leap second', '2099-06-01T12:00:60Z'],
    ['an offset of +24:00', '2099-06-01T12:00:00+24:00'],
    ['a bare dot', '2099-06-01T12:00:00.Z'],
    ['a comma fraction', '2099-06-01T12:00:00,5Z'],
    ['an expanded year', '+02099-06-01T12:00:00Z'],
    ['a trailing space', '2099-06-01T12:00:00Z '],
    ['a trailing newline', '2099-06-01T12:00:00Z\n'],
    ['a leading space', ' 2099-06-01T12:00:00Z'],
    ['an empty string', ''],
    ['a week date', '2099-W22-1T12:00:00Z'],
    ['epoch seconds as a string', '4084516800'],
  ])('answers SchemaValidationError for %s', async (_name, expiry) => {
    const result = await ctx.station.call('reserve_now', reserveArgs(31, 1, { expiry_time: expiry }));
    expect(result.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(result.error?.__everest__error_msg).toContain('expiry_time');
    expect(await heldIds(ctx)).toEqual([]);
  });

  it.each([
    ['the epoch', '1970-01-01T00:00:00Z'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['a leap day in the past, far east', '2000-02-29T00:00:00+14:00'],
  ])('answers Rejected for %s (not in the future)', async (_name, expiry) => {
    expect(await ctx.station.reserveNow(1, reservation(32, { expiry_time: expiry }))).toBe('Rejected');
    expect(await heldIds(ctx)).toEqual([]);
  });

  it('does not end a reservation set for year 9999 early (no timer overflow)', async () => {
    const endsBefore = ctx.station.endEvents().length;
    expect(await ctx.station.reserveNow(1, reservation(33, { expiry_time: '9999-12-31T23:59:59.999Z' }))).toBe('Accepted');
    await sleep(1500);
    expect(await heldIds(ctx)).toEqual([33]);
    expect(ctx.station.endEvents().length).toBe(endsBefore);
    expect(await ctx.station.cancel(33)).toBe(true);
  });
});

describe('duplicate call ids: every call is answered', () => {
  const ctx = guardedStation();

  /** Publishes each payload on its command's topic without waiting, then collects the answers with `id`. */
  async function sendAll(id: string, calls: Array<[string, string]>): Promise<Array<{ topic: string; result: CallResult }>> {
    const from = ctx.traffic.entries.length;
    await Promise.all(calls.map(([cmd, payload]) => ctx.station.probe.publishRaw(ctx.station.probe.cmdTopic(MODULE_ID, cmd), payload, 2)));
    const answered = (): ReceivedMessage[] => ctx.traffic.entries.slice(from).filter((m) => isCmdResult(m) && resultOf(m).id === id);
    await ctx.traffic.waitFor(() => answered().length >= calls.length, 5000);
    await sleep(SETTLE_MS);
    return answered().map((m) => ({ topic: m.topic, result: resultOf(m) }));
  }

  it('answers two reserve_now calls with the same id, and holds both reservations', async () => {
    const id = randomUUID();
    const answers = await sendAll(id, [
      ['reserve_now', cmdEnvelope(id, 'ocpp', reserveArgs(40, 1))],
      ['reserve_now', cmdEnvelope(id, 'ocpp', reserveArgs(41, 2))],
    ]);
    expect(answers.map((a) => a.result.retval)).toEqual(['Accepted', 'Accepted']);
    expect(await heldIds(ctx)).toEqual([40, 41]);
    for (const r of [40, 41]) expect(await ctx.station.cancel(r)).toBe(true);
  });

  it('answers the same id on different commands and origins, each on its own topic', async () => {
    const id = randomUUID();
    const answers = await sendAll(id, [
      ['reserve_now', cmdEnvelope(id, 'ocpp', reserveArgs(42, 1))],
      ['cancel_reservation', cmdEnvelope(id, 'ocpp', { reservation_id: 4242 })],
      ['list_reservations', cmdEnvelope(id, 'ocpp', {})],
      ['list_reservations', cmdEnvelope(id, 'operator', {})],
    ]);
    const byTopic = Object.fromEntries(answers.map((a) => [a.topic.slice(a.topic.indexOf('/cmd/') + 5), a.result.retval]));
    expect(Object.keys(byTopic).sort()).toEqual(['cancel_reservation/response/ocpp', 'list_reservations/response/ocpp', 'list_reservations/response/operator', 'reserve_now/response/ocpp']);
    expect(byTopic['reserve_now/response/ocpp']).toBe('Accepted');
    expect(byTopic['cancel_reservation/response/ocpp']).toBe(false);
    expect(answers).toHaveLength(4);
    expect(await ctx.station.cancel(42)).toBe(true);
  });

  it('answers a replayed message twice: a replayed cancel ends the reservation once', async () => {
    expect(await ctx.station.reserveNow(1, reservation(43))).toBe('Accepted');
    const endsBefore = ctx.station.endEvents().length;
    const id = randomUUID();
    const cancel = cmdEnvelope(id, 'ocpp', { reservation_id: 43 });
    const answers = await sendAll(id, [
      ['cancel_reservation', cancel],
      ['cancel_reservation', cancel],
    ]);
    // One finds the reservation, the other does not; the answer without a change may go out first.
    expect(answers.map((a) => a.result.retval).sort()).toEqual([false, true]);
    await sleep(SETTLE_MS);
    expect(ctx.station.endEvents().slice(endsBefore)).toEqual([{ reservation_id: 43, reason: 'Cancelled' }]);
  });
});

describe('a flood of valid commands from one client', () => {
  const COUNT = 1000;
  const ctx = guardedStation({ connectors: 2 * COUNT + 4 });

  it(`answers ${COUNT} reserve_now, then ${COUNT} cancels and ${COUNT / 2} moves in flight, each exactly once, with the right final state`, async () => {
    const { station } = ctx;
    const answers = new Map<string, CallResult[]>();
    await station.probe.collect(`${station.prefix}modules/${MODULE_ID}/impl/main/cmd/+/response/ocpp`, 2, (m) => {
      const result = resultOf(m);
      answers.set(result.id, [...(answers.get(result.id) ?? []), result]);
    });
    const publishAll = async (calls: Array<[string, unknown]>): Promise<string[]> => {
      const ids = calls.map(() => randomUUID());
      await Promise.all(calls.map(([cmd, args], i) => station.probe.publishRaw(station.probe.cmdTopic(MODULE_ID, cmd), cmdEnvelope(ids[i], 'ocpp', args), 2)));
      for (const deadline = Date.now() + 60_000; !ids.every((id) => answers.has(id)); await sleep(50)) {
        if (Date.now() > deadline) throw new Error(`${ids.filter((id) => !answers.has(id)).length} of ${ids.length} calls unanswered after 60 s`);
      }
      return ids;
    };
    const far = '2099-01-01T00:00:00Z';
    const ids = Array.from({ length: COUNT }, (_, i) => i + 1);

    // Reservation n on connector n + 4 (the sentinel holds 4).
    const reserved = await publishAll(ids.map((n) => ['reserve_now', { connector_id: n + 4, reservation: reservation(n, { expiry_time: far }) }]));
    expect(reserved.map((id) => answers.get(id)?.map((r) => r.retval))).toEqual(ids.map(() => ['Accepted']));

    // Cancel the first half, cancel as many ids never held, and move the second half to connectors n + 4 + COUNT.
    const firstHalf = ids.slice(0, COUNT / 2);
    const secondHalf = ids.slice(COUNT / 2);
    const calls: Array<[string, unknown]> = [];
    for (let i = 0; i < COUNT / 2; i++) {
      calls.push(['cancel_reservation', { reservation_id: firstHalf[i] }]);
      calls.push(['cancel_reservation', { reservation_id: 100_000 + i }]);
      const n = secondHalf[i] as number;
      calls.push(['reserve_now', { connector_id: n + 4 + COUNT, reservation: reservation(n, { expiry_time: far }) }]);
    }
    const second = await publishAll(calls);
    expect(second.map((id) => answers.get(id)?.map((r) => r.retval))).toEqual(calls.map(([cmd, args]) => [cmd === 'reserve_now' ? 'Accepted' : (args as { reservation_id: number }).reservation_id <= COUNT]));

    await station.ends.waitForCount(COUNT / 2, 30_000);
    await sleep(SETTLE_MS);
    expect([...answers.values()].filter((a) => a.length !== 1)).toEqual([]);
    expect(station.endEvents().map((e) => e.reservation_id).sort((a, b) => a - b)).toEqual(firstHalf);
    expect(station.endEvents().every((e) => e.reason === 'Cancelled')).toBe(true);
    const held = (await station.list()).filter((r) => r.reservation_id !== SENTINEL.reservation_id);
    expect(held.map((r) => [r.reservation_id, r.connector_id])).toEqual(secondHalf.map((n) => [n, n + 4 + COUNT]));
  });
});
