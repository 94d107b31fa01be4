// EVerest's own scenarios for reservations of a specific EVSE, alone and combined with
// station-wide ones (modules/EVSE/Auth/tests/reservation_tests.cpp: specific_evse_scenario_*,
// global_reservation_specific_evse_combination_scenario_*, check_charging_possible_*,
// is_evse_reserved, overwrite_reservation, reservation_in_the_past), through the module's MQTT
// interface (reservation_interface: evse). EVerest keys its EVSEs from 0 and numbers
// reservations from 0; here EVSE ids are 1..n in EVerest's order (EVerest's EVSE k is our k+1,
// as get_evse reports them) and reservations count from 1. EVerest's is_charging_possible is
// check_start for a token holding no reservation.
import { type Broker, startBroker } from '../support/broker';
import {
  anyEvse,
  atEvse,
  combinedEvses,
  type EvseCharger,
  type EvseReservation,
  evsesOf,
  expectAnswers,
  expectCallLogs,
  FREED,
  heldIds,
  heldPlaces,
  reserveCall,
  SHOWN_RESERVED,
  startEvseCharger,
  updateLines,
} from '../support/evse-station';
import { isoIn } from '../support/harness';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** EVSE 1 Type2 only, EVSE 2 CCS2 and Type2, EVSE 3 CCS2 only. */
const TYPE2_COMBINED_CCS2 = evsesOf(['cType2'], ['cCCS2', 'cType2'], ['cCCS2']);
/** Three EVSEs offering CCS2 and Type2, and a fourth offering Type2 only. */
const THREE_COMBINED_ONE_TYPE2 = combinedEvses(3, ['cType2']);

const WALK_IN = 'WALK-IN';

/** How both combination scenarios on TYPE2_COMBINED_CCS2 begin: a station-wide Type2, then EVSE 2 taken. */
const TYPE2_ANYWHERE_THEN_EVSE_2: Array<[EvseReservation, string]> = [
  [anyEvse(1, 'cType2'), 'Accepted'],
  [atEvse(2, 2, 'cCCS2'), 'Accepted'],
  [atEvse(2, 3, 'cCCS2'), 'Occupied'],
  [atEvse(2, 4, 'cType2'), 'Occupied'],
];

/** For each EVSE id, whether a driver without a reservation may start charging there (check_start). */
async function walkInAllowed(charger: EvseCharger, evseIds: number[]): Promise<Record<number, boolean>> {
  const allowed: Record<number, boolean> = {};
  for (const evseId of evseIds) allowed[evseId] = (await charger.checkStart({ evse_id: evseId, id_token: WALK_IN })).allowed;
  return allowed;
}

describe('reservations of a specific EVSE', () => {
  // specific_evse_scenario_01
  it('accepts one per EVSE if it has the type, refuses a second as Occupied and a missing type as Rejected', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(3));
    await expectAnswers(charger, [
      [atEvse(2, 1, 'cCCS1'), 'Rejected'],
      [atEvse(2, 2, 'cCCS2'), 'Accepted'],
      [atEvse(2, 3, 'cCCS2'), 'Occupied'],
      [atEvse(1, 4, 'cCCS2'), 'Accepted'],
      [atEvse(3, 5, 'cCCS2'), 'Accepted'],
      [atEvse(3, 6, 'cCCS2'), 'Occupied'],
    ]);
    // Each EVSE manager was told its EVSE's reservation.
    await expectCallLogs(charger, [[reserveCall(4)], [reserveCall(2)], [reserveCall(5)]]);
  });

  // specific_evse_scenario_02
  it('looks at the EVSE asked for, not at another that has the type', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cType2']));
    await expectAnswers(charger, [
      [atEvse(2, 1, 'cCCS2'), 'Rejected'],
      [atEvse(2, 2, 'cType2'), 'Accepted'],
      // EVerest answers Occupied here: it looks for a reservation on the EVSE before it looks at
      // the type. The type comes first in our order (spec everest-evse-dialect §4: rule 4 before
      // rule 5), so a request the EVSE could never serve is Rejected whatever it holds.
      [atEvse(2, 3, 'cCCS2'), 'Rejected'],
      [atEvse(1, 4, 'cCCS2'), 'Accepted'],
      [atEvse(1, 5, 'cCCS2'), 'Occupied'],
    ]);
  });

  // reservation_in_the_past
  it('rejects a reservation whose expiry_time has passed, station-wide or for an EVSE', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2']));
    const twoHoursAgo = isoIn(-2 * 3_600_000);
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2', { expiry_time: twoHoursAgo }), 'Rejected'],
      [atEvse(1, 2, 'cCCS2', { expiry_time: twoHoursAgo }), 'Rejected'],
    ]);
    expect(await heldIds(charger)).toEqual([]);
  });
});

describe('specific and station-wide reservations together', () => {
  // global_reservation_specific_evse_combination_scenario_01
  it('refuses a specific reservation that would take the last EVSE a station-wide one needs', async () => {
    const charger = await startEvseCharger(broker, TYPE2_COMBINED_CCS2);
    await expectAnswers(charger, [
      ...TYPE2_ANYWHERE_THEN_EVSE_2,
      [atEvse(3, 5, 'cCCS2'), 'Accepted'],
      [atEvse(1, 6, 'cType2'), 'Occupied'],
      [atEvse(2, 7, 'cCCS2'), 'Occupied'],
      [anyEvse(8, 'cType2'), 'Occupied'],
      [anyEvse(9, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_specific_evse_combination_scenario_02
  it('accepts a station-wide CCS2 reservation that only the remaining CCS2 EVSE can serve, then nothing more', async () => {
    const charger = await startEvseCharger(broker, TYPE2_COMBINED_CCS2);
    await expectAnswers(charger, [
      ...TYPE2_ANYWHERE_THEN_EVSE_2,
      [anyEvse(5, 'cType2'), 'Occupied'],
      [anyEvse(6, 'cCCS2'), 'Accepted'],
      [anyEvse(7, 'cType2'), 'Occupied'],
      [anyEvse(8, 'cCCS2'), 'Occupied'],
      [atEvse(3, 9, 'cCCS2'), 'Occupied'],
      [atEvse(1, 10, 'cType2'), 'Occupied'],
      [atEvse(2, 11, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_specific_evse_combination_scenario_03
  it('accepts a specific reservation of an EVSE no station-wide reservation depends on', async () => {
    const charger = await startEvseCharger(broker, THREE_COMBINED_ONE_TYPE2);
    await expectAnswers(charger, [
      [atEvse(3, 1, 'cType2'), 'Accepted'],
      [atEvse(3, 2, 'cCCS2'), 'Occupied'],
      [atEvse(2, 3, 'cType2'), 'Accepted'],
      [anyEvse(4, 'cCCS2'), 'Accepted'],
      [anyEvse(5, 'cCCS2'), 'Occupied'],
      [anyEvse(6, 'cType2'), 'Occupied'],
      [atEvse(4, 7, 'cType2'), 'Accepted'],
    ]);
  });
});

describe('whether a driver without a reservation may charge (check_start)', () => {
  // check_charging_possible_global_specific_reservations_scenario_01 (EVSE 5 does not exist)
  it('forbids EVSEs reserved for others and the last EVSE a station-wide reservation needs', async () => {
    const charger = await startEvseCharger(broker, THREE_COMBINED_ONE_TYPE2);
    expect(await walkInAllowed(charger, [1, 2, 3, 4, 5])).toEqual({ 1: true, 2: true, 3: true, 4: true, 5: false });
    expect(await charger.reserve(atEvse(3, 1, 'cType2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3, 4])).toEqual({ 1: true, 2: true, 3: false, 4: true });
    expect(await charger.reserve(atEvse(2, 2, 'cType2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3, 4])).toEqual({ 1: true, 2: false, 3: false, 4: true });
    // EVSE 1 is the only CCS2 left: the station-wide CCS2 reservation needs it.
    expect(await charger.reserve(anyEvse(3, 'cCCS2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3, 4])).toEqual({ 1: false, 2: false, 3: false, 4: true });
    expect(await charger.reserve(atEvse(4, 4, 'cType2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3, 4])).toEqual({ 1: false, 2: false, 3: false, 4: false });
  });

  // check_charging_possible_global_specific_reservations_scenario_02
  it('allows every EVSE while a station-wide reservation has two to choose from, and none once each is needed', async () => {
    const charger = await startEvseCharger(broker, TYPE2_COMBINED_CCS2);
    expect(await walkInAllowed(charger, [1, 2, 3])).toEqual({ 1: true, 2: true, 3: true });
    expect(await charger.reserve(anyEvse(1, 'cType2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3])).toEqual({ 1: true, 2: true, 3: true });
    expect(await charger.reserve(atEvse(2, 2, 'cCCS2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3])).toEqual({ 1: false, 2: false, 3: true });
    expect(await charger.reserve(anyEvse(3, 'cCCS2'))).toBe('Accepted');
    expect(await walkInAllowed(charger, [1, 2, 3])).toEqual({ 1: false, 2: false, 3: false });
  });
});

describe('which EVSE a reservation holds', () => {
  // is_evse_reserved
  it('holds no EVSE for a station-wide reservation while it has a choice, and the named EVSE for a specific one', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    const other = { id_token: 'SOMEONE-ELSE' };
    expect(await charger.reserve(anyEvse(1, 'cCCS2'))).toBe('Accepted');
    expect(await charger.exists({ evse_id: 1, ...other })).toBe('NotReserved');
    expect(await charger.exists({ evse_id: 2, ...other })).toBe('NotReserved');
    expect(await charger.reserve(atEvse(2, 2, 'cCCS2'))).toBe('Accepted');
    expect(await charger.exists({ evse_id: 2, ...other })).toBe('ReservedForOtherToken');
    expect(await heldPlaces(charger)).toEqual(['#1 any EVSE', '#2 EVSE 2']);
    // EVerest's is_evse_reserved(EVSE 1) stays false: only EVSE-specific reservations count there.
    // Here EVSE 1 is now the one EVSE the station-wide reservation can use, so exists_reservation
    // says it is reserved for someone else (spec everest-evse-dialect §6: "else a station-wide one
    // that needs this EVSE"), and its EVSE manager shows it Reserved (§5).
    expect(await charger.exists({ evse_id: 1, ...other })).toBe('ReservedForOtherToken');
    await expectCallLogs(charger, [[SHOWN_RESERVED], [reserveCall(2)]]);
  });
});

describe('replacing a reservation (same reservation_id)', () => {
  // overwrite_reservation (EVerest's EVSE 5 is our EVSE 1)
  it('accepts the same reservation again without ending it', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(1));
    const same = atEvse(1, 1, 'cType2');
    await expectAnswers(charger, [
      [same, 'Accepted'],
      [same, 'Accepted'],
    ]);
    expect(await heldIds(charger)).toEqual([1]);
    // Nothing ended, and the replacement is not placed anew: one Placed (spec everest-evse-dialect
    // §7, "same-id replacement: nothing"). EVerest publishes Placed for every acceptance.
    expect(updateLines(charger)).toEqual(['1 Placed']);
    expect(charger.evse[0]?.callLog()).not.toContain(FREED);
  });

  // overwrite_reservation, moved to another EVSE
  it('moves a reservation to another EVSE and tells the EVSE it left that it is free', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cType2'], ['cType2']));
    expect(await charger.reserve(atEvse(1, 1, 'cType2'))).toBe('Accepted');
    expect(await charger.reserve(atEvse(2, 1, 'cType2'))).toBe('Accepted');
    // EVerest never tells the old EVSE (spec everest-evse-dialect §8).
    await expectCallLogs(charger, [[reserveCall(1), FREED], [reserveCall(1)]]);
    expect(await heldPlaces(charger)).toEqual(['#1 EVSE 2']);
  });

  // overwrite_reservation, refused replacement
  it('keeps the old reservation when its replacement is refused', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cType2'], ['cType2']));
    expect(await charger.reserve(atEvse(1, 1, 'cType2'))).toBe('Accepted');
    expect(await charger.reserve(atEvse(2, 2, 'cType2'))).toBe('Accepted');
    expect(await charger.reserve(atEvse(2, 1, 'cType2'))).toBe('Occupied');
    // EVerest cancels the old reservation before deciding on the new one, silently, whatever the
    // answer; here a replacement is atomic (spec everest-evse-dialect §4, last paragraph).
    expect(await heldPlaces(charger)).toEqual(['#1 EVSE 1', '#2 EVSE 2']);
    expect(await charger.exists({ evse_id: 1, id_token: 'TOKEN-1' })).toBe('ReservedForToken');
  });
});

describe('an EVSE manager refusing reserve', () => {
  // Not one of EVerest's scenarios: what its handler answers when the EVSE manager says no.
  it('answers Occupied and holds nothing', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cCCS2']));
    charger.evse[0]?.answer({ kind: 'refuse' });
    // EVerest answers Rejected, which tells the management system that this charger takes no
    // reservations at all (spec everest-evse-dialect §8); the EVSE is busy, so Occupied.
    expect(await charger.reserve(atEvse(1, 1, 'cCCS2'))).toBe('Occupied');
    expect(await heldIds(charger)).toEqual([]);
    expect(await charger.reserve(atEvse(2, 2, 'cCCS2'))).toBe('Accepted');
  });
});
