// How reservations end and survive a restart: EVerest's own scenarios reservation_timer,
// cancel_reservation, on_reservation_used and store_load_reservations* (modules/EVSE/Auth/tests/
// reservation_tests.cpp), through the module's MQTT interface (reservation_interface: evse).
// EVerest keys its EVSEs from 0 and numbers reservations from 0; here EVSE ids are 1..n in
// EVerest's order (EVerest's EVSE k is our EVSE k+1) and reservations count from 1.
import { type Broker, startBroker } from '../support/broker';
import {
  anyEvse,
  atEvse,
  combinedEvses,
  type EvseChargerOptions,
  expectAnswers,
  expectCallLogs,
  expectEnds,
  FREED,
  heldIds,
  heldPlaces,
  reserveCall,
  restartEvseCharger,
  SHOWN_RESERVED,
  startEvseCharger,
  updateLines,
} from '../support/evse-station';
import { isoIn, stateFile } from '../support/harness';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** Short enough to wait for, long enough to be accepted on a busy machine. */
const SHORT_EXPIRY_MS = 2500;
/** How long an expiry may take to be published, on a busy machine. */
const EXPIRY_WAIT_MS = SHORT_EXPIRY_MS + 10_000;

describe('expiry', () => {
  // reservation_timer (EVerest's EVSE 0 is our EVSE 1)
  it('ends a station-wide and then an EVSE-specific reservation as Expired at their expiry_time', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(1));
    expect(await charger.reserve(anyEvse(1, 'cCCS2', { expiry_time: isoIn(SHORT_EXPIRY_MS) }))).toBe('Accepted');
    await expectEnds(charger, ['1 Expired'], EXPIRY_WAIT_MS);
    expect(await heldIds(charger)).toEqual([]);
    // The same reservation again, now for EVSE 1.
    expect(await charger.reserve(atEvse(1, 1, 'cCCS2', { expiry_time: isoIn(SHORT_EXPIRY_MS) }))).toBe('Accepted');
    await expectEnds(charger, ['1 Expired', '1 Expired'], EXPIRY_WAIT_MS);
    expect(charger.endEvents()).toEqual([
      { reservation_id: 1, reason: 'Expired' },
      { reservation_id: 1, reason: 'Expired' },
    ]);
    // The EVSE manager showed each reservation, and was told when it ended.
    await expectCallLogs(charger, [[SHOWN_RESERVED, FREED, reserveCall(1), FREED]]);
  });
});

describe('cancel_reservation', () => {
  // cancel_reservation
  it('answers whether it cancelled, and frees the room for a new reservation', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Occupied'],
    ]);
    expect(await charger.cancel(6)).toBe(false);
    expect(await charger.cancel(2)).toBe(true);
    expect(await charger.reserve(atEvse(2, 4, 'cType2'))).toBe('Accepted');
    expect(await charger.cancel(4)).toBe(true);
    expect(await heldIds(charger)).toEqual([1]);
    // EVerest publishes no reservation_update for a cancel_reservation command; this module says
    // Cancelled (spec everest-evse-dialect §7).
    await expectEnds(charger, ['2 Cancelled', '4 Cancelled']);
    // EVSE 2's manager was told when its reservation was cancelled, as in EVerest; both were
    // shown Reserved while the station-wide reservations (or #1 and EVSE 2's) took every EVSE.
    await expectCallLogs(charger, [
      [SHOWN_RESERVED, FREED, SHOWN_RESERVED, FREED],
      [SHOWN_RESERVED, FREED, reserveCall(4), FREED],
    ]);
  });
});

describe('a reservation used to charge', () => {
  // on_reservation_used: EVerest calls it when the reserved token authorises; here the EVSE
  // manager reports the session (TransactionStarted, or SessionStarted with reason Authorized).
  it('ends as Used, by reservation id or token, and frees its room once the car has left', async () => {
    const charger = await startEvseCharger(broker, combinedEvses(2));
    const [evse1, evse2] = charger.evse;
    await expectAnswers(charger, [
      [anyEvse(1, 'cType2'), 'Accepted'],
      [anyEvse(2, 'cType2'), 'Accepted'],
      [anyEvse(3, 'cType2'), 'Occupied'],
    ]);
    await evse1?.transactionStarted({ token: 'TOKEN-2', reservationId: 2 });
    await expectEnds(charger, ['2 Used']);
    // EVerest's unit test frees the room at once; through the EVSE managers the car charges at
    // EVSE 1 until its session finishes.
    await evse1?.sessionFinished();
    await expectAnswers(charger, [
      [anyEvse(4, 'cType2'), 'Accepted'],
      [anyEvse(5, 'cType2'), 'Occupied'],
      [atEvse(2, 6, 'cType2'), 'Occupied'],
    ]);
    await evse2?.sessionStarted({ reason: 'Authorized', token: 'TOKEN-1' });
    await expectEnds(charger, ['2 Used', '1 Used']);
    await evse1?.transactionStarted({ token: 'TOKEN-4' });
    // EVerest publishes no reservation_update when a reservation is used (its issue #957); this
    // module says Used (spec everest-evse-dialect §7). Nothing was Removed or Expired.
    await expectEnds(charger, ['2 Used', '1 Used', '4 Used']);
    expect(charger.endEvents().map((end) => end.reason)).toEqual(['UsedToStartCharging', 'UsedToStartCharging', 'UsedToStartCharging']);
    for (const evse of [evse1, evse2]) await evse?.sessionFinished();
    await expectAnswers(charger, [
      [atEvse(2, 7, 'cCCS2'), 'Accepted'],
      [anyEvse(8, 'cCCS2'), 'Accepted'],
    ]);
  });
});

describe('a restart with persistence_file', () => {
  async function reservedBeforeRestart(options: EvseChargerOptions) {
    const charger = await startEvseCharger(broker, combinedEvses(2), options);
    await expectAnswers(charger, [
      [atEvse(2, 1, 'cCCS2'), 'Accepted'],
      [anyEvse(2, 'cCCS2'), 'Accepted'],
    ]);
    await expectCallLogs(charger, [[SHOWN_RESERVED], [reserveCall(1)]]);
    return restartEvseCharger(broker, charger, options);
  }

  // store_load_reservations
  it('holds the EVSE-specific and the station-wide reservation again, and tells the EVSE managers', async () => {
    const options = { configModule: { persistence_file: stateFile().file } };
    const restarted = await reservedBeforeRestart(options);
    expect(await heldPlaces(restarted)).toEqual(['#1 EVSE 2', '#2 any EVSE']);
    // Held for real: there is no room for another.
    await expectAnswers(restarted, [
      [atEvse(2, 3, 'cCCS2'), 'Occupied'],
      [anyEvse(4, 'cCCS2'), 'Occupied'],
    ]);
    // EVerest does not tell the EVSE managers about reservations it loads (spec
    // everest-evse-dialect §8); here each is told again what it shows, as after any restart.
    const [evse1, evse2] = restarted.evse;
    expect(await evse1?.nthCall(2)).toEqual(expect.objectContaining({ cmd: 'reserve', args: { reservation_id: -1 } }));
    expect(await evse2?.nthCall(2)).toEqual(expect.objectContaining({ cmd: 'reserve', args: { reservation_id: 1 } }));
    // Restored, not placed anew: no update.
    expect(updateLines(restarted)).toEqual([]);
  });

  // store_load_reservations, what the EVSE managers hear: only changes (spec everest-evse-dialect §5).
  it('tells each EVSE manager once what it shows after the restart', async () => {
    const restarted = await reservedBeforeRestart({ configModule: { persistence_file: stateFile().file } });
    await expectCallLogs(restarted, [
      [SHOWN_RESERVED, SHOWN_RESERVED],
      [reserveCall(1), reserveCall(1)],
    ]);
  });

  // store_load_reservations_connector_unavailable: EVerest's EVSE faults before the reservations
  // are loaded. The module hears of a fault only when the EVSE manager raises it, so here it is
  // raised once the module is back.
  it('ends the restored reservation of an EVSE that faults, and keeps the station-wide one', async () => {
    const options = { configModule: { persistence_file: stateFile().file } };
    const restarted = await reservedBeforeRestart(options);
    await restarted.evse[1]?.raiseInoperative();
    await expectEnds(restarted, ['1 Removed']);
    expect(await heldIds(restarted)).toEqual([2]);
  });

  // Not one of EVerest's scenarios: a reservation that expired while the module was down.
  it('ends a reservation whose expiry_time passed while the module was down as Expired', async () => {
    const options = { configModule: { persistence_file: stateFile().file } };
    const charger = await startEvseCharger(broker, combinedEvses(2), options);
    // Long enough for the module to be stopped before it falls due.
    const expiresAt = Date.now() + 2 * SHORT_EXPIRY_MS;
    expect(await charger.reserve(anyEvse(1, 'cCCS2', { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    expect(await charger.reserve(atEvse(1, 2, 'cCCS2'))).toBe('Accepted');
    await charger.station.module.stop('SIGTERM');
    expect(updateLines(charger)).toEqual(['1 Placed', '2 Placed']);
    await sleep(Math.max(0, expiresAt - Date.now()) + 200);
    const restarted = await restartEvseCharger(broker, charger, options);
    // EVerest loads it as a new reservation, which is refused as in the past, and reports it
    // Removed (spec everest-evse-dialect §8); it expired, so Expired.
    await expectEnds(restarted, ['1 Expired']);
    expect(await heldIds(restarted)).toEqual([2]);
  });
});
