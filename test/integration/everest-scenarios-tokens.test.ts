// Which token a reservation lets charge: EVerest's own scenarios matches_reserved_identifier and
// has_reservation_parent_id* (modules/EVSE/Auth/tests/reservation_tests.cpp), asked through the
// module's MQTT interface (reservation_interface: evse): exists_reservation on impl main (what OCPP
// asks before a remote start) and check_start on impl status (what EVerest's Auth asks when a
// driver authorises: matches_reserved_identifier and is_charging_possible). EVerest keys its EVSEs
// from 0; here EVSE ids are 1..n in EVerest's order (EVerest's EVSE k is our EVSE k+1), and
// reservations count from 1, with tokens TOKEN-<id>.
import { type Broker, startBroker } from '../support/broker';
import { anyEvse, atEvse, combinedEvses, type EvseCharger, expectAnswers, startEvseCharger } from '../support/evse-station';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const NOBODY = 'SOMEONE-ELSE';

/** exists_reservation for a token without a group token on each EVSE, EVSE 3 being one the station lacks. */
async function existsForOther(charger: EvseCharger): Promise<Record<number, string>> {
  const answers: Record<number, string> = {};
  for (const evseId of [1, 2, 3]) answers[evseId] = await charger.exists({ evse_id: evseId, id_token: NOBODY });
  return answers;
}

describe('whose reservation it is (matches_reserved_identifier)', () => {
  // matches_reserved_identifier: a station-wide Type2 reservation (parent PARENT-1) and reservations
  // of EVSEs 2 and 3 (parents PARENT-2 and PARENT-3).
  async function reserveThree(): Promise<EvseCharger> {
    const charger = await startEvseCharger(broker, combinedEvses(3));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2', { parent_id_token: 'PARENT-1' }), 'Accepted'],
      [atEvse(2, 2, 'cType2', { parent_id_token: 'PARENT-2' }), 'Accepted'],
      [atEvse(3, 3, 'cType2', { parent_id_token: 'PARENT-3' }), 'Accepted'],
    ]);
    return charger;
  }

  it('finds a station-wide reservation by its token or its parent token, when no EVSE is named', async () => {
    const charger = await reserveThree();
    expect(await charger.exists({ id_token: 'TOKEN-1' })).toBe('ReservedForToken');
    // The token matches: a wrong parent token does not matter.
    expect(await charger.exists({ id_token: 'TOKEN-1', group_id_token: 'WRONG-PARENT' })).toBe('ReservedForToken');
    expect(await charger.exists({ id_token: 'WRONG-TOKEN' })).toBe('NotReserved');
    expect(await charger.exists({ id_token: 'WRONG-TOKEN', group_id_token: 'PARENT-1' })).toBe('ReservedForToken');
    expect(await charger.exists({ id_token: 'WRONG-TOKEN', group_id_token: 'WRONG-PARENT' })).toBe('NotReserved');
    // Tokens compare case-insensitively, as OCPP's CiString (and EVerest) do.
    expect(await charger.exists({ id_token: 'token-1' })).toBe('ReservedForToken');
  });

  it('on an EVSE with its own reservation, answers for that one only, by token or parent token', async () => {
    const charger = await reserveThree();
    expect(await charger.exists({ evse_id: 2, id_token: 'TOKEN-2' })).toBe('ReservedForToken');
    expect(await charger.exists({ evse_id: 2, id_token: 'TOKEN-NOK', group_id_token: 'PARENT-2' })).toBe('ReservedForToken');
    expect(await charger.exists({ evse_id: 2, id_token: 'TOKEN-NOK', group_id_token: 'PARENT-NOK' })).toBe('ReservedForOtherToken');
    // The station-wide reservation's token is not looked for where an EVSE holds its own.
    expect(await charger.exists({ evse_id: 2, id_token: 'TOKEN-1' })).toBe('ReservedForOtherTokenAndHasParentToken');
    // Nor another EVSE's reservation.
    expect(await charger.exists({ evse_id: 3, id_token: 'TOKEN-2', group_id_token: 'PARENT-NOK' })).toBe('ReservedForOtherToken');
  });

  it('lets the reserved token, or its parent token, start where its reservation is, and names that reservation', async () => {
    const charger = await reserveThree();
    expect(await charger.checkStart({ evse_id: 2, id_token: 'TOKEN-2' })).toEqual({ allowed: true, reservation_id: 2 });
    expect(await charger.checkStart({ evse_id: 2, id_token: 'TOKEN-NOK', parent_id_token: 'PARENT-2' })).toEqual({ allowed: true, reservation_id: 2 });
    // The station-wide reservation's driver may start on the EVSE left for it.
    expect(await charger.checkStart({ evse_id: 1, id_token: 'TOKEN-1' })).toEqual({ allowed: true, reservation_id: 1 });
  });

  it('keeps others off EVSEs that are reserved for someone else', async () => {
    const charger = await reserveThree();
    expect(await charger.checkStart({ evse_id: 2, id_token: 'TOKEN-NOK' })).toEqual({ allowed: false });
    expect(await charger.checkStart({ evse_id: 2, id_token: 'TOKEN-NOK', parent_id_token: 'PARENT-NOK' })).toEqual({ allowed: false });
    expect(await charger.checkStart({ evse_id: 2, id_token: 'TOKEN-1' })).toEqual({ allowed: false });
    expect(await charger.checkStart({ evse_id: 3, id_token: 'TOKEN-2' })).toEqual({ allowed: false });
    // EVSE 1 is the one EVSE the station-wide reservation has left.
    expect(await charger.checkStart({ evse_id: 1, id_token: 'TOKEN-NOK' })).toEqual({ allowed: false });
  });
});

describe('whether the reservation in the way has a parent token (has_reservation_parent_id)', () => {
  // EVerest's has_reservation_parent_id(no EVSE) has no counterpart here: exists_reservation
  // without evse_id answers only ReservedForToken or NotReserved, in EVerest as here.

  // has_reservation_parent_id
  it('says so for the EVSE-specific reservation and for a station-wide one, both with parent tokens', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2', { parent_id_token: 'PARENT-1' }), 'Accepted'],
      [atEvse(2, 2, 'cType2', { parent_id_token: 'PARENT-2' }), 'Accepted'],
    ]);
    expect(await existsForOther(charger)).toEqual({
      1: 'ReservedForOtherTokenAndHasParentToken',
      2: 'ReservedForOtherTokenAndHasParentToken',
      3: 'NotReserved',
    });
    // A group token that does not match is simply another token's.
    expect(await charger.exists({ evse_id: 2, id_token: NOBODY, group_id_token: 'PARENT-X' })).toBe('ReservedForOtherToken');
  });

  // has_reservation_parent_id_no_parent_token
  it('says ReservedForOtherToken where no reservation has a parent token', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [atEvse(2, 2, 'cType2'), 'Accepted'],
    ]);
    expect(await existsForOther(charger)).toEqual({ 1: 'ReservedForOtherToken', 2: 'ReservedForOtherToken', 3: 'NotReserved' });
  });

  // has_reservation_parent_id_evse_reservation_parent_token
  it('says so only on the EVSE whose own reservation has a parent token', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [atEvse(2, 2, 'cType2', { parent_id_token: 'PARENT-2' }), 'Accepted'],
    ]);
    expect(await existsForOther(charger)).toEqual({ 1: 'ReservedForOtherToken', 2: 'ReservedForOtherTokenAndHasParentToken', 3: 'NotReserved' });
  });

  // has_reservation_parent_id_global_reservation_parent_token
  it('says so only on the EVSE the station-wide reservation with a parent token needs', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2', { parent_id_token: 'PARENT-1' }), 'Accepted'],
      [atEvse(2, 2, 'cType2'), 'Accepted'],
    ]);
    expect(await existsForOther(charger)).toEqual({ 1: 'ReservedForOtherTokenAndHasParentToken', 2: 'ReservedForOtherToken', 3: 'NotReserved' });
  });
});

describe('exists_reservation looks at the EVSE asked', () => {
  // Not one of EVerest's scenarios: EVerest's handle_reservation_exists asks is_evse_reserved of
  // EVSE 1 whatever EVSE is named (spec everest-evse-dialect §8), so it answers NotReserved here.
  it('answers for EVSE 2 from EVSE 2’s reservation while EVSE 1 is free', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    expect(await charger.reserve(atEvse(2, 1, 'cCCS2'))).toBe('Accepted');
    expect(await charger.exists({ evse_id: 2, id_token: NOBODY })).toBe('ReservedForOtherToken');
    expect(await charger.exists({ evse_id: 2, id_token: 'TOKEN-1' })).toBe('ReservedForToken');
    expect(await charger.exists({ evse_id: 1, id_token: NOBODY })).toBe('NotReserved');
  });
});
