// Issue 26, part 3, today's EVerest: in the kit's tree (reservation interface of everest-core
// 2024.11.0 and later), an everestjs caller calls every command of `reservation` and
// `reservation_status` through the framework and hears every var; everestjs EVSE managers answer
// get_evse, reserve and cancel_reservation and publish session events and errors, so that all of it
// goes through EVerest's own framework, schemas checked on both sides.
import { evsesDescribed, type Station, startStation } from './support/station';
import { treeForThisFile } from './support/tree';

const tree = treeForThisFile('evse');

const INOPERATIVE = 'evse_manager/Inoperative';

function inAnHour(): string {
  return new Date(Date.now() + 3_600_000).toISOString();
}

function reserveNow(station: Station, id: number, extra: Record<string, unknown> = {}): Promise<string> {
  return station.caller.call<string>('reservation', 'reserve_now', { request: { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: inAnHour(), ...extra } });
}

describe("the caller, wired to impls main and status, through EVerest's framework", () => {
  it('finds exactly the commands and vars the tree declares, and each answers as the interface says', async () => {
    const station = await startStation({ tree: tree() });
    const ready = await station.caller.ready();
    expect(ready.commands).toEqual({
      reservation: ['cancel_reservation', 'exists_reservation', 'reserve_now'],
      reservation_status: ['check_start', 'exists_reservation', 'list_reservations'],
    });
    expect(ready.vars).toEqual({ reservation: ['reservation_update'], reservation_status: ['reservation_end'] });
    // EVSE 1 has no Type2 connector: the module must know that from get_evse before it can refuse one there.
    await evsesDescribed(station);

    // main: reserve_now, exists_reservation, cancel_reservation; var reservation_update.
    expect(await reserveNow(station, 1, { evse_id: 2, connector_type: 'cType2' })).toBe('Accepted');
    await station.caller.heard('reservation_update', { reservation_id: 1, reservation_status: 'Placed' });
    expect(await station.evses[1]?.waitForCall((c) => c.cmd === 'reserve')).toMatchObject({ args: { reservation_id: 1 }, result: true });
    expect(await reserveNow(station, 2, { evse_id: 1, connector_type: 'cType2' })).toBe('Rejected');
    expect(await station.caller.call('reservation', 'exists_reservation', { request: { evse_id: 2, id_token: 'TOKEN-1' } })).toBe('ReservedForToken');
    expect(await station.caller.call('reservation', 'exists_reservation', { request: { evse_id: 2, id_token: 'SOMEONE' } })).toBe('ReservedForOtherToken');

    // status: exists_reservation, check_start, list_reservations.
    expect(await station.caller.call('reservation_status', 'exists_reservation', { request: { connector_id: 2, id_token: 'SOMEONE' } })).toBe('ReservedForOtherToken');
    expect(await station.caller.call('reservation_status', 'check_start', { request: { evse_id: 2, id_token: 'SOMEONE' } })).toEqual({ allowed: false });
    expect(await station.caller.call('reservation_status', 'check_start', { request: { evse_id: 2, id_token: 'TOKEN-1' } })).toEqual({ allowed: true, reservation_id: 1 });
    expect(await station.caller.call('reservation_status', 'list_reservations', {})).toEqual([
      expect.objectContaining({ reservation_id: 1, evse_id: 2, connector_type: 'cType2', id_token: 'TOKEN-1' }),
    ]);

    // cancel_reservation: the EVSE manager is told, both vars say so, and a second cancel finds nothing.
    expect(await station.caller.call('reservation', 'cancel_reservation', { reservation_id: 1 })).toBe(true);
    await station.evses[1]?.waitForCall((c) => c.cmd === 'cancel_reservation');
    await station.caller.heard('reservation_update', { reservation_id: 1, reservation_status: 'Cancelled' });
    await station.caller.heard('reservation_end', { reservation_id: 1, reason: 'Cancelled' });
    expect(await station.caller.call('reservation', 'cancel_reservation', { reservation_id: 1 })).toBe(false);
    expect(await station.caller.call('reservation_status', 'list_reservations', {})).toEqual([]);
  });
});

describe("the EVSE managers' session events and errors, through EVerest's framework", () => {
  it('a reservation used by its token ends as Used when the EVSE manager reports the transaction with its id', async () => {
    const station = await startStation({ tree: tree() });
    expect(await reserveNow(station, 7, { evse_id: 1 })).toBe('Accepted');
    await station.evses[0]?.waitForCall((c) => c.cmd === 'reserve' && c.result === true);
    await station.evses[0]?.plugIn();
    // A car at the reserved EVSE: nobody else's reservation fits there now.
    expect(await reserveNow(station, 8, { evse_id: 1 })).toBe('Occupied');
    await station.evses[0]?.transactionStarted('TOKEN-7');
    await station.caller.heard('reservation_update', { reservation_id: 7, reservation_status: 'Used' });
    await station.caller.heard('reservation_end', { reservation_id: 7, reason: 'UsedToStartCharging' });
    expect(await station.caller.call('reservation_status', 'list_reservations', {})).toEqual([]);
  });

  it('an Inoperative error ends the reservation on that EVSE as Removed and keeps new ones off it until cleared', async () => {
    const station = await startStation({ tree: tree() });
    expect(await reserveNow(station, 3, { evse_id: 2 })).toBe('Accepted');
    await station.evses[1]?.raiseError(INOPERATIVE);
    await station.caller.heard('reservation_update', { reservation_id: 3, reservation_status: 'Removed' });
    await station.caller.heard('reservation_end', { reservation_id: 3, reason: 'Cancelled' });
    expect(await reserveNow(station, 4, { evse_id: 2 })).toBe('Faulted');
    await station.evses[1]?.clearError(INOPERATIVE);
    await station.manager.waitFor('EVSE operative again');
    expect(await reserveNow(station, 4, { evse_id: 2 })).toBe('Accepted');
  });

  it('a disabled EVSE ends its reservation as Removed and takes no new one until enabled', async () => {
    const station = await startStation({ tree: tree() });
    expect(await reserveNow(station, 5, { evse_id: 1 })).toBe('Accepted');
    await station.evses[0]?.sessionEvent('Disabled');
    await station.caller.heard('reservation_update', { reservation_id: 5, reservation_status: 'Removed' });
    expect(await reserveNow(station, 6, { evse_id: 1 })).toBe('Unavailable');
    await station.evses[0]?.sessionEvent('Enabled');
    await station.manager.waitFor(/"event":"Enabled".*"msg":"EVSE changed"/);
    expect(await reserveNow(station, 6, { evse_id: 1 })).toBe('Accepted');
  });

  it('station-wide reservations that need every EVSE show each of them Reserved (reserve(-1)), and expire', async () => {
    const station = await startStation({ tree: tree(), reservationConfig: { reserve_connector_zero_supported: true } });
    const soon = new Date(Date.now() + 4000).toISOString();
    expect(await reserveNow(station, 20, { expiry_time: soon })).toBe('Accepted');
    expect(await reserveNow(station, 21)).toBe('Accepted');
    for (const evse of station.evses) expect(await evse.waitForCall((c) => c.cmd === 'reserve')).toMatchObject({ args: { reservation_id: -1 }, result: true });
    expect(await reserveNow(station, 22)).toBe('Occupied');
    await station.caller.heard('reservation_update', { reservation_id: 20, reservation_status: 'Expired' });
    await station.caller.heard('reservation_end', { reservation_id: 20, reason: 'Expired' });
    // One EVSE is free again: the EVSE managers no longer show Reserved.
    await Promise.all(station.evses.map((evse) => evse.waitForCall((c) => c.cmd === 'cancel_reservation')));
  });
});
