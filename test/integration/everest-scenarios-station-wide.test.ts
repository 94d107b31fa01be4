// EVerest's own scenarios for station-wide ("global") reservations (modules/EVSE/Auth/tests/
// reservation_tests.cpp, global_reservation_scenario_01-12), replayed through the module's MQTT
// interface (reservation_interface: evse) on EVSE-manager doubles that describe their EVSEs.
// EVerest keys its EVSEs from 0 (sometimes with gaps) and numbers reservations from 0; here the
// EVSEs are 1..n in EVerest's order (their ids come from get_evse) and reservations count from 1.
import { type Broker, startBroker } from '../support/broker';
import { anyEvse, combinedEvses, evsesOf, expectAnswers, startEvseCharger } from '../support/evse-station';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** One CCS2-only EVSE and two offering CCS2 and Type2: the station of scenarios 01-04. */
const ONE_CCS2_TWO_COMBINED = evsesOf(['cCCS2'], ['cCCS2', 'cType2'], ['cCCS2', 'cType2']);

describe('station-wide reservations of one type', () => {
  // global_reservation_scenario_01
  it('takes as many CCS2 reservations as EVSEs offer CCS2, then refuses any further one as Occupied', async () => {
    const charger = await startEvseCharger(broker, ONE_CCS2_TWO_COMBINED);
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'cCCS2'), 'Accepted'],
      [anyEvse(3, 'cCCS2'), 'Accepted'],
      [anyEvse(4, 'cCCS2'), 'Occupied'],
      [anyEvse(5, 'cType2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_11
  it('counts Unknown as any type, and rejects a type no EVSE has', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cCCS2'], ['cCCS2']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'Unknown'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Rejected'],
      [anyEvse(4, 'cCCS2'), 'Accepted'],
      [anyEvse(5, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_07
  it('on a single EVSE, rejects a type it lacks and accepts Unknown', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2', 'sType3']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Rejected'],
      [anyEvse(2, 'Unknown'), 'Accepted'],
    ]);
  });
});

describe('station-wide reservations of several types: every order of arrival must find an EVSE', () => {
  // global_reservation_scenario_02
  it('after a Type2 and a CCS2, refuses another of either: two CCS2 drivers could take both combined EVSEs', async () => {
    const charger = await startEvseCharger(broker, ONE_CCS2_TWO_COMBINED);
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [anyEvse(2, 'cCCS2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Occupied'],
      [anyEvse(4, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_03
  it('after two Type2 reservations, refuses a CCS2 one too: its driver could take a combined EVSE first', async () => {
    const charger = await startEvseCharger(broker, ONE_CCS2_TWO_COMBINED);
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cCCS2'), 'Occupied'],
      [anyEvse(4, 'cType2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_04 (EVerest's EVSEs 0, 4 and 7 are our 1, 2 and 3)
  it('accepts a CCS2 and a Type2 in either order of arrival, but not a second Type2', async () => {
    const charger = await startEvseCharger(broker, ONE_CCS2_TWO_COMBINED);
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_05
  it('with a single Type2 EVSE among four CCS2 ones, refuses Type2 once a CCS2 is reserved, yet takes more CCS2', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cCCS2'], ['cCCS2', 'cType2'], ['cCCS2']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Occupied'],
      [anyEvse(3, 'cCCS2'), 'Accepted'],
    ]);
  });

  // global_reservation_scenario_06
  it('with a single Type2 EVSE among three, takes one Type2 reservation and nothing more', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cCCS2'], ['cCCS2', 'cType2']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Occupied'],
      [anyEvse(3, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_08
  it('on EVSEs that all offer both types, takes CCS2 and Unknown reservations up to the number of EVSEs', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(3));
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'Unknown'), 'Accepted'],
      [anyEvse(3, 'Unknown'), 'Accepted'],
      [anyEvse(4, 'cCCS2'), 'Occupied'],
      [anyEvse(5, 'Unknown'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_09
  it('on EVSEs that all offer both types, takes Unknown, CCS2 and Type2 reservations up to the number of EVSEs', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(3));
    await expectAnswers(charger, [
      [anyEvse(1, 'Unknown'), 'Accepted'],
      [anyEvse(2, 'cCCS2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Accepted'],
      [anyEvse(4, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_10 (EVerest's EVSEs 0, 2 and 5 are our 1, 2 and 3)
  it('on EVSEs whose connectors are of type Unknown, takes reservations of any type up to the number of EVSEs', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['Unknown', 'Unknown'], ['Unknown', 'Unknown'], ['Unknown', 'Unknown']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'Unknown'), 'Accepted'],
      [anyEvse(3, 'Other3Ph'), 'Accepted'],
      [anyEvse(4, 'cCCS2'), 'Occupied'],
    ]);
  });

  // global_reservation_scenario_12
  it('on three EVSEs offering two types each in a ring, takes two reservations and refuses a third of any type', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2', 'cType2'], ['cType2', 'cTesla'], ['cTesla', 'cCCS2']));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType1'), 'Rejected'],
      [anyEvse(2, 'cCCS2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Accepted'],
      [anyEvse(4, 'cTesla'), 'Occupied'],
      [anyEvse(5, 'cCCS2'), 'Occupied'],
      [anyEvse(6, 'cType2'), 'Occupied'],
    ]);
  });
});
