// The EVerest command envelope on the wire, and what the module does with bad input
// (spec: "Bad input"; everest-mqtt.md: Commands).
import { randomUUID } from 'node:crypto';
import { type Broker, startBroker } from '../support/broker';
import { isoIn, reservation, type Station, startStation } from '../support/harness';
import { Probe } from '../support/probe';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const MODULE_ID = 'reservation_under_test';

/** A station with one reservation (id 1 on connector 1) held, to see that bad calls change nothing. */
async function stationWithOneReservation(): Promise<{ station: Station; before: unknown[] }> {
  const station = await startStation(broker, { moduleId: MODULE_ID, configModule: { connectors: 2 } });
  expect(await station.reserveNow(1, reservation(1, { id_token: 'HELD' }))).toBe('Accepted');
  const before = await station.list();
  expect(before).toHaveLength(1);
  return { station, before };
}

describe('the CmdResult envelope', () => {
  it('answers on .../response/<origin> with msg_type, type result, the call id, the retval and the module id as origin', async () => {
    const station = await startStation(broker, { moduleId: MODULE_ID });
    const cmdTopic = station.probe.cmdTopic(MODULE_ID, 'reserve_now');
    const responses = await station.probe.collect(`${cmdTopic}/response/#`);
    const id = randomUUID();
    const args = { connector_id: 1, reservation: reservation(3) };
    await station.probe.publishRaw(cmdTopic, JSON.stringify({ msg_type: 'Cmd', data: { id, args, origin: 'ocpp_caller' } }), 2);

    const answer = await responses.next(5000);
    expect(answer.topic).toBe(`${station.prefix}modules/${MODULE_ID}/impl/main/cmd/reserve_now/response/ocpp_caller`);
    expect(answer.payload).toEqual({ msg_type: 'CmdResult', data: { type: 'result', data: { id, retval: 'Accepted', origin: MODULE_ID } } });
  });

  it('answers an error with the same envelope, error instead of retval', async () => {
    const station = await startStation(broker, { moduleId: MODULE_ID });
    const cmdTopic = station.probe.cmdTopic(MODULE_ID, 'cancel_reservation');
    const responses = await station.probe.collect(`${cmdTopic}/response/#`);
    const id = randomUUID();
    await station.probe.publishRaw(cmdTopic, JSON.stringify({ msg_type: 'Cmd', data: { id, args: {}, origin: 'ocpp_caller' } }), 2);

    const answer = await responses.next(5000);
    expect(answer.topic).toBe(`${cmdTopic}/response/ocpp_caller`);
    expect(answer.payload).toEqual({
      msg_type: 'CmdResult',
      data: {
        type: 'result',
        data: { id, origin: MODULE_ID, error: { __everest__error_type: 'SchemaValidationError', __everest__error_msg: expect.stringContaining('reservation_id') } },
      },
    });
    expect(Object.keys((answer.payload as { data: { data: object } }).data.data)).not.toContain('retval');
  });

  it('answers list_reservations with retval [] and the module id as origin when nothing is held', async () => {
    const station = await startStation(broker, { moduleId: MODULE_ID });
    const result = await station.call('list_reservations', {});
    expect(result).toEqual({ id: expect.any(String), origin: MODULE_ID, retval: [] });
  });
});

describe('arguments that fail the interface schema answer SchemaValidationError naming the argument', () => {
  const valid = (): Record<string, unknown> => ({ connector_id: 1, reservation: reservation(1, { id_token: 'REPLACED' }) });
  const cases: Array<[string, string, () => Record<string, unknown>, string[]]> = [
    ['a missing argument', 'reserve_now', () => ({ connector_id: 2 }), ['reservation']],
    ['an unknown extra argument', 'reserve_now', () => ({ ...valid(), priority: 1 }), ['priority']],
    ['connector_id as a string', 'reserve_now', () => ({ ...valid(), connector_id: '1' }), ['connector_id']],
    ['a reservation without expiry_time', 'reserve_now', () => ({ connector_id: 2, reservation: { reservation_id: 1, id_token: 'REPLACED' } }), ['reservation', 'expiry_time']],
    ['expiry_time "tomorrow"', 'reserve_now', () => ({ connector_id: 2, reservation: { ...reservation(1), expiry_time: 'tomorrow' } }), ['expiry_time']],
    ['expiry_time as a date without time', 'reserve_now', () => ({ connector_id: 2, reservation: { ...reservation(1), expiry_time: '2099-01-01' } }), ['expiry_time']],
    ['expiry_time without a time zone', 'reserve_now', () => ({ connector_id: 2, reservation: { ...reservation(1), expiry_time: '2099-01-01T10:00:00' } }), ['expiry_time']],
    ['cancel_reservation with a string id', 'cancel_reservation', () => ({ reservation_id: '1' }), ['reservation_id']],
    ['list_reservations with an argument', 'list_reservations', () => ({ connector_id: 1 }), ['connector_id']],
    ['a reservation field the module does not implement', 'reserve_now', () => ({ connector_id: 2, reservation: { ...reservation(1), evse_id: 2 } }), ['reservation', 'evse_id']],
    ['an id_token longer than 255 characters', 'reserve_now', () => ({ connector_id: 2, reservation: reservation(1, { id_token: 'X'.repeat(256) }) }), ['reservation', 'id_token']],
  ];

  it.each(cases)('%s', async (_name, cmd, args, named) => {
    const { station, before } = await stationWithOneReservation();
    const result = await station.call(cmd, args());
    expect(result.retval).toBeUndefined();
    expect(result.error?.__everest__error_type).toBe('SchemaValidationError');
    for (const word of named) expect(result.error?.__everest__error_msg).toContain(word);
    expect(await station.list()).toEqual(before);
  });
});

it('accepts an expiry_time with a space between date and time, as RFC 3339 allows', async () => {
  const station = await startStation(broker, { moduleId: MODULE_ID });
  const inAnHour = isoIn(3_600_000).replace('T', ' ');
  expect(await station.reserveNow(1, reservation(8, { expiry_time: inAnHour }))).toBe('Accepted');
  expect(await station.list()).toEqual([expect.objectContaining({ reservation_id: 8, expiry_time: inAnHour })]);
});

describe('malformed Cmd envelopes with a usable id and origin answer MessageParsingError', () => {
  const envelope = (id: string, data: Record<string, unknown>, msgType = 'Cmd'): string => JSON.stringify({ msg_type: msgType, data: { id, origin: 'ocpp', ...data } });
  const cases: Array<[string, (id: string) => string]> = [
    ['msg_type is not Cmd', (id) => envelope(id, { args: { reservation_id: 1 } }, 'Var')],
    ['args is an array', (id) => envelope(id, { args: [1] })],
    ['args is a string', (id) => envelope(id, { args: 'reservation_id=1' })],
    ['args is missing', (id) => envelope(id, {})],
    // Written by hand: an object literal's __proto__ would set the prototype, not a key.
    ['args has a __proto__ key', (id) => `{"msg_type":"Cmd","data":{"id":"${id}","origin":"ocpp","args":{"reservation_id":1,"__proto__":{"isAdmin":true}}}}`],
  ];

  it.each(cases)('%s', async (_name, payload) => {
    const { station, before } = await stationWithOneReservation();
    const id = randomUUID();
    const result = await station.probe.callRaw(MODULE_ID, 'cancel_reservation', payload(id), { id, origin: 'ocpp' });
    expect(result).toEqual({ id, origin: MODULE_ID, error: { __everest__error_type: 'MessageParsingError', __everest__error_msg: expect.any(String) } });
    // Reservation 1 was not cancelled.
    expect(await station.list()).toEqual(before);
    expect(station.endEvents()).toEqual([]);
  });
});

describe('messages without a usable id or origin are dropped, and the module keeps serving', () => {
  const cmdEnvelope = (data: Record<string, unknown>): string => JSON.stringify({ msg_type: 'Cmd', data: { args: { reservation_id: 1 }, ...data } });
  const longOrigin = 'Z'.repeat(70_000);
  // [name, payload, a string no topic may contain]
  const cases: Array<[string, string | Buffer, string | undefined]> = [
    ['a payload that is not JSON', Buffer.from('{"msg_type":"Cmd","data":{"id":"x","origin":"ocpp_bad"'), undefined],
    ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x80]), undefined],
    ['no id', cmdEnvelope({ origin: 'ocpp_noid' }), 'ocpp_noid'],
    ['no origin', cmdEnvelope({ id: randomUUID() }), undefined],
    ['an origin with a slash', cmdEnvelope({ id: randomUUID(), origin: 'evil/origin' }), 'evil/origin'],
    ['an origin with +', cmdEnvelope({ id: randomUUID(), origin: 'evil+origin' }), 'evil+origin'],
    ['an origin with #', cmdEnvelope({ id: randomUUID(), origin: 'evil#origin' }), 'evil#origin'],
    ['an origin with NUL', cmdEnvelope({ id: randomUUID(), origin: 'evil\u0000origin' }), '\u0000'],
    ['an empty origin', cmdEnvelope({ id: randomUUID(), origin: '' }), undefined],
    ['an origin of 70,000 characters', cmdEnvelope({ id: randomUUID(), origin: longOrigin }), 'ZZZZZZZZZZZZZZZZ'],
  ];

  it.each(cases)('%s', async (_name, payload, forbidden) => {
    const { station, before } = await stationWithOneReservation();
    // A separate client watches everything, so its subscriptions overlap with no one else's.
    const watcher = await Probe.connect(broker.url, { prefix: station.prefix, origin: 'watcher' });
    const everything = await watcher.collect('#');
    const status = await watcher.collect(`${station.prefix}modules/${MODULE_ID}/status`);
    await status.waitFor((p) => p === 'online', 5000);
    const linesBefore = station.module.lines().length;

    await station.probe.publishRaw(station.probe.cmdTopic(MODULE_ID, 'cancel_reservation'), payload, 2);
    // Logged at warn level or above.
    await station.module.waitForLog((line) => line.level >= 40 && station.module.lines().indexOf(line) >= linesBefore, 5000);

    // Still serving: a following valid call is answered, and nothing changed.
    expect(await station.list()).toEqual(before);
    const followUp = await station.call('cancel_reservation', { reservation_id: 12345 });
    expect(followUp.retval).toBe(false);
    await sleep(200);

    const ours = everything.entries.filter((m) => m.topic.startsWith(station.prefix));
    if (forbidden !== undefined) expect(ours.filter((m) => m.topic.includes(forbidden)).map((m) => m.topic)).toEqual([]);
    // The only answers on cancel_reservation's response topics are to the follow-up call.
    const answers = ours.filter((m) => m.topic.includes('/cmd/cancel_reservation/response/'));
    expect(answers.map((m) => (m.payload as { data: { data: { id: string } } }).data.data.id)).toEqual([followUp.id]);
    // The module never lost its broker connection (its last will would say offline).
    expect(status.messages.every((p) => p === 'online')).toBe(true);
    expect(station.module.child.exitCode).toBeNull();
    expect(station.endEvents()).toEqual([]);
  });
});

describe('robustness', () => {
  it('keeps serving other callers while one sends a stream of bad calls', async () => {
    const { station, before } = await stationWithOneReservation();
    const topic = station.probe.cmdTopic(MODULE_ID, 'reserve_now');
    const bad = [
      'not json',
      JSON.stringify({ msg_type: 'Cmd', data: { id: 'a', origin: 'x/y', args: {} } }),
      JSON.stringify({ msg_type: 'Cmd', data: { id: 'b', origin: 'x#', args: {} } }),
      JSON.stringify({ msg_type: 'Cmd', data: { id: 'c', origin: 'x+', args: {} } }),
      JSON.stringify({ msg_type: 'Cmd', data: { id: 'd', origin: 'ocpp', args: { connector_id: 'one' } } }),
    ];
    for (const payload of bad) await station.probe.publishRaw(topic, payload, 2);
    expect(await station.reserveNow(2, reservation(2, { expiry_time: isoIn(60_000) }))).toBe('Accepted');
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([...before.map((r) => (r as { reservation_id: number }).reservation_id), 2]);
  });
});
