// Issue 26, part 4: the OCPP reservation conformance cases that need the token path, end to end
// under EVerest's own manager and Auth, with Auth's token_provider and token_validator wired to the
// module and the module's token_providers and token_validators to the reader and the validator
// (moduleTokenPath). Reservations are made through reserve_now by the caller; what is checked is
// what Auth does: its result for each token ("Result for token" in its log), the validator's calls
// and each EVSE manager's authorize_response. The same cases against doubles, with the cases' steps:
// test/integration/token-conformance.test.ts.
//
// A token naming one EVSE (`connectors: [n]`) is what a reader per EVSE sends; a token naming none is
// a reader shared by the EVSEs. Auth runs FindFirst with connection_timeout 30 s (station.ts): it
// prefers an EVSE where a car was plugged in, else the first available one in the token's list, and
// holds an EVSE it authorised for 30 s, so each case has a station of its own.
import { authDecides, evsesDescribed, moduleTokenPath, type Station, startStation } from './support/station';
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

/** The EVSE manager's authorize_response calls so far, as [token value, status, reservation id]. */
function authorized(evse: TestEvseManager | undefined): Array<[string, string, number | undefined]> {
  return (evse?.calls('authorize_response') ?? []).map((c) => {
    const args = c.args as { provided_token: { id_token: { value: string } }; validation_result: { authorization_status: string; reservation_id?: number } };
    return [args.provided_token.id_token.value, args.validation_result.authorization_status, args.validation_result.reservation_id];
  });
}

/** The validator's validate_token calls so far, as [token value, connectors]. */
function validated(station: Station): Array<[string, unknown]> {
  return station.validator.calls('validate_token').map((c: ServedCall) => {
    const token = c.args.provided_token as { id_token: { value: string }; connectors?: number[] };
    return [token.id_token.value, token.connectors];
  });
}

describe("OCPP 1.6 under EVerest's Auth, the module in the token path", () => {
  it('TC_046_1: a wrong card at the reserved connector gets no Authorize and no authorisation there, at its own reader or a shared one; the reserved card gets the reservation id', async () => {
    const station = await tokenPathStation();
    const [evse1, evse2] = station.evses;
    // The case's precondition: every other connector unavailable.
    await evse2?.sessionEvent('Disabled');
    await station.manager.waitFor(/"event":"Disabled".*"msg":"EVSE changed"/);
    expect(await reserveNow(station, { reservation_id: 46, evse_id: 1, id_token: 'VALID-IDTAG' })).toBe('Accepted');
    await evse1?.waitForCall((c) => c.cmd === 'reserve' && c.result === true);
    await station.validator.answer({ 'WRONG-CARD': ACCEPTED, 'valid-idtag': ACCEPTED });

    expect(await authDecides(station, rfid('WRONG-CARD', { connectors: [1] }))).toBe(NO_CONNECTOR);
    expect(await authDecides(station, rfid('WRONG-CARD'))).toBe(NO_CONNECTOR);
    // The reservation's idTag, case aside (the validator knows the card as it is printed).
    expect(await authDecides(station, rfid('valid-idtag', { connectors: [1] }))).toBe(STARTED);

    // Only the reserved card was validated (Authorize.req) and authorised, with the reservation's id.
    expect(validated(station)).toEqual([['valid-idtag', [1]]]);
    expect(authorized(evse1)).toEqual([['valid-idtag', 'Accepted', 46]]);
    expect(authorized(evse2)).toEqual([]);
    // Plugged in, the EVSE manager's TransactionStarted carries the id (StartTransaction.reservationId): used once.
    await evse1?.transactionStarted('valid-idtag');
    await station.caller.heard('reservation_update', { reservation_id: 46, reservation_status: 'Used' });
    await station.caller.heard('reservation_end', { reservation_id: 46, reason: 'UsedToStartCharging' });
  });
});
