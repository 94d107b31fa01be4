// Issue 21 (points 2 and 5) and issue 22 (point 3): in the evse interface the module learns each
// EVSE from its EVSE manager's get_evse, tells the EVSE managers what to show, and lets them have
// the last word on an EVSE-specific reservation.
import { type Broker, startBroker } from '../support/broker';
import { EvseDouble } from '../support/evse-double';
import { evseReservation, evsesOf, startEvseCharger, startEvseModule, startEvseStation } from '../support/evse-station';
import { uniquePrefix } from '../support/module-process';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const CCS2 = 'cCCS2';
const TYPE2 = 'cType2';

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('EVSEs from get_evse', () => {
  it('finds an EVSE by the id get_evse gives, not by its position among the connections', async () => {
    // Connection 1 is EVSE 2 (CCS2), connection 2 is EVSE 1 (Type2).
    const charger = await startEvseCharger(broker, [
      { id: 2, connectors: [{ id: 1, type: CCS2 }] },
      { id: 1, connectors: [{ id: 1, type: TYPE2 }] },
    ]);
    expect(await charger.reserve(evseReservation(1, { evse_id: 1, connector_type: TYPE2 }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(2, { evse_id: 2, connector_type: TYPE2 }))).toBe('Rejected');
    await charger.evse[1]?.nthCall(1);
    expect(charger.evse[1]?.callLog()).toEqual(['reserve({"reservation_id":1})']);
    expect(charger.evse[0]?.calls).toEqual([]);
  });

  it('counts an EVSE that has not answered as one connector of type Unknown, and asks it again every few seconds', async () => {
    const prefix = uniquePrefix();
    const late = await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: CCS2 }, { id: 2, type: TYPE2 }] } });
    late.answerGetEvse({ kind: 'silent' });
    const station = await startEvseStation(broker, { prefix, configModule: { evse_manager_call_timeout_ms: 1000 }, connections: { evse_manager: [late.connection] } });
    await late.getEvseAsked(1);
    // Unknown matches every type: a typed reservation fits the EVSE we know nothing about yet.
    expect(await station.reserve(evseReservation(1, { evse_id: 1, connector_type: 'cMCS' }))).toBe('Accepted');
    late.answerGetEvse({ kind: 'normal' });
    await late.getEvseAsked(2);
    await station.station.module.waitForLog((line) => line.msg === 'EVSE manager described its EVSE', 15_000);
    // Once described, the EVSE has no MCS connector: the reservation can no longer be honoured.
    await station.updates.waitFor((payload) => JSON.stringify(payload).includes('Removed'), 10_000);
    expect(station.updateEvents()).toEqual([
      { reservation_id: 1, reservation_status: 'Placed' },
      { reservation_id: 1, reservation_status: 'Removed' },
    ]);
    expect(await station.reserve(evseReservation(2, { evse_id: 1, connector_type: TYPE2 }))).toBe('Accepted');
  });

  it('says so when two EVSE managers report the same EVSE id, and lets the later one have it', async () => {
    const charger = await startEvseCharger(broker, [
      { id: 1, connectors: [{ id: 1, type: CCS2 }] },
      { id: 1, connectors: [{ id: 1, type: TYPE2 }] },
    ]);
    const line = await charger.station.module.waitForLog((l) => l.msg === 'two EVSE managers report the same EVSE id; the later answer takes it');
    expect(line).toMatchObject({ evse_id: 1, level: 50 });
    expect([line.evse_manager, line.other_evse_manager].sort()).toEqual(['evse_manager_1', 'evse_manager_2']);
    expect(await charger.reserve(evseReservation(1, { evse_id: 1, connector_type: line.evse_manager === 'evse_manager_2' ? TYPE2 : CCS2 }))).toBe('Accepted');
  });

  it('takes the EVSEs and their types from evse_connector_types without EVSE managers', async () => {
    const station = await startEvseStation(broker, { configModule: { evse_connector_types: 'cCCS2,cType2;sType2' } });
    expect(await station.reserve(evseReservation(1, { evse_id: 1, connector_type: TYPE2 }))).toBe('Accepted');
    expect(await station.reserve(evseReservation(2, { evse_id: 2, connector_type: CCS2 }))).toBe('Rejected');
    expect(await station.reserve(evseReservation(3, { evse_id: 3 }))).toBe('Rejected');
  });

  it('refuses to start on an evse_connector_types naming a type EVerest does not know, suggesting the closest', async () => {
    const { runModuleToExit } = await import('../support/module-process');
    const exit = await runModuleToExit({ brokerUrl: broker.url, configModule: { reservation_interface: 'evse', evse_connector_types: 'cCCS2;cTyp2' } });
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('evse_connector_types: EVSE 2 connector 1: "cTyp2" is not a connector type (did you mean cType2?)');
  });
});

describe('the EVSE manager has the last word', () => {
  it('makes no reservation when the EVSE manager refuses reserve, and answers Occupied (EVerest: Rejected)', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2]));
    charger.evse[0]?.answer({ kind: 'refuse' });
    expect(await charger.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Occupied');
    expect(await charger.station.list()).toEqual([]);
    await sleep(500);
    expect(charger.updateEvents()).toEqual([]);
  });

  it('waits for reserve\'s answer at most evse_manager_call_timeout_ms, then keeps the reservation and says so', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2]), { configModule: { evse_manager_call_timeout_ms: 500 } });
    charger.evse[0]?.answer({ kind: 'silent' });
    expect(await charger.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Accepted');
    expect(await charger.station.list()).toEqual([expect.objectContaining({ reservation_id: 1, evse_id: 1 })]);
    await charger.station.module.waitForLog((line) => line.msg === 'EVSE manager did not answer reserve in time; the reservation stands' && line.reservation_id === 1);
  });

  it('calls cancel_reservation() at every end of an EVSE-specific reservation', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2]));
    expect(await charger.reserve(evseReservation(1, { evse_id: 1, expiry_time: new Date(Date.now() + 1500).toISOString() }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(2, { evse_id: 2 }))).toBe('Accepted');
    expect(await charger.cancel(2)).toBe(true);
    await charger.evse[0]?.nthCall(2);
    await charger.evse[1]?.nthCall(2);
    expect(charger.evse[0]?.callLog()).toEqual(['reserve({"reservation_id":1})', 'cancel_reservation({})']);
    expect(charger.evse[1]?.callLog()).toEqual(['reserve({"reservation_id":2})', 'cancel_reservation({})']);
  });

  it('ends, on the EVSE manager\'s ReservationEnd, the reservation it was told about and not a newer one', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2]));
    const evse = charger.evse[0] as EvseDouble;
    evse.answer({ kind: 'everest' });
    expect(await charger.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Accepted');
    // Our own cancel_reservation makes the EVSE manager publish ReservationEnd before it answers;
    // reservation 2, placed right after on the same EVSE, must not take that end for its own.
    expect(await charger.cancel(1)).toBe(true);
    expect(await charger.reserve(evseReservation(2, { evse_id: 1 }))).toBe('Accepted');
    await until(() => evse.reservedFor === 2, 'the double to show reservation 2');
    await sleep(500);
    expect(await charger.station.list()).toEqual([expect.objectContaining({ reservation_id: 2 })]);
    // Disabled: EVerest's EvseManager drops the reservation it shows and publishes ReservationEnd.
    await evse.disabled();
    await charger.station.ends.waitForCount(2, 10_000);
    expect(charger.endEvents()).toEqual([
      { reservation_id: 1, reason: 'Cancelled' },
      { reservation_id: 2, reason: 'Cancelled' },
    ]);
    await charger.updates.waitForCount(4, 10_000);
    expect(charger.updateEvents().map((u) => `${u.reservation_id}:${u.reservation_status}`)).toEqual(['1:Placed', '1:Cancelled', '2:Placed', '2:Removed']);
  });
});

describe('showing Reserved when the station has no slack (issue 22)', () => {
  it('tells every available EVSE reserve(-1) once they are as many as the station-wide reservations, and takes it back', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2, TYPE2], [CCS2, TYPE2]));
    expect(await charger.reserve(evseReservation(1, { connector_type: CCS2 }))).toBe('Accepted');
    await sleep(500);
    expect(charger.evse.flatMap((e) => e.calls)).toEqual([]);
    expect(await charger.reserve(evseReservation(2, { connector_type: CCS2 }))).toBe('Accepted');
    for (const evse of charger.evse) expect(await evse.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: -1 } });
    expect(await charger.cancel(1)).toBe(true);
    for (const evse of charger.evse) expect(await evse.nthCall(2)).toMatchObject({ cmd: 'cancel_reservation' });
    await sleep(500);
    expect(charger.evse.map((e) => e.calls.length)).toEqual([2, 2]);
    // -1 never shows in reservation_update.
    expect(charger.updateEvents().every((u) => u.reservation_id > 0)).toBe(true);
  });

  it('tells only the EVSEs having the type a station-wide reservation could take no more of (check_evses_to_reserve_scenario_3)', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2, TYPE2]));
    expect(await charger.reserve(evseReservation(1, { connector_type: TYPE2 }))).toBe('Accepted');
    expect(await charger.evse[1]?.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: -1 } });
    await sleep(500);
    expect(charger.evse[0]?.calls).toEqual([]);
  });

  it('follows the cars: the slack comes back when a car leaves (check_evses_to_reserve_scenario_4)', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2, TYPE2], [CCS2, TYPE2]));
    await charger.evse[0]?.sessionStarted();
    await sleep(300);
    expect(await charger.reserve(evseReservation(1, { connector_type: TYPE2 }))).toBe('Accepted');
    expect(await charger.evse[1]?.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: -1 } });
    await charger.evse[0]?.sessionFinished();
    expect(await charger.evse[1]?.nthCall(2)).toMatchObject({ cmd: 'cancel_reservation' });
    expect(charger.evse[0]?.calls).toEqual([]);
  });

  it('tells an EVSE manager again, after a restart, what it should show', async () => {
    const prefix = uniquePrefix();
    const doubles = [await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: CCS2 }] } })];
    const { mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'reservation-state-')), 'state.json');
    const first = await startEvseModule(broker, doubles, { prefix, configModule: { persistence_file: file } });
    expect(await first.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Accepted');
    await doubles[0]?.nthCall(1);
    await first.station.module.stop('SIGKILL');
    await startEvseModule(broker, doubles, { prefix, configModule: { persistence_file: file } });
    expect(await doubles[0]?.nthCall(2)).toMatchObject({ cmd: 'reserve', args: { reservation_id: 1 } });
    // Once: a restored reservation and the system becoming ready are one announcement, not two.
    await sleep(1000);
    expect(doubles[0]?.calls).toHaveLength(2);
  });
});
