// Issue 27: the module in EVerest's token path (spec/everest-token-path.md §2), rule by rule, on a
// real mosquitto with doubles for a reader, the OCPP module's provider, EvseManagers (their
// token_provider and authorize_response), a validator, and Auth's side of the module.
import { type Broker, startBroker } from '../support/broker';
import { spawnCli } from '../support/cli-process';
import { evseReservation, evsesOf, startEvseModule, startEvseStation } from '../support/evse-station';
import { EvseDouble } from '../support/evse-double';
import { reservation, startStation, stateFile } from '../support/harness';
import { uniquePrefix } from '../support/module-process';
import { sleep } from '../support/teardown';
import { ACCEPTED, AuthSide, card, eventually, plugAndCharge, remoteStart, startTokenCharger, TokenProviderDouble, ValidatorDouble } from '../support/token-path';
import { redact } from '../../src/token-path/redact';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const CCS2 = ['cCCS2'];
const TYPE2 = ['cType2'];
const three = (): ReturnType<typeof evsesOf> => evsesOf(CCS2, CCS2, CCS2);

describe('the gate: each token passed on at once, narrowed to where it may start', () => {
  it('passes every token unchanged, once, while nothing is reserved (an unknown EVSE id included)', async () => {
    const charger = await startTokenCharger(broker, three());
    const token = card('04A2B3C4', { request_id: 3, parent_id_token: { value: 'FLEET', type: 'Central' }, connectors: [9, 2], prevalidated: false });
    await charger.reader.present(token);
    await charger.ocpp.present(remoteStart('REMOTE1', 1));
    expect(await charger.auth.nth(1)).toEqual(token);
    expect(await charger.auth.nth(2)).toEqual(remoteStart('REMOTE1', 1));
    await sleep(300);
    expect(charger.auth.received()).toHaveLength(2);
  });

  it('keeps an EVSE-specific reservation for its holder: a stranger loses that EVSE, the holder (any case) gets it first', async () => {
    const charger = await startTokenCharger(broker, three());
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'Alice' }))).toBe('Accepted');
    await charger.reader.present(card('STRANGER'));
    expect((await charger.auth.nth(1)).connectors).toEqual([1, 3]);
    await charger.reader.present(card('alice'));
    expect((await charger.auth.nth(2)).connectors).toEqual([2, 1, 3]);
    // Remote starts carry the group token: a reservation for that group takes them.
    expect(await charger.reserve(evseReservation(8, { evse_id: 3, id_token: 'Bob', parent_id_token: 'FLEET' }))).toBe('Accepted');
    await charger.ocpp.present(remoteStart('CAROL', 3, { parent_id_token: { value: 'fleet', type: 'Central' } }));
    expect(await charger.auth.nth(3)).toEqual(remoteStart('CAROL', 3, { parent_id_token: { value: 'fleet', type: 'Central' } }));
    // Without a group token: refused if prevalidated (nobody would check its group), else left to the validator.
    await charger.ocpp.present(remoteStart('CAROL', 3, { prevalidated: true }));
    expect((await charger.auth.nth(4)).connectors).toEqual([]);
    await charger.ocpp.present(remoteStart('CAROL', 3));
    expect((await charger.auth.nth(5)).connectors).toEqual([3]);
  });

  it('copies every other field exactly, and drops ids the station does not have', async () => {
    const charger = await startTokenCharger(broker, three());
    await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice' }));
    const token = card('04A2B3C4', { request_id: 12, connectors: [5, 1, 3], prevalidated: true, parent_id_token: { value: 'P', type: 'Central' } });
    await charger.reader.present(token);
    expect(await charger.auth.nth(1)).toEqual({ ...token, connectors: [3] });
  });

  it('keeps a free EVSE only where the station-wide reservations of other tokens stay feasible; their holder may use any', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, ['cType2'], ['cType2']));
    expect(await charger.reserve(evseReservation(5, { id_token: 'T2-A', connector_type: 'cType2' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(6, { id_token: 'T2-B', connector_type: 'cType2' }))).toBe('Accepted');
    await charger.reader.present(card('WALKIN'));
    expect((await charger.auth.nth(1)).connectors).toEqual([1]);
    await charger.reader.present(card('t2-a'));
    expect((await charger.auth.nth(2)).connectors).toBeUndefined();
  });

  it('keeps an EVSE where a driver is authorised or charging, for Auth\'s stop paths, but not one where a car only waits', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice' }));
    await charger.evse[0]?.sessionStarted();
    await sleep(300);
    await charger.reader.present(card('BOB'));
    expect((await charger.auth.nth(1)).connectors).toEqual([2]);
    await charger.evse[0]?.sessionEvent({ event: 'Authorized' });
    await sleep(300);
    await charger.reader.present(card('BOB'));
    expect((await charger.auth.nth(2)).connectors).toBeUndefined();
    await charger.evse[0]?.sessionEvent({ event: 'Deauthorized' });
    await sleep(300);
    await charger.reader.present(card('BOB'));
    expect((await charger.auth.nth(3)).connectors).toEqual([2]);
  });

  it('refuses with an empty list when nothing is left, and tells a Plug&Charge car\'s EvseManager NotAtThisTime', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'Alice' }));
    await charger.reader.present(card('BOB', { connectors: [2] }));
    expect((await charger.auth.nth(1)).connectors).toEqual([]);
    expect(charger.evse[1]?.authorizeResponses).toEqual([]);
    const contract = plugAndCharge('DE*ABC*C123456*7', 2);
    await charger.evse[1]?.presentToken(contract);
    expect(await charger.auth.nth(2)).toEqual({ ...contract, connectors: [] });
    await eventually(() => charger.evse[1]?.authorizeResponses.length === 1, 'authorize_response on EVSE 2');
    expect(charger.evse[1]?.authorizeResponses[0]?.args).toEqual({ provided_token: contract, validation_result: { authorization_status: 'NotAtThisTime', tariff_messages: [] } });
    expect(charger.evse[0]?.authorizeResponses).toEqual([]);
  });

  it('logs each narrowed or refused token (redacted as EVerest redacts it), publishes it as an event, and counts it in the snapshot', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'Alice' }));
    await charger.reader.present(card('SECRET-CARD-0042'));
    await charger.reader.present(card('SECRET-CARD-0042', { connectors: [2] }));
    await charger.reader.present(card('alice'));
    await charger.auth.nth(3);
    const module = charger.station.module;
    const narrowed = await module.waitForLog((line) => line.msg === 'token narrowed to the EVSEs where it may start');
    expect(narrowed).toMatchObject({ token: redact('SECRET-CARD-0042'), provider: 'rfid_reader', evses_kept: [1], removed: [{ evse_id: 2, why: 'ReservedForOtherToken' }] });
    const refused = await module.waitForLog((line) => String(line.msg).startsWith('token refused'));
    expect(refused).toMatchObject({ evses_asked: [2], evses_kept: [], removed: [{ evse_id: 2, why: 'ReservedForOtherToken' }] });
    expect(module.lines().some((line) => JSON.stringify(line).includes('SECRET-CARD'))).toBe(false);
    // The holder's card loses nothing (its EVSE only goes first): passed, not narrowed.
    const events = await charger.tokenEvents.waitForCount(2);
    await sleep(300);
    expect(charger.tokenEvents.messages.map((e) => (e as { kind: string }).kind)).toEqual(['narrowed', 'refused']);
    expect(events[0]?.payload).toMatchObject({ token: redact('SECRET-CARD-0042'), removed: [{ evse_id: 2, why: 'ReservedForOtherToken' }], at: expect.any(String) });
    const snapshot = await charger.station.probe.collect(`${charger.station.prefix}modules/reservation/snapshot`);
    await snapshot.waitFor((payload) => (payload as { tokens?: { passed: number } }).tokens?.passed === 1, 5000);
    expect((snapshot.messages.at(-1) as { tokens: unknown }).tokens).toEqual({ passed: 1, narrowed: 1, refused: 1, refused_at_validation: 0 });
  });

  it('passes tokens unchanged until every EVSE manager said which EVSE it is', async () => {
    const prefix = uniquePrefix();
    const evse = await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: 'cCCS2' }] } });
    const late = await EvseDouble.start(broker, prefix, 'evse_manager_2', { evse: { id: 2, connectors: [{ id: 1, type: 'cCCS2' }] } });
    late.answerGetEvse({ kind: 'silent' });
    const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    const charger = await startEvseStation(broker, {
      prefix,
      configModule: { evse_manager_call_timeout_ms: 1000 },
      connections: { evse_manager: [evse.connection, late.connection], token_providers: [reader.connection] },
    });
    await charger.station.module.waitForLog((line) => line.msg === 'EVSE manager described its EVSE', 10_000);
    expect(await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice' }))).toBe('Accepted');
    await reader.present(card('BOB'));
    expect((await auth.nth(1)).connectors).toBeUndefined();
    late.answerGetEvse({ kind: 'normal' });
    await charger.station.module.waitForLog((line) => line.msg === 'EVSE manager described its EVSE' && line.evse_manager === 'evse_manager_2', 15_000);
    await reader.present(card('BOB'));
    expect((await auth.nth(2)).connectors).toEqual([2]);
  });

  it('also guards the connector interface: connector N is EVSE N', async () => {
    const prefix = uniquePrefix();
    const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    const station = await startStation(broker, { prefix, configModule: { connectors: 2 }, connections: { token_providers: [reader.connection] } });
    expect(await station.reserveNow(1, reservation(3, { id_token: 'Alice' }))).toBe('Accepted');
    await reader.present(card('BOB'));
    expect((await auth.nth(1)).connectors).toEqual([2]);
  });

  it('publishes nothing on its token_provider when no provider is connected (not in the token path)', async () => {
    const prefix = uniquePrefix();
    const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    const station = await startStation(broker, { prefix, configModule: { connectors: 2 } });
    await station.reserveNow(1, reservation(3, { id_token: 'Alice' }));
    await reader.present(card('BOB'));
    await sleep(500);
    expect(auth.received()).toEqual([]);
    const snapshot = await station.probe.collect(`${prefix}modules/reservation/snapshot`);
    expect(await snapshot.next()).not.toHaveProperty('payload.tokens');
  });

  it('drops an invalid token with a warning and keeps serving', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2));
    await charger.reader.probe.publishVar('rfid_reader', 'main', 'provided_token', { id_token: { value: 'X' } });
    await charger.reader.probe.publishRaw(`${charger.station.prefix}modules/rfid_reader/impl/main/var/provided_token`, 'not json');
    await charger.reader.present(card('GOOD'));
    expect(await charger.auth.nth(1)).toEqual(card('GOOD'));
    expect(charger.auth.received()).toHaveLength(1);
    expect(charger.station.module.lines().filter((line) => String(line.msg).startsWith('invalid provided_token'))).toHaveLength(2);
  });
});

describe('the validator: the real validators\' answer, with the reservation a token uses', () => {
  it('answers Unknown with no tariff messages when no validator is connected', async () => {
    const prefix = uniquePrefix();
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    await startStation(broker, { prefix, configModule: { connectors: 1 } });
    expect(await auth.validate(card('ANY'))).toEqual({ authorization_status: 'Unknown', tariff_messages: [] });
  });

  it('passes the answer on as it came, asking every validator at once and taking the first Accepted in connection order', async () => {
    const prefix = uniquePrefix();
    const local = await ValidatorDouble.start(broker, prefix, 'local_list', 'main');
    const central = await ValidatorDouble.start(broker, prefix, 'ocpp', 'auth_validator');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    await startStation(broker, { prefix, configModule: { connectors: 1 }, connections: { token_validators: [local.connection, central.connection] } });
    const rich = { authorization_status: 'Accepted', tariff_messages: [{ content: '0.39 EUR/kWh', format: 'UTF8', language: 'en' }], expiry_time: '2027-01-01T00:00:00Z', parent_id_token: { value: 'GROUP', type: 'Central' }, evse_ids: [1] };
    local.answers(() => ({ retval: { authorization_status: 'Invalid', tariff_messages: [] } }));
    central.answers(() => ({ retval: rich }));
    expect(await auth.validate(card('04A2'))).toEqual(rich);
    expect(local.asked()).toEqual([card('04A2')]);
    expect(central.asked()).toEqual([card('04A2')]);
    // The first Accepted wins without waiting for a slower validator after it.
    local.answers(() => ({ retval: ACCEPTED }));
    central.answers(async () => {
      await sleep(3000);
      return { retval: rich };
    });
    const started = Date.now();
    expect(await auth.validate(card('04A2'))).toEqual(ACCEPTED);
    expect(Date.now() - started).toBeLessThan(2900);
    // None accepted: the last validator's answer, as Auth would pass it on.
    local.answers(() => ({ retval: { authorization_status: 'Blocked', tariff_messages: [] } }));
    central.answers(() => ({ retval: { authorization_status: 'Expired', tariff_messages: [] } }));
    expect(await auth.validate(card('04A2'))).toEqual({ authorization_status: 'Expired', tariff_messages: [] });
  });

  it('counts a validator that does not answer in time, or answers nonsense, as Unknown, as Auth does', async () => {
    const prefix = uniquePrefix();
    const silent = await ValidatorDouble.start(broker, prefix, 'silent');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    const station = await startStation(broker, { prefix, configModule: { connectors: 1, token_validation_timeout_ms: 500 }, connections: { token_validators: [silent.connection] } });
    silent.answers(() => ({ silent: true }));
    expect(await auth.validate(card('X'))).toEqual({ authorization_status: 'Unknown', tariff_messages: [] });
    silent.answers(() => ({ retval: { authorization_status: 'Maybe' } }));
    expect(await auth.validate(card('X'))).toEqual({ authorization_status: 'Unknown', tariff_messages: [] });
    expect(station.module.lines().filter((line) => line.validator === 'silent')).toHaveLength(2);
  });

  it('adds the reservation a token uses on the one EVSE it names, by its token or the parent token the validator found', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice', parent_id_token: 'FLEET' }));
    expect(await charger.auth.validate(card('alice', { connectors: [1] }))).toEqual({ ...ACCEPTED, reservation_id: 7 });
    charger.validator.answers(() => ({ retval: { ...ACCEPTED, parent_id_token: { value: 'Fleet', type: 'Central' } } }));
    expect(await charger.auth.validate(card('BOB', { connectors: [1] }))).toEqual({ ...ACCEPTED, parent_id_token: { value: 'Fleet', type: 'Central' }, reservation_id: 7 });
    // Not on a list of more EVSEs, nor on an EVSE the reservation is not on.
    expect(await charger.auth.validate(card('alice', { connectors: [1, 2] }))).toEqual({ ...ACCEPTED, parent_id_token: { value: 'Fleet', type: 'Central' } });
    charger.validator.answers(() => ({ retval: ACCEPTED }));
    expect(await charger.auth.validate(card('alice', { connectors: [2] }))).toEqual(ACCEPTED);
  });

  it('answers NotAtThisTime for a token that matches neither the token nor the group of the reservation on the EVSE it names', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice', parent_id_token: 'FLEET' }));
    charger.validator.answers(() => ({ retval: { ...ACCEPTED, parent_id_token: { value: 'OTHER', type: 'Central' } } }));
    expect(await charger.auth.validate(card('BOB', { connectors: [1] }))).toEqual({ authorization_status: 'NotAtThisTime', tariff_messages: [], parent_id_token: { value: 'OTHER', type: 'Central' } });
    // A refusal by the validators themselves stays theirs.
    charger.validator.answers(() => ({ retval: { authorization_status: 'Blocked', tariff_messages: [] } }));
    expect(await charger.auth.validate(card('BOB', { connectors: [1] }))).toEqual({ authorization_status: 'Blocked', tariff_messages: [] });
    const event = await charger.tokenEvents.waitFor((payload) => (payload as { kind: string }).kind === 'refused_at_validation');
    expect(event.payload).toMatchObject({ token: redact('BOB'), evse_id: 1, why: 'ReservedForOtherToken' });
  });

  it('names the token\'s station-wide reservation on the EVSE its list names, or on a shared reader where every EVSE would use it (token before plug-in)', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2, TYPE2));
    await charger.reserve(evseReservation(5, { id_token: 'Alice', connector_type: 'cCCS2' }));
    expect(await charger.auth.validate(card('ALICE', { connectors: [2] }))).toEqual({ ...ACCEPTED, reservation_id: 5 });
    expect(await charger.auth.validate(card('ALICE', { connectors: [1, 2] }))).toEqual({ ...ACCEPTED, reservation_id: 5 });
    // At a reader shared by all three, Auth might start her on the Type2 EVSE, which her reservation cannot use.
    expect(await charger.auth.validate(card('ALICE'))).toEqual(ACCEPTED);
  });

  it('passes every validate_result_update on as it came', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2));
    const update = { validation_result: { authorization_status: 'Accepted', tariff_messages: [], parent_id_token: { value: 'G', type: 'Central' } }, connector_id: 1 };
    await charger.validator.publishUpdate(update);
    const relayed = await charger.auth.updates.next();
    expect(relayed.payload).toEqual({ msg_type: 'Var', data: { data: update } });
  });
});

describe('use: the EvseManager reports the reservation a session uses, and drops it silently', () => {
  it('ends a reservation Used once when a session starts Authorized with its id, and never cancels or re-reserves it there', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2), { doubles: {} });
    charger.evse[0]?.answer({ kind: 'everest' });
    await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice' }));
    await charger.evse[0]?.sessionStarted({ reason: 'Authorized', token: 'SOMEONE', reservationId: 7 });
    await eventually(() => charger.updateEvents().some((u) => u.reservation_status === 'Used'), 'reservation_update Used');
    await sleep(500);
    expect(charger.updateEvents()).toEqual([
      { reservation_id: 7, reservation_status: 'Placed' },
      { reservation_id: 7, reservation_status: 'Used' },
    ]);
    expect(charger.endEvents()).toEqual([{ reservation_id: 7, reason: 'UsedToStartCharging' }]);
    expect(charger.evse[0]?.callLog()).toEqual(['reserve({"reservation_id":7})']);
  });

  it('ends a reservation Used when a transaction carries its id, whoever\'s token started it', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    charger.evse[1]?.answer({ kind: 'everest' });
    await charger.reserve(evseReservation(9, { evse_id: 2, id_token: 'Alice' }));
    await charger.evse[1]?.transactionStarted({ token: 'GROUPMATE', reservationId: 9 });
    await eventually(() => charger.endEvents().length === 1, 'reservation_end');
    await sleep(500);
    expect(charger.endEvents()).toEqual([{ reservation_id: 9, reason: 'UsedToStartCharging' }]);
    expect(charger.evse[1]?.callLog()).toEqual(['reserve({"reservation_id":9})']);
  });
});

describe('start-up in the token path', () => {
  it('decides the first token on the reservations held before a restart', async () => {
    const prefix = uniquePrefix();
    const { file } = stateFile();
    const doubles = [await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: 'cCCS2' }] } })];
    const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    const options = { prefix, configModule: { persistence_file: file }, extraConnections: { token_providers: [reader.connection] } };
    const first = await startEvseModule(broker, doubles, options);
    expect(await first.reserve(evseReservation(7, { evse_id: 1, id_token: 'Alice' }))).toBe('Accepted');
    await first.station.module.stop('SIGTERM');
    const again = await startEvseModule(broker, doubles, options);
    await reader.present(card('BOB'));
    expect((await auth.nth(1)).connectors).toEqual([]);
    expect(again.station.module.lines().some((line) => line.msg === 'module ready' && line.token_providers === 1)).toBe(true);
  });
});

describe('what operators see of the token path', () => {
  it('watch prints each narrowed or refused token as it happens, in text and JSON', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'Alice' }));
    const text = spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, 'watch']);
    const json = spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--json', 'watch']);
    await text.waitForLine(/reserved by 7$/);
    await json.waitForLine(/"reserved_by":7/);
    await charger.reader.present(card('STRANGER'));
    await charger.reader.present(card('STRANGER', { connectors: [2] }));
    const hash = redact('STRANGER').replace(/[[\]]/g, '\\$&');
    await text.waitForLine(new RegExp(`token ${hash} \\(RFID\\) from rfid_reader narrowed to EVSE 1 \\(EVSE 2 reserved for another driver\\)$`));
    await text.waitForLine(new RegExp(`token ${hash} \\(RFID\\) from rfid_reader refused, no EVSE left \\(EVSE 2 reserved for another driver\\)$`));
    await json.waitForLine(/"type":"token","kind":"refused"/);
    text.child.kill('SIGINT');
    json.child.kill('SIGINT');
    const events = (await json.exited).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events.filter((e) => e.type === 'token')).toEqual([
      expect.objectContaining({ kind: 'narrowed', token: redact('STRANGER'), provider: 'rfid_reader', evses_asked: 'all', evses_kept: [1], removed: [{ evse_id: 2, why: 'ReservedForOtherToken' }] }),
      expect.objectContaining({ kind: 'refused', evses_asked: [2], evses_kept: [] }),
    ]);
    expect((await text.exited).code).toBe(0);
  });
});
