// Issue 21 (points 6 and 9): reservation_update, exactly once per change, through the same
// persistent outbox as reservation_end and held until GlobalReady; restarts keep both kinds of
// reservation, check each again and announce it to its EVSE manager.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Broker, startBroker } from '../support/broker';
import { EvseDouble } from '../support/evse-double';
import { evseReservation, evsesOf, startEvseCharger, startEvseModule, startEvseStation, updateOf } from '../support/evse-station';
import { isoIn } from '../support/harness';
import { ManagerDouble } from '../support/manager-double';
import { startModule, uniquePrefix } from '../support/module-process';
import { Probe } from '../support/probe';
import { sleep, track } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const CCS2 = 'cCCS2';
const TYPE2 = 'cType2';

function stateFile(): string {
  return path.join(mkdtempSync(path.join(os.tmpdir(), 'reservation-state-')), 'state.json');
}

const statuses = (updates: Array<{ reservation_id: number; reservation_status: string }>): string[] => updates.map((u) => `${u.reservation_id}:${u.reservation_status}`);

describe('reservation_update', () => {
  it('goes out exactly once per change: Placed, Cancelled, Expired, Removed and Used, with reservation_end beside it', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2], [CCS2], [CCS2]));
    expect(await charger.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(2, { evse_id: 2, expiry_time: isoIn(1500) }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(3, { evse_id: 3, id_token: 'Carol' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(4, { connector_type: CCS2 }))).toBe('Accepted');
    // Refused, replaced, cancelled twice: no update of their own.
    expect(await charger.reserve(evseReservation(5, { evse_id: 1 }))).toBe('Occupied');
    expect(await charger.reserve(evseReservation(4, { connector_type: CCS2, id_token: 'again' }))).toBe('Accepted');
    expect(await charger.cancel(1)).toBe(true);
    expect(await charger.cancel(1)).toBe(false);
    await charger.station.ends.waitForCount(2, 10_000); // 1 cancelled, 2 expired
    await charger.evse[2]?.transactionStarted({ token: 'carol' });
    // EVSE 3 is charging; once EVSEs 1, 2 and 4 fault none is left for the station-wide reservation.
    for (const faulting of [0, 1, 3]) await charger.evse[faulting]?.raiseInoperative();
    await charger.station.ends.waitForCount(4, 10_000);
    await charger.updates.waitForCount(8, 10_000);
    await sleep(1000);
    expect(statuses(charger.updateEvents())).toEqual(['1:Placed', '2:Placed', '3:Placed', '4:Placed', '1:Cancelled', '2:Expired', '3:Used', '4:Removed']);
    // reservation_end keeps the seed's three reasons: Removed is Cancelled there.
    expect(charger.endEvents()).toEqual([
      { reservation_id: 1, reason: 'Cancelled' },
      { reservation_id: 2, reason: 'Expired' },
      { reservation_id: 3, reason: 'UsedToStartCharging' },
      { reservation_id: 4, reason: 'Cancelled' },
    ]);
  });

  it('is held until GlobalReady under the manager, as every var, and so are the calls to the EVSE managers', async () => {
    const prefix = uniquePrefix();
    const evse = await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: CCS2 }] } });
    const manager = await ManagerDouble.start(broker.url, {
      prefix,
      modules: {
        reservation: { moduleName: 'Reservation', standalone: true, configModule: { reservation_interface: 'evse' }, connections: { evse_manager: [evse.connection] } },
        evse_manager_1: { moduleName: 'EvseManager', alreadyReady: true },
        ocpp: { moduleName: 'OCPP' },
      },
    });
    track('manager double', () => manager.close());
    const probe = await Probe.connect(broker.url, { prefix, origin: 'ocpp' });
    const updates = await probe.collect(probe.varTopic('reservation', 'reservation_update', 'main'));
    const module = await startModule({ brokerUrl: broker.url, prefix, args: ['--everest'] });
    expect(await probe.invoke('reservation', 'reserve_now', { request: evseReservation(1, { evse_id: 1 }) }, { implId: 'main' })).toBe('Accepted');
    await sleep(1500);
    expect(updates.entries).toEqual([]);
    expect([evse.calls, evse.getEvseCalls]).toEqual([[], []]);

    await manager.markReady('ocpp');
    await updates.waitForCount(1, 10_000);
    expect(updates.messages.map(updateOf)).toEqual([{ reservation_id: 1, reservation_status: 'Placed' }]);
    await evse.getEvseAsked(1);
    expect(await evse.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: 1 } });
    await module.waitForLog((line) => line.msg === 'EVSE manager described its EVSE');
  });

  it('sends after a restart the updates the broker had not confirmed, from the persistence file', async () => {
    const file = stateFile();
    writeFileSync(
      file,
      JSON.stringify({ version: 1, reservations: [], undelivered_ends: [], undelivered_updates: [{ reservation_id: 9, reservation_status: 'Expired' }] }),
    );
    const station = await startEvseStation(broker, { configModule: { persistence_file: file, evse_connector_types: 'cCCS2' } });
    await station.updates.waitForCount(1, 10_000);
    expect(station.updateEvents()).toEqual([{ reservation_id: 9, reservation_status: 'Expired' }]);
  });
});

describe('restarts', () => {
  it('holds both kinds again, announces them, and does not bring back the ones that ended', async () => {
    const file = stateFile();
    const prefix = uniquePrefix();
    const doubles = [
      await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: CCS2 }] } }),
      await EvseDouble.start(broker, prefix, 'evse_manager_2', { evse: { id: 2, connectors: [{ id: 1, type: TYPE2 }] } }),
    ];
    const first = await startEvseModule(broker, doubles, { prefix, configModule: { persistence_file: file } });
    expect(await first.reserve(evseReservation(1, { evse_id: 1, id_token: 'Alice', parent_id_token: 'Fleet' }))).toBe('Accepted');
    expect(await first.reserve(evseReservation(2, { connector_type: TYPE2 }))).toBe('Accepted');
    expect(await first.reserve(evseReservation(3, { evse_id: 2 }))).toBe('Occupied');
    expect(await first.reserve(evseReservation(4, { connector_type: CCS2 }))).toBe('Occupied');
    expect(await first.reserve(evseReservation(5, { connector_type: CCS2, id_token: 'gone' }))).toBe('Occupied');
    const held = await first.station.list();
    await doubles[0]?.nthCall(1);
    await first.station.module.stop('SIGKILL');

    const second = await startEvseModule(broker, doubles, { prefix, configModule: { persistence_file: file } });
    expect(await second.station.list()).toEqual(held);
    expect(await doubles[0]?.nthCall(2)).toMatchObject({ cmd: 'reserve', args: { reservation_id: 1 } });
    // Held for real: EVSE 1's token, and the Type2 EVSE kept for the station-wide reservation.
    expect(await second.exists({ evse_id: 1, id_token: 'someone', group_id_token: 'FLEET' })).toBe('ReservedForToken');
    expect(await second.checkStart({ evse_id: 2, id_token: 'walk-in' })).toEqual({ allowed: false });
    expect(await second.cancel(2)).toBe(true);
    await second.station.module.stop('SIGTERM');
    const third = await startEvseModule(broker, doubles, { prefix, configModule: { persistence_file: file } });
    expect((await third.station.list()).map((r) => r.reservation_id)).toEqual([1]);
  });

  it('ends as Expired what expired while it was down, and as Removed what the station no longer allows', async () => {
    const file = stateFile();
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        reservations: [
          { reservation_id: 1, evse_id: 1, connector_type: CCS2, id_token: 'A', expiry_time: isoIn(-60_000) },
          { reservation_id: 2, evse_id: 1, connector_type: TYPE2, id_token: 'B', expiry_time: isoIn(3_600_000) },
          { reservation_id: 3, evse_id: 7, id_token: 'C', expiry_time: isoIn(3_600_000) },
          { reservation_id: 4, connector_type: CCS2, id_token: 'D', expiry_time: isoIn(3_600_000) },
        ],
        undelivered_ends: [],
      }),
    );
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2]), { configModule: { persistence_file: file } });
    await charger.updates.waitForCount(3, 10_000);
    await sleep(500);
    expect(statuses(charger.updateEvents())).toEqual(['1:Expired', '3:Removed', '2:Removed']);
    expect(charger.endEvents()).toEqual([
      { reservation_id: 1, reason: 'Expired' },
      { reservation_id: 3, reason: 'Cancelled' },
      { reservation_id: 2, reason: 'Cancelled' },
    ]);
    expect((await charger.station.list()).map((r) => r.reservation_id)).toEqual([4]);
  });
});
