// The station-wide guarantee on the worked examples of spec §5 and of EVerest's
// modules/EVSE/Auth/tests/reservation_tests.cpp that concern the guarantee alone (scenario names
// in comments), each also checked against the exhaustive reference so the examples cannot drift.
import { type GuaranteeEvse, keepsGuarantee, newestToRemove, shownReserved, typesMatch, usableFor, viewOf } from '../../../src/domain/guarantee';
import { type ConnectorType, UNKNOWN_TYPE } from '../../../src/domain/types';
import { referenceKeeps, referenceNewestToRemove, referenceShownReserved, withEvseTaken } from '../../support/everest-reference';

const CCS2 = 'cCCS2';
const TYPE2 = 'cType2';

/** A free EVSE with these connectors, all available; `type!` is a connector that is down. */
function evse(...types: string[]): GuaranteeEvse {
  const connectors = types.map((t) => ({ type: t.replace(/!$/, ''), available: !t.endsWith('!') }));
  return { connectors, occupied: false, reserved: false };
}
const occupied = (e: GuaranteeEvse): GuaranteeEvse => ({ ...e, occupied: true });
const reserved = (e: GuaranteeEvse): GuaranteeEvse => ({ ...e, reserved: true });

/** Would one more station-wide reservation of `type` be accepted? Asserts the reference agrees. */
function accepts(evses: GuaranteeEvse[], held: ConnectorType[], type: ConnectorType): boolean {
  const answer = keepsGuarantee(viewOf(evses), [...held, type]);
  expect(referenceKeeps(evses, [...held, type])).toBe(answer);
  return answer;
}

/** EVerest's is_charging_possible: may a walk-in (or a specific reservation) take EVSE `index`? */
function canTake(evses: GuaranteeEvse[], held: ConnectorType[], index: number): boolean {
  const answer = !(evses[index] as GuaranteeEvse).reserved && keepsGuarantee(viewOf(withEvseTaken(evses, index, true)), held);
  expect(referenceKeeps(withEvseTaken(evses, index, true), held) && !(evses[index] as GuaranteeEvse).reserved).toBe(answer);
  return answer;
}

function shown(evses: GuaranteeEvse[], held: ConnectorType[]): number[] {
  const answer = [...shownReserved(evses, held)].sort();
  expect([...referenceShownReserved(evses, held)].sort()).toEqual(answer);
  return answer;
}

describe('matching types and usable EVSEs', () => {
  it('matches equal types, and Unknown on either side with anything; Undetermined is an ordinary type', () => {
    expect([typesMatch(CCS2, CCS2), typesMatch(CCS2, TYPE2), typesMatch(UNKNOWN_TYPE, CCS2), typesMatch(CCS2, UNKNOWN_TYPE)]).toEqual([true, false, true, true]);
    expect([typesMatch('Undetermined', CCS2), typesMatch(CCS2, 'Undetermined')]).toEqual([false, false]);
  });

  it('uses an EVSE only with no car, no specific reservation and a matching connector that is up', () => {
    expect(usableFor(evse(CCS2), CCS2)).toBe(true);
    expect(usableFor(evse(`${CCS2}!`, TYPE2), CCS2)).toBe(false);
    expect(usableFor(evse(`${CCS2}!`, TYPE2), UNKNOWN_TYPE)).toBe(true);
    expect(usableFor(occupied(evse(CCS2)), CCS2)).toBe(false);
    expect(usableFor(reserved(evse(CCS2)), CCS2)).toBe(false);
  });
});

describe('the guarantee', () => {
  // The example of spec §5 and global_reservation_scenario_02.
  it('refuses both another Type2 and another CCS2 when {CCS2}, {CCS2,Type2}, {CCS2,Type2} hold a Type2 and a CCS2', () => {
    const evses = [evse(CCS2), evse(CCS2, TYPE2), evse(CCS2, TYPE2)];
    expect([accepts(evses, [], TYPE2), accepts(evses, [TYPE2], CCS2)]).toEqual([true, true]);
    expect([accepts(evses, [TYPE2, CCS2], TYPE2), accepts(evses, [TYPE2, CCS2], CCS2)]).toEqual([false, false]);
  });

  // global_reservation_scenario_01: three CCS2 fit, a fourth does not (count), nor a Type2.
  it('takes as many CCS2 as EVSEs, then nothing more', () => {
    const evses = [evse(CCS2), evse(CCS2, TYPE2), evse(CCS2, TYPE2)];
    expect([accepts(evses, [], CCS2), accepts(evses, [CCS2], CCS2), accepts(evses, [CCS2, CCS2], CCS2)]).toEqual([true, true, true]);
    expect([accepts(evses, [CCS2, CCS2, CCS2], CCS2), accepts(evses, [CCS2, CCS2, CCS2], TYPE2)]).toEqual([false, false]);
  });

  // global_reservation_scenario_03: a CCS2 car may take a Type2 EVSE before the second Type2 car comes.
  it('refuses a CCS2 next to two Type2 that need both combined EVSEs', () => {
    const evses = [evse(CCS2), evse(CCS2, TYPE2), evse(CCS2, TYPE2)];
    expect(accepts(evses, [TYPE2], TYPE2)).toBe(true);
    expect([accepts(evses, [TYPE2, TYPE2], CCS2), accepts(evses, [TYPE2, TYPE2], TYPE2)]).toEqual([false, false]);
  });

  // global_reservation_scenario_05 and _06: a CCS2 driver may take the only Type2 EVSE.
  it('refuses a Type2 when the only Type2 EVSE is one a CCS2 driver may take', () => {
    const four = [evse(CCS2), evse(CCS2), evse(CCS2, TYPE2), evse(CCS2)];
    expect([accepts(four, [CCS2], TYPE2), accepts(four, [CCS2], CCS2)]).toEqual([false, true]);
    const three = [evse(CCS2), evse(CCS2), evse(CCS2, TYPE2)];
    expect([accepts(three, [], TYPE2), accepts(three, [TYPE2], TYPE2), accepts(three, [TYPE2], CCS2)]).toEqual([true, false, false]);
  });

  // global_reservation_scenario_07 and _11: Unknown is any type; a type no EVSE has is never guaranteed.
  it('accepts Unknown anywhere and never a type no EVSE has', () => {
    expect([accepts([evse(CCS2, 'sType3')], [], UNKNOWN_TYPE), accepts([evse(CCS2, 'sType3')], [], TYPE2)]).toEqual([true, false]);
    const evses = [evse(CCS2), evse(CCS2), evse(CCS2)];
    expect([accepts(evses, [CCS2], UNKNOWN_TYPE), accepts(evses, [CCS2, UNKNOWN_TYPE], CCS2)]).toEqual([true, true]);
    expect(accepts(evses, [CCS2, UNKNOWN_TYPE, CCS2], CCS2)).toBe(false);
  });

  // global_reservation_scenario_08, _09 and _10: on EVSEs that take every type, only the count limits.
  it('accepts any mix up to the number of EVSEs when every EVSE takes every type', () => {
    const both = [evse(CCS2, TYPE2), evse(CCS2, TYPE2), evse(CCS2, TYPE2)];
    expect(accepts(both, [UNKNOWN_TYPE, CCS2], TYPE2)).toBe(true);
    expect([accepts(both, [UNKNOWN_TYPE, CCS2, TYPE2], CCS2), accepts(both, [CCS2, UNKNOWN_TYPE, UNKNOWN_TYPE], UNKNOWN_TYPE)]).toEqual([false, false]);
    const unknown = [evse(UNKNOWN_TYPE, UNKNOWN_TYPE), evse(UNKNOWN_TYPE, UNKNOWN_TYPE), evse(UNKNOWN_TYPE, UNKNOWN_TYPE)];
    expect([accepts(unknown, [CCS2, UNKNOWN_TYPE], 'Other3Ph'), accepts(unknown, [CCS2, UNKNOWN_TYPE, 'Other3Ph'], CCS2)]).toEqual([true, false]);
  });

  // global_reservation_scenario_12: three EVSEs in a ring of types hold only two reservations.
  it('refuses a third reservation on {CCS2,Type2}, {Type2,Tesla}, {Tesla,CCS2}', () => {
    const evses = [evse(CCS2, TYPE2), evse(TYPE2, 'cTesla'), evse('cTesla', CCS2)];
    expect(accepts(evses, [CCS2], TYPE2)).toBe(true);
    expect([CCS2, TYPE2, 'cTesla'].map((t) => accepts(evses, [CCS2, TYPE2], t))).toEqual([false, false, false]);
  });

  // Not in EVerest's tests: the others need not all find an EVSE for the last driver to find none.
  it('fails when a held type has no usable EVSE even though the others cannot all be placed', () => {
    const evses = [evse('A'), evse('X'), evse('X')];
    expect(referenceKeeps(evses, ['A', 'A', 'B'])).toBe(false);
    expect(keepsGuarantee(viewOf(evses), ['A', 'A', 'B'])).toBe(false);
    expect(keepsGuarantee(viewOf(evses), ['A', 'X', 'X'])).toBe(true);
  });

  // reservation_evse_faulted and reservation_connector_unavailable.
  it('counts only EVSEs with a matching connector that is up', () => {
    const evses = [evse(CCS2, TYPE2), evse(`${CCS2}!`, `${TYPE2}!`), evse(CCS2, TYPE2), evse(TYPE2)];
    expect([accepts(evses, [CCS2], CCS2), accepts(evses, [CCS2, CCS2], CCS2)]).toEqual([true, false]);
    const partly = [evse(`${CCS2}!`, TYPE2), evse('cCCS1!', 'cType1!'), evse(CCS2, TYPE2)];
    expect(accepts(partly, [], CCS2)).toBe(true);
    expect([TYPE2, 'cCCS1', 'cType1'].map((t) => accepts(partly, [CCS2], t))).toEqual([false, false, false]);
  });
});

describe('EVSEs taken by a specific reservation or a walk-in', () => {
  // global_reservation_specific_evse_combination_scenario_01 and _02.
  it('lets a specific reservation take an EVSE only while the station-wide Type2 keeps one', () => {
    const evses = [evse(TYPE2), evse(CCS2, TYPE2), evse(CCS2)];
    expect(canTake(evses, [TYPE2], 1)).toBe(true);
    const oneTaken = [evses[0], reserved(evse(CCS2, TYPE2)), evses[2]] as GuaranteeEvse[];
    expect([canTake(oneTaken, [TYPE2], 2), canTake(oneTaken, [TYPE2], 0), canTake(oneTaken, [TYPE2], 1)]).toEqual([true, false, false]);
    expect([accepts(oneTaken, [TYPE2], TYPE2), accepts(oneTaken, [TYPE2], CCS2)]).toEqual([false, true]);
    expect([canTake(oneTaken, [TYPE2, CCS2], 2), canTake(oneTaken, [TYPE2, CCS2], 0)]).toEqual([false, false]);
  });

  // global_reservation_specific_evse_combination_scenario_03 and check_charging_possible_global_specific_reservations_scenario_01.
  it('keeps the last free CCS2 EVSE for a station-wide CCS2 and lets a walk-in use the Type2-only one', () => {
    const evses = [evse(CCS2, TYPE2), reserved(evse(CCS2, TYPE2)), reserved(evse(CCS2, TYPE2)), evse(TYPE2)];
    expect([accepts(evses, [], CCS2), accepts(evses, [CCS2], CCS2), accepts(evses, [CCS2], TYPE2)]).toEqual([true, false, false]);
    expect([0, 1, 2, 3].map((i) => canTake(evses, [CCS2], i))).toEqual([false, false, false, true]);
  });

  // check_charging_possible_global_specific_reservations_scenario_02.
  it('lets no walk-in start once two station-wide reservations need both free EVSEs', () => {
    const evses = [evse(TYPE2), evse(CCS2, TYPE2), evse(CCS2)];
    expect([0, 1, 2].map((i) => canTake(evses, [TYPE2], i))).toEqual([true, true, true]);
    const oneTaken = [evses[0], reserved(evse(CCS2, TYPE2)), evses[2]] as GuaranteeEvse[];
    expect([0, 1, 2].map((i) => canTake(oneTaken, [TYPE2], i))).toEqual([false, false, true]);
    expect([0, 1, 2].map((i) => canTake(oneTaken, [TYPE2, CCS2], i))).toEqual([false, false, false]);
  });

  it('counts a car on an EVSE as no specific reservation', () => {
    const withCar = withEvseTaken([evse(CCS2), evse(CCS2)], 0, false);
    expect([keepsGuarantee(viewOf(withCar), [CCS2]), keepsGuarantee(viewOf(withCar), [CCS2, CCS2])]).toEqual([true, false]);
    expect([referenceKeeps(withCar, [CCS2]), referenceKeeps(withCar, [CCS2, CCS2])]).toEqual([true, false]);
  });
});

describe('ending the newest station-wide reservations', () => {
  // change_availability_scenario_01: connectors go down one after another under four Type2 reservations.
  it('ends one Type2 reservation each time an EVSE a Type2 driver needs goes down', () => {
    const held = [TYPE2, TYPE2, TYPE2, TYPE2];
    // The Type2 connectors of the EVSEs in `down` are disabled or faulted.
    const one = (down: number[]): GuaranteeEvse[] =>
      [[CCS2, TYPE2], [CCS2, TYPE2], [CCS2, TYPE2], [TYPE2]].map((types, i) => evse(...types.map((t) => (t === TYPE2 && down.includes(i) ? `${t}!` : t))));
    const cases: Array<[GuaranteeEvse[], ConnectorType[], number]> = [
      [one([]), held, 0],
      [one([1]), held, 1],
      [one([1, 3]), held.slice(0, 3), 1],
      [one([1, 2]), held.slice(0, 2), 0],
      [one([0, 1, 2]), held.slice(0, 2), 1],
    ];
    for (const [evses, stillHeld, expected] of cases) {
      expect(newestToRemove(viewOf(evses), stillHeld)).toBe(expected);
      expect(referenceNewestToRemove(evses, stillHeld)).toBe(expected);
    }
  });
});

describe('showing EVSEs Reserved', () => {
  // check_evses_to_reserve_scenario_3, the example of spec §5.
  it('shows only the {CCS2,Type2} EVSE Reserved for one Type2 next to a {CCS2} EVSE', () => {
    expect(shown([evse(CCS2), evse(CCS2, TYPE2)], [TYPE2])).toEqual([1]);
  });

  // check_evses_to_reserve_scenario_1, _2 and _6.
  it('shows every free EVSE Reserved once station-wide reservations are as many', () => {
    const two = [evse(CCS2, TYPE2), evse(CCS2, TYPE2)];
    expect([shown(two, []), shown(two, [CCS2]), shown(two, [CCS2, CCS2])]).toEqual([[], [], [0, 1]]);
    expect(shown([evse(CCS2, TYPE2), reserved(evse(CCS2, TYPE2))], [CCS2])).toEqual([0]);
  });

  // check_evses_to_reserve_scenario_4 and _5: a car on the other EVSE, then gone.
  it('shows the only free Type2 EVSE Reserved while a car is on the other', () => {
    expect(shown([occupied(evse(CCS2, TYPE2)), evse(CCS2, TYPE2)], [TYPE2])).toEqual([1]);
    expect(shown([evse(CCS2, TYPE2), occupied(evse(CCS2, TYPE2))], [TYPE2])).toEqual([0]);
    expect(shown([evse(CCS2, TYPE2), evse(CCS2, TYPE2)], [TYPE2])).toEqual([]);
  });

  // Read from EVerest's code: a matching connector counts even when it is down.
  it('shows a free EVSE whose matching connector is down, as EVerest does', () => {
    expect(shown([evse(CCS2), evse(CCS2, `${TYPE2}!`), evse(TYPE2)], [TYPE2])).toEqual([1, 2]);
  });

  // Read from EVerest's code: for a reservation without a type it asks only "does it hold now",
  // where spec §5 counts a missing type as Unknown ("one more?"), as everywhere else.
  it('shows EVSEs for a reservation without a type as for one of type Unknown, unlike EVerest', () => {
    const evses = [evse(CCS2), evse(CCS2), evse(TYPE2), evse(TYPE2)];
    expect(shown(evses, [UNKNOWN_TYPE, TYPE2])).toEqual([0, 1, 2, 3]);
    expect([...referenceShownReserved(evses, [undefined, TYPE2])].sort()).toEqual([2, 3]);
  });
});
