// EVerest's own scenarios for EVSEs that become unavailable or faulted (modules/EVSE/Auth/tests/
// reservation_tests.cpp: change_availability_scenario_*, reservation_*_unavailable,
// reservation_*_faulted, reservation_connector_*), through the module's MQTT interface
// (reservation_interface: evse). EVerest keys its EVSEs from 0 and numbers reservations from 0;
// here EVSE ids are 1..n in EVerest's order (EVerest's EVSE k is our k+1) and reservations count
// from 1. EVerest's connector events arrive as the EVSE managers publish them: DISABLE of a
// connector is Disabled with its connector_id (EVerest's connector index i is our connector i+1),
// FAULTED is the evse_manager/Inoperative error, which faults the whole EVSE here.
import { type Broker, startBroker } from '../support/broker';
import type { EvseDescription, EvseDouble } from '../support/evse-double';
import {
  anyEvse,
  atEvse,
  combinedEvses,
  type EvseCharger,
  evsesOf,
  expectAnswers,
  expectEnds,
  FREED,
  heldIds,
  reserveCall,
  startEvseCharger,
} from '../support/evse-station';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** Three EVSEs offering CCS2 and Type2, and a fourth offering Type2 only. */
const THREE_COMBINED_ONE_TYPE2 = combinedEvses(3, ['cType2']);

/** Takes the EVSE at `index` of `evses` out of service: each of its connectors Disabled, or the EVSE faulted. */
async function takeOut(charger: EvseCharger, evses: EvseDescription[], index: number, how: 'disabled' | 'faulted'): Promise<void> {
  const evse = charger.evse[index] as EvseDouble;
  if (how === 'faulted') return evse.raiseInoperative();
  for (const connector of evses[index]?.connectors ?? []) await evse.disabled(connector.id);
}

/**
 * The course of EVerest's reservation_evse_* scenarios: EVSE 2 out of service, two station-wide
 * CCS2 reservations fit and a third does not; then every other EVSE out too, which ends both.
 */
async function loseEveryEvse(second: 'disabled' | 'faulted', others: 'disabled' | 'faulted'): Promise<EvseCharger> {
  const charger = await startEvseCharger(broker, THREE_COMBINED_ONE_TYPE2);
  await takeOut(charger, THREE_COMBINED_ONE_TYPE2, 1, second);
  await expectAnswers(charger, [
    [anyEvse(1, 'cCCS2'), 'Accepted'],
    [anyEvse(2, 'cCCS2'), 'Accepted'],
    [anyEvse(3, 'cCCS2'), 'Occupied'],
  ]);
  for (const index of [0, 2, 3]) await takeOut(charger, THREE_COMBINED_ONE_TYPE2, index, others);
  // The newest first: EVSE 1's CCS2 going leaves one CCS2 EVSE for two reservations.
  await expectEnds(charger, ['2 Removed', '1 Removed']);
  return charger;
}

describe('station-wide reservations when EVSEs become unavailable', () => {
  // change_availability_scenario_01
  it('ends the newest station-wide reservations, one per Type2 EVSE lost, and none while enough remain', async () => {
    const charger = await startEvseCharger(broker, THREE_COMBINED_ONE_TYPE2);
    const [evse1, evse2, evse3, evse4] = charger.evse;
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Accepted'],
      [anyEvse(4, 'cType2'), 'Accepted'],
    ]);
    await evse2?.disabled(2);
    await expectEnds(charger, ['4 Removed']);
    await evse4?.raiseInoperative();
    await expectEnds(charger, ['4 Removed', '3 Removed']);
    // EVSE 4 comes back and EVSE 3 loses its Type2: two Type2 EVSEs for two reservations.
    await evse4?.clearInoperative();
    await evse3?.disabled(2);
    await expectEnds(charger, ['4 Removed', '3 Removed']);
    await evse1?.raiseInoperative();
    await expectEnds(charger, ['4 Removed', '3 Removed', '2 Removed']);
    expect(await heldIds(charger)).toEqual([1]);
    // reservation_end keeps the seed's reasons: Removed is Cancelled there (spec everest-evse-dialect §7).
    expect(charger.endEvents()).toEqual([4, 3, 2].map((id) => ({ reservation_id: id, reason: 'Cancelled' })));
  });

  // change_availability_scenario_02
  it('ends the specific reservation of an EVSE that loses its type, and the newest station-wide ones as more are lost', async () => {
    const charger = await startEvseCharger(broker, THREE_COMBINED_ONE_TYPE2);
    const [evse1, evse2, evse3, evse4] = charger.evse;
    await expectAnswers(charger, [
      [atEvse(2, 1, 'cType2'), 'Accepted'],
      [atEvse(4, 2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Accepted'],
      [anyEvse(4, 'cType2'), 'Accepted'],
    ]);
    await evse2?.disabled(2);
    await expectEnds(charger, ['1 Removed']);
    await evse3?.raiseInoperative();
    await expectEnds(charger, ['1 Removed', '4 Removed']);
    await evse1?.raiseInoperative();
    await expectEnds(charger, ['1 Removed', '4 Removed', '3 Removed']);
    await evse4?.raiseInoperative();
    await expectEnds(charger, ['1 Removed', '4 Removed', '3 Removed', '2 Removed']);
    expect(await heldIds(charger)).toEqual([]);
    // The EVSE managers of the two specific reservations were told when they ended.
    await evse4?.nthCall(2);
    expect(evse2?.callLog().slice(0, 2)).toEqual([reserveCall(1), FREED]);
    expect(evse4?.callLog().slice(0, 2)).toEqual([reserveCall(2), FREED]);
  });

  // Not one of EVerest's scenarios: where its check_reservations_and_cancel_if_not_possible differs.
  it('ends the newest station-wide reservations until the rest fit, even if an older one alone would not', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cType2'], ['cCCS2']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cCCS2'), 'Accepted'],
    ]);
    // The only Type2 EVSE faults: the two CCS2 reservations would still fit, the Type2 one not.
    await charger.evse[1]?.raiseInoperative();
    // EVerest keeps, oldest first, every reservation that still fits, so it ends only #2 and keeps
    // #3. Here the newest end until the rest fit (spec everest-evse-dialect §5): #3, then #2.
    await expectEnds(charger, ['3 Removed', '2 Removed']);
    expect(await heldIds(charger)).toEqual([1]);
  });

  // reservation_evse_unavailable
  it('counts only available EVSEs, ends what no longer fits, and answers Unavailable once none is left', async () => {
    const charger = await loseEveryEvse('disabled', 'disabled');
    await expectAnswers(charger, [[anyEvse(4, 'cCCS2'), 'Unavailable']]);
  });

  // reservation_evse_faulted
  it('counts only EVSEs not faulted, and answers Faulted once all are', async () => {
    const charger = await loseEveryEvse('faulted', 'faulted');
    await expectAnswers(charger, [[anyEvse(4, 'cCCS2'), 'Faulted']]);
  });

  // reservation_evse_unavailable_and_faulted
  it('answers Faulted rather than Unavailable when some EVSEs are faulted and the others disabled', async () => {
    const charger = await loseEveryEvse('faulted', 'disabled');
    await expectAnswers(charger, [[anyEvse(4, 'cCCS2'), 'Faulted']]);
  });

  // reservation_connector_all_faulted (EVerest's EVSEs 0 and 3 are our 1 and 2)
  it('answers Faulted when every EVSE is faulted', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    for (const evse of charger.evse) await evse.raiseInoperative();
    await expectAnswers(charger, [[anyEvse(1, 'cCCS2'), 'Faulted']]);
  });

  // reservation_connector_unavailable (EVerest faults only EVSE 2's second connector; here the
  // whole EVSE faults, which leaves it as unusable as EVerest's, its first connector being disabled)
  it('with single connectors disabled, accepts the type still available and refuses the others as Occupied', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2', 'cType2'], ['cCCS1', 'cType1'], ['cCCS2', 'cType2']));
    const [evse1, evse2] = charger.evse;
    await evse1?.disabled(1);
    await evse2?.disabled(1);
    await evse2?.raiseInoperative();
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Occupied'],
      [anyEvse(3, 'cCCS1'), 'Occupied'],
      [anyEvse(4, 'cType1'), 'Occupied'],
    ]);
  });
});

describe('specific reservations of an EVSE that is unavailable or faulted', () => {
  // reservation_specific_evse_unavailable
  it('answers Unavailable for an EVSE whose connectors are all disabled', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await takeOut(charger, combinedEvses(2), 1, 'disabled');
    await expectAnswers(charger, [
      [atEvse(2, 1, 'cCCS2'), 'Unavailable'],
      [atEvse(1, 2, 'cCCS2'), 'Accepted'],
    ]);
  });

  // reservation_specific_evse_faulted
  it('answers Faulted for a faulted EVSE', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await charger.evse[0]?.raiseInoperative();
    await expectAnswers(charger, [[atEvse(1, 1, 'cCCS2'), 'Faulted']]);
    await charger.evse[1]?.raiseInoperative();
    await expectAnswers(charger, [[atEvse(2, 2, 'cCCS2'), 'Faulted']]);
  });
});
