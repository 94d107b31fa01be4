// Which EVSEs are shown Reserved for the station-wide reservations (spec everest-evse-dialect §5,
// "Showing Reserved"): EVerest's own scenarios check_evses_to_reserve_scenario_1-6
// (modules/EVSE/Auth/tests/reservation_tests.cpp), where its handler returns the EVSEs to mark
// reserved and those to free again. Here that is what the EVSE-manager doubles are told:
// reserve(-1) and cancel_reservation(), only when it changes. EVerest keys its EVSEs from 0; here
// EVSE ids are 1..n in EVerest's order (EVerest's EVSE k is our EVSE k+1, the double evse[k]).
import { type Broker, startBroker } from '../support/broker';
import {
  anyEvse,
  atEvse,
  combinedEvses,
  evsesOf,
  expectCallLogs,
  FREED,
  heldIds,
  reserveCall,
  SHOWN_RESERVED,
  startEvseCharger,
  updateLines,
} from '../support/evse-station';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});


describe('EVSEs shown Reserved for station-wide reservations', () => {
  // check_evses_to_reserve_scenario_1
  it('shows the last available EVSE Reserved once a specific reservation leaves it to a station-wide one', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await expectCallLogs(charger, [[], []]);
    expect(await charger.reserve(atEvse(2, 1, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[], [reserveCall(1)]]);
    expect(await charger.reserve(anyEvse(2, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[SHOWN_RESERVED], [reserveCall(1)]]);
  });

  // check_evses_to_reserve_scenario_2
  it('shows nothing Reserved while EVSEs outnumber station-wide reservations of a type they all offer, and all once they match', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    expect(await charger.reserve(anyEvse(1, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[], []]);
    expect(await charger.reserve(anyEvse(2, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[SHOWN_RESERVED], [SHOWN_RESERVED]]);
  });

  // check_evses_to_reserve_scenario_3
  it('shows Reserved the only EVSE of a type that could take no further reservation of it', async () => {
    const charger = await startEvseCharger(broker, evsesOf(['cCCS2'], ['cCCS2', 'cType2']));
    expect(await charger.reserve(anyEvse(1, 'cType2'))).toBe('Accepted');
    await expectCallLogs(charger, [[], [SHOWN_RESERVED]]);
  });

  // check_evses_to_reserve_scenario_4 (EVerest's plugged_in: a SessionStarted without authorisation)
  it('shows the free EVSE Reserved while a car is plugged in at the other, and frees it when the car leaves', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    const [evse1] = charger.evse;
    await evse1?.sessionStarted();
    await expectCallLogs(charger, [[], []]);
    expect(await charger.reserve(anyEvse(1, 'cType2'))).toBe('Accepted');
    await expectCallLogs(charger, [[], [SHOWN_RESERVED]]);
    await evse1?.sessionFinished();
    await expectCallLogs(charger, [[], [SHOWN_RESERVED, FREED]]);
  });

  // check_evses_to_reserve_scenario_5 (EVerest's TRANSACTION_STARTED and SESSION_FINISHED)
  it('shows the free EVSE Reserved while the other charges, and frees it when that session finishes', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    const [, evse2] = charger.evse;
    await evse2?.transactionStarted({ token: 'WALK-IN' });
    await expectCallLogs(charger, [[], []]);
    expect(await charger.reserve(anyEvse(1, 'cType2'))).toBe('Accepted');
    await expectCallLogs(charger, [[SHOWN_RESERVED], []]);
    await evse2?.sessionFinished();
    await expectCallLogs(charger, [[SHOWN_RESERVED, FREED], []]);
  });

  // check_evses_to_reserve_scenario_6
  it('frees every EVSE once a cancellation leaves more EVSEs than station-wide reservations', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    expect(await charger.reserve(anyEvse(1, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[], []]);
    expect(await charger.reserve(anyEvse(2, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[SHOWN_RESERVED], [SHOWN_RESERVED]]);
    expect(await charger.cancel(1)).toBe(true);
    await expectCallLogs(charger, [
      [SHOWN_RESERVED, FREED],
      [SHOWN_RESERVED, FREED],
    ]);
  });

  // check_evses_to_reserve_scenario_6, on EVSE managers that behave as EVerest's: they answer
  // cancel_reservation() with a ReservationEnd event, which must not end the reservation still held.
  it('keeps the remaining station-wide reservation when the freed EVSE managers report ReservationEnd', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    for (const evse of charger.evse) evse.answer({ kind: 'everest' });
    expect(await charger.reserve(anyEvse(1, 'cCCS2'))).toBe('Accepted');
    expect(await charger.reserve(anyEvse(2, 'cCCS2'))).toBe('Accepted');
    await expectCallLogs(charger, [[SHOWN_RESERVED], [SHOWN_RESERVED]]);
    expect(charger.evse.map((evse) => evse.reservedFor)).toEqual([-1, -1]);
    expect(await charger.cancel(1)).toBe(true);
    await expectCallLogs(charger, [
      [SHOWN_RESERVED, FREED],
      [SHOWN_RESERVED, FREED],
    ]);
    expect(charger.evse.map((evse) => evse.reservedFor)).toEqual([undefined, undefined]);
    expect(await heldIds(charger)).toEqual([2]);
    expect(updateLines(charger)).toEqual(['1 Placed', '2 Placed', '1 Cancelled']);
  });
});
