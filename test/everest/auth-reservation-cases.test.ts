// Issue 26, part 4: the OCPP reservation conformance cases that need the token path, end to end
// under EVerest's own manager and Auth, with Auth's token_provider and token_validator wired to the
// module and the module's token_providers and token_validators to the reader and the validator
// (moduleTokenPath). Reservations are made through reserve_now by the caller; what is checked is
// what Auth does: its result for each token ("Result for token" in its log), the validator's calls
// and each EVSE manager's authorize_response. The same cases against doubles, with the cases' steps:
// test/integration/token-conformance.test.ts.
//
// A token naming one EVSE (`connectors: [n]`) is what a reader per EVSE sends; a token naming none is
// a reader shared by the EVSEs. The EVSE managers do with an Accepted authorize_response what
// EvseManager does: a token before any car starts the session at once (SessionStarted, reason
// Authorized, naming the reservation the EVSE shows), then the result's reservation_id is held for
// the transaction (TransactionStarted names it: OCPP 1.6's StartTransaction.reservationId). Auth runs FindFirst with connection_timeout 30 s (station.ts): it
// prefers an EVSE where a car was plugged in, else the first available one in the token's list, and
// holds an EVSE it authorised for 30 s, so each case has a station of its own.
import { decodeVar } from '../../src/everest/envelope';
import { varTopic } from '../../src/everest/topics';
import type { SessionEvent } from '../../src/generated/types';
import { authDecides, EVEREST_PREFIX_TOPIC, evsesDescribed, moduleTokenPath, type Station, startStation } from './support/station';
import { type EvseSpec, rfid, type ServedCall, type TestEvseManager } from './support/test-modules';
import { treeForThisFile } from './support/tree';

const tree = treeForThisFile('evse');

const ACCEPTED = { authorization_status: 'Accepted', tariff_messages: [] };
/** Auth refused the token before asking any validator and told no EVSE manager. */
const NO_CONNECTOR = 'NO_CONNECTOR_AVAILABLE';
const STARTED = 'USED_TO_START_TRANSACTION';
/**
 * Two EVSEs of one connector each, as EVerest's EvseManager is (its Enabled and Disabled name
 * connector 1, and Auth counts an EVSE unavailable only when every connector is).
 */
const TWO_ONE_CONNECTOR_EVSES: readonly EvseSpec[] = [
  { id: 1, connectorTypes: ['cCCS2'] },
  { id: 2, connectorTypes: ['cCCS2'] },
];

function inAnHour(): string {
  return new Date(Date.now() + 3_600_000).toISOString();
}

/** A station whose Auth hears tokens only through the module, ready with the EVSEs described to the module. */
async function tokenPathStation(reservationConfig?: Record<string, unknown>): Promise<Station> {
  const station = await startStation({ tree: tree(), evses: TWO_ONE_CONNECTOR_EVSES, tokenPath: moduleTokenPath, ...(reservationConfig ? { reservationConfig } : {}) });
  // Until the module knows the EVSEs, tokens pass unchanged (spec §2.1, rule 7).
  await evsesDescribed(station);
  return station;
}

function reserveNow(station: Station, request: Record<string, unknown>): Promise<string> {
  return station.caller.call<string>('reservation', 'reserve_now', { request: { expiry_time: inAnHour(), ...request } });
}

/** A reservation of one EVSE, Accepted, and that EVSE's manager holding it (reserve(id)). */
async function reserveEvse(station: Station, request: { reservation_id: number; evse_id: number; id_token: string; parent_id_token?: string }): Promise<void> {
  expect(await reserveNow(station, request)).toBe('Accepted');
  await station.evses[request.evse_id - 1]?.waitForCall((c) => c.cmd === 'reserve' && c.result === true);
}

interface TokenCallArgs {
  provided_token: { id_token: { value: string }; connectors?: number[] };
  validation_result: { authorization_status: string; reservation_id?: number };
}

const valueOf = (call: ServedCall): string => (call.args as unknown as TokenCallArgs).provided_token.id_token.value;

/**
 * The EVSE manager's authorize_response calls, as [token value, status, reservation id], once the
 * one for `last` has come (its report travels beside Auth's log line, not before it); [] with no `last`.
 */
async function authorized(evse: TestEvseManager | undefined, last?: string): Promise<Array<[string, string, number | undefined]>> {
  if (evse === undefined) throw new Error('no such EVSE manager');
  if (last !== undefined) await evse.waitForCall((c) => c.cmd === 'authorize_response' && valueOf(c) === last);
  return evse.calls('authorize_response').map((c) => {
    const { provided_token, validation_result } = c.args as unknown as TokenCallArgs;
    return [provided_token.id_token.value, validation_result.authorization_status, validation_result.reservation_id];
  });
}

/** The validator's validate_token calls, as [token value, connectors], once the one for `last` has come. */
async function validated(station: Station, last: string): Promise<Array<[string, number[] | undefined]>> {
  await station.validator.waitForCall((c) => valueOf(c) === last);
  return station.validator.calls('validate_token').map((c) => {
    const { provided_token } = c.args as unknown as TokenCallArgs;
    return [provided_token.id_token.value, provided_token.connectors];
  });
}

/** The first session_event of `evse` (so far or later, as the broker carried it) satisfying `predicate`. */
async function published(station: Station, evse: TestEvseManager | undefined, predicate: (event: SessionEvent) => boolean): Promise<SessionEvent> {
  if (evse === undefined) throw new Error('no such EVSE manager');
  const topic = varTopic(EVEREST_PREFIX_TOPIC, evse.moduleId, evse.implId, 'session_event');
  const eventOf = (raw: Buffer): SessionEvent | undefined => decodeVar(raw)?.value as SessionEvent | undefined;
  const message = await station.wire.waitFor((_payload, m) => {
    const event = m.topic === topic ? eventOf(m.raw) : undefined;
    return event !== undefined && predicate(event);
  }, 30_000);
  return eventOf(message.raw) as SessionEvent;
}

/** The reservation_update statuses of reservation `id` the caller heard so far, in order. */
function updatesOf(station: Station, id: number): string[] {
  return station.line
    .reportsOf(station.caller.moduleId)
    .filter((r) => r.kind === 'var' && r.var === 'reservation_update')
    .map((r) => r.value as { reservation_id: number; reservation_status: string })
    .filter((u) => u.reservation_id === id)
    .map((u) => u.reservation_status);
}

describe("OCPP 1.6 under EVerest's Auth, the module in the token path", () => {
  it('TC_046_1: a wrong card at the reserved connector gets no Authorize and no authorisation there, at its own reader or a shared one; the reserved card gets the reservation id', async () => {
    const station = await tokenPathStation();
    const [evse1, evse2] = station.evses;
    // The case's precondition: every other connector unavailable.
    await evse2?.sessionEvent('Disabled');
    await station.manager.waitFor(/"event":"Disabled".*"msg":"EVSE changed"/);
    await reserveEvse(station, { reservation_id: 46, evse_id: 1, id_token: 'VALID-IDTAG' });
    await station.validator.answer({ 'WRONG-CARD': ACCEPTED, 'valid-idtag': ACCEPTED });

    expect(await authDecides(station, rfid('WRONG-CARD', { connectors: [1] }))).toBe(NO_CONNECTOR);
    expect(await authDecides(station, rfid('WRONG-CARD'))).toBe(NO_CONNECTOR);
    // The reservation's idTag, case aside (the validator knows the card as it is printed).
    expect(await authDecides(station, rfid('valid-idtag', { connectors: [1] }))).toBe(STARTED);

    // Only the reserved card was validated (Authorize.req) and authorised, with the reservation's id.
    expect(await validated(station, 'valid-idtag')).toEqual([['valid-idtag', [1]]]);
    expect(await authorized(evse1, 'valid-idtag')).toEqual([['valid-idtag', 'Accepted', 46]]);
    expect(await authorized(evse2)).toEqual([]);
    // The session the card started names the reservation: used, once.
    await station.caller.heard('reservation_end', { reservation_id: 46, reason: 'UsedToStartCharging' });
    // Plugged in: StartTransaction.req carries reservationId 46 (TransactionStarted, from authorize_response's id).
    await evse1?.transactionStarted('valid-idtag');
    expect((await published(station, evse1, (e) => e.event === 'TransactionStarted')).transaction_started?.reservation_id).toBe(46);
    await station.manager.waitFor(/"evse_position":1,.*"event":"TransactionStarted".*"msg":"EVSE changed"/);
    expect(updatesOf(station, 46)).toEqual(['Placed', 'Used']);
  });
});

/** A remote start as OCPP 2.0.1's auth_provider publishes it (RequestStartTransaction with an evseId, AuthorizeRemoteStart true). */
function remoteStart(value: string, evseId: number): Record<string, unknown> {
  return { id_token: { value, type: 'Central' }, authorization_type: 'OCPP', connectors: [evseId], request_id: 1 };
}

describe("OCPP 2.0.1 under EVerest's Auth, the module in the token path", () => {
  it("TC_H_01: the reserved idToken at the EVSE's reader is authorised there with the reservation id, and its session uses the reservation", async () => {
    const station = await tokenPathStation();
    const [evse1, evse2] = station.evses;
    await reserveEvse(station, { reservation_id: 101, evse_id: 1, id_token: 'valid_idtoken' });
    await station.validator.answer({ VALID_IDTOKEN: ACCEPTED });

    expect(await authDecides(station, rfid('VALID_IDTOKEN', { connectors: [1] }))).toBe(STARTED);
    expect(await validated(station, 'VALID_IDTOKEN')).toEqual([['VALID_IDTOKEN', [1]]]);
    expect(await authorized(evse1, 'VALID_IDTOKEN')).toEqual([['VALID_IDTOKEN', 'Accepted', 101]]);
    expect(await authorized(evse2)).toEqual([]);
    // Authorised before plug-in: the session starts at once, with the id (TransactionEventRequest reservationId).
    const started = await published(station, evse1, (e) => e.event === 'SessionStarted');
    expect(started.session_started).toMatchObject({ reason: 'Authorized', reservation_id: 101 });
    await station.caller.heard('reservation_end', { reservation_id: 101, reason: 'UsedToStartCharging' });
    expect(updatesOf(station, 101)).toEqual(['Placed', 'Used']);
  });

  it('TC_H_02: another valid idToken gets no authorisation on the reserved EVSE with the EV plugged in, by card or by remote start; at a shared reader it gets the free EVSE', async () => {
    const station = await tokenPathStation();
    const [evse1, evse2] = station.evses;
    await reserveEvse(station, { reservation_id: 102, evse_id: 1, id_token: 'valid_idtoken1' });
    // EVConnectedPreSession: the EV is plugged in at the reserved EVSE, and Auth knows it.
    await evse1?.plugIn();
    await station.manager.waitFor('Plug In event for evse#1');
    await station.validator.answer({ valid_idtoken1: ACCEPTED, valid_idtoken2: ACCEPTED });

    // Main A: at the reserved EVSE's reader, refused before any validator (no AuthorizeRequest).
    expect(await authDecides(station, rfid('valid_idtoken2', { connectors: [1] }))).toBe(NO_CONNECTOR);
    // Main B: OCPP asks exists_reservation first and rejects RequestStartTransaction; one that reaches Auth anyway is refused too.
    expect(await station.caller.call('reservation', 'exists_reservation', { request: { evse_id: 1, id_token: 'valid_idtoken2' } })).toBe('ReservedForOtherToken');
    expect(await authDecides(station, remoteStart('valid_idtoken2', 1))).toBe(NO_CONNECTOR);
    // At a reader shared by both EVSEs the card is narrowed to EVSE 2. Auth's FindFirst prefers an
    // EVSE with an EV plugged in only within the token's list: EVSE 2 is authorised, with no EV there
    // (Auth holding the reservation itself would pick EVSE 1, for its EV, and answer NotAtThisTime).
    expect(await authDecides(station, rfid('valid_idtoken2'))).toBe(STARTED);
    expect(await authorized(evse2, 'valid_idtoken2')).toEqual([['valid_idtoken2', 'Accepted', undefined]]);
    // The holder is authorised on the reserved EVSE; nobody else ever was.
    expect(await authDecides(station, rfid('valid_idtoken1', { connectors: [1] }))).toBe(STARTED);
    expect(await authorized(evse1, 'valid_idtoken1')).toEqual([['valid_idtoken1', 'Accepted', 102]]);
    expect(await validated(station, 'valid_idtoken1')).toEqual([
      ['valid_idtoken2', [2]],
      ['valid_idtoken1', [1]],
    ]);
    expect(updatesOf(station, 102)).toEqual(['Placed']);
  });

  /**
   * TC_H_08's station: EVSE 2 charging for someone, then a reservation for no EVSE, which needs EVSE 1
   * (the module shows it Reserved: reserve(-1)).
   */
  async function oneFreeEvseReserved(): Promise<Station> {
    const station = await tokenPathStation({ reserve_connector_zero_supported: true });
    const [evse1, evse2] = station.evses;
    await evse2?.transactionStarted('SOMEONE');
    await station.manager.waitFor(/"evse_position":2,.*"event":"TransactionStarted".*"msg":"EVSE changed"/);
    expect(await reserveNow(station, { reservation_id: 108, id_token: 'valid_idtoken' })).toBe('Accepted');
    await evse1?.waitForCall((c) => c.cmd === 'reserve' && (c.args as { reservation_id: number }).reservation_id === -1);
    await station.validator.answer({ 'WALK-IN': ACCEPTED, valid_idtoken: ACCEPTED });
    return station;
  }

  it("TC_H_08: a reservation for no EVSE keeps a walk-in off the one free EVSE it needs; the holder at that EVSE's reader gets it with the reservation id", async () => {
    const station = await oneFreeEvseReserved();
    const [evse1, evse2] = station.evses;
    // At EVSE 1's reader, and at a shared one (narrowed to EVSE 2, which is charging): no validator asked, no EVSE authorised.
    expect(await authDecides(station, rfid('WALK-IN', { connectors: [1] }))).toBe(NO_CONNECTOR);
    expect(await authDecides(station, rfid('WALK-IN'))).toBe(NO_CONNECTOR);
    expect(await authDecides(station, rfid('valid_idtoken', { connectors: [1] }))).toBe(STARTED);
    expect(await validated(station, 'valid_idtoken')).toEqual([['valid_idtoken', [1]]]);
    expect(await authorized(evse1, 'valid_idtoken')).toEqual([['valid_idtoken', 'Accepted', 108]]);
    expect(await authorized(evse2)).toEqual([]);
    // The session starts at once; EVSE 1 showed reserve(-1), so it names -1, and the module finds the reservation by its token.
    expect((await published(station, evse1, (e) => e.event === 'SessionStarted')).session_started).toMatchObject({ reason: 'Authorized', reservation_id: -1 });
    await station.caller.heard('reservation_end', { reservation_id: 108, reason: 'UsedToStartCharging' });
    // Plugged in: the transaction names the reservation, from authorize_response's id.
    await evse1?.transactionStarted('valid_idtoken');
    expect((await published(station, evse1, (e) => e.event === 'TransactionStarted')).transaction_started?.reservation_id).toBe(108);
  });

  it('TC_H_08 at a reader shared by the EVSEs: the walk-in gets nothing, the holder gets the free EVSE with the reservation id, which reaches its transaction', async () => {
    const station = await oneFreeEvseReserved();
    const [evse1, evse2] = station.evses;
    expect(await authDecides(station, rfid('WALK-IN'))).toBe(NO_CONNECTOR);
    // The token names no EVSE; the one Auth may start it on (EVSE 2 is charging) would use the reservation, so the validator names it.
    expect(await authDecides(station, rfid('valid_idtoken'))).toBe(STARTED);
    expect(await validated(station, 'valid_idtoken')).toEqual([['valid_idtoken', undefined]]);
    expect(await authorized(evse1, 'valid_idtoken')).toEqual([['valid_idtoken', 'Accepted', 108]]);
    expect(await authorized(evse2)).toEqual([]);
    expect((await published(station, evse1, (e) => e.event === 'SessionStarted')).session_started).toMatchObject({ reason: 'Authorized', reservation_id: -1 });
    await station.caller.heard('reservation_end', { reservation_id: 108, reason: 'UsedToStartCharging' });
    await evse1?.transactionStarted('valid_idtoken');
    expect((await published(station, evse1, (e) => e.event === 'TransactionStarted')).transaction_started?.reservation_id).toBe(108);
  });

  it("TC_H_19: a different idToken of the reservation's group is authorised on the reserved EVSE with the reservation id once the validator names the group; another group's is not", async () => {
    const station = await tokenPathStation();
    const [evse1, evse2] = station.evses;
    await reserveEvse(station, { reservation_id: 119, evse_id: 1, id_token: 'valid_idtoken', parent_id_token: 'group_idtoken' });
    await station.validator.answer({
      valid_idtoken2: { ...ACCEPTED, parent_id_token: { value: 'GROUP_IDTOKEN', type: 'Central' } },
      other_idtoken: { ...ACCEPTED, parent_id_token: { value: 'other_group', type: 'Central' } },
    });

    // The reader cannot know a card's group: both go to the validator (AuthorizeRequest), whose group decides.
    expect(await authDecides(station, rfid('other_idtoken', { connectors: [1] }))).toBe('REJECTED');
    expect(await authDecides(station, rfid('valid_idtoken2', { connectors: [1] }))).toBe(STARTED);
    expect(await validated(station, 'valid_idtoken2')).toEqual([
      ['other_idtoken', [1]],
      ['valid_idtoken2', [1]],
    ]);
    expect(await authorized(evse1, 'valid_idtoken2')).toEqual([
      ['other_idtoken', 'NotAtThisTime', undefined],
      ['valid_idtoken2', 'Accepted', 119],
    ]);
    expect(await authorized(evse2)).toEqual([]);
    const started = await published(station, evse1, (e) => e.event === 'SessionStarted');
    expect(started.session_started).toMatchObject({ reason: 'Authorized', reservation_id: 119, id_tag: { parent_id_token: { value: 'GROUP_IDTOKEN' } } });
    await station.caller.heard('reservation_end', { reservation_id: 119, reason: 'UsedToStartCharging' });
    expect(updatesOf(station, 119)).toEqual(['Placed', 'Used']);
  });
});
