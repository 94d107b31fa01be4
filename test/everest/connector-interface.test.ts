// Issue 26, part 3, the seed's EVerest (everest-core 2022.10 to 2024.10): a tree whose reservation
// interface is the seed's, with the connector folder installed as docs/running-under-everest.md
// tells an integrator of such a tree (npm run everest-module -- <modules dir>, then the
// reservation_status files). The everestjs caller calls every command of `reservation` and
// `reservation_status` as that tree declares them, and hears every var; the everestjs EVSE
// managers are called and report sessions.
import { type Station, startStation } from './support/station';
import { treeForThisFile } from './support/tree';

const tree = treeForThisFile('connector');

const EVSES = [
  { id: 1, connectorTypes: ['Unknown'] },
  { id: 2, connectorTypes: ['Unknown'] },
];

function reserveNow(station: Station, connectorId: number, id: number): Promise<string> {
  const reservation = { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: new Date(Date.now() + 3_600_000).toISOString() };
  return station.caller.call<string>('reservation', 'reserve_now', { connector_id: connectorId, reservation });
}

describe("the caller, wired to impls main and status of the connector folder, through EVerest's framework", () => {
  it('finds the commands and vars the older tree declares, and each answers as that interface says', async () => {
    const station = await startStation({ tree: tree(), evses: EVSES, reservationConfig: { reserve_connector_zero_supported: true } });
    const ready = await station.caller.ready();
    expect(ready.commands).toEqual({
      reservation: ['cancel_reservation', 'reserve_now'],
      reservation_status: ['check_start', 'exists_reservation', 'list_reservations'],
    });
    expect(ready.vars).toEqual({ reservation: [], reservation_status: ['reservation_end'] });

    expect(await reserveNow(station, 2, 1)).toBe('Accepted');
    expect(await station.evses[1]?.waitForCall((c) => c.cmd === 'reserve')).toMatchObject({ args: { reservation_id: 1 }, result: true });
    expect(await reserveNow(station, 0, 2)).toBe('Accepted');
    expect(await reserveNow(station, 3, 3)).toBe('Rejected');
    expect(await station.caller.call('reservation_status', 'exists_reservation', { request: { connector_id: 2, id_token: 'SOMEONE' } })).toBe('ReservedForOtherToken');
    expect(await station.caller.call('reservation_status', 'exists_reservation', { request: { connector_id: 2, id_token: 'TOKEN-1' } })).toBe('ReservedForToken');
    expect(await station.caller.call('reservation_status', 'check_start', { request: { evse_id: 2, id_token: 'TOKEN-1' } })).toEqual({ allowed: true, reservation_id: 1 });
    expect(await station.caller.call('reservation_status', 'list_reservations', {})).toEqual([
      expect.objectContaining({ reservation_id: 1, connector_id: 2, id_token: 'TOKEN-1' }),
      expect.objectContaining({ reservation_id: 2, connector_id: 0, id_token: 'TOKEN-2' }),
    ]);

    expect(await station.caller.call('reservation', 'cancel_reservation', { reservation_id: 1 })).toBe(true);
    await station.evses[1]?.waitForCall((c) => c.cmd === 'cancel_reservation');
    await station.caller.heard('reservation_end', { reservation_id: 1, reason: 'Cancelled' });
    expect(await station.caller.call('reservation', 'cancel_reservation', { reservation_id: 1 })).toBe(false);
    // Today's call is not this interface's: the caller's framework refuses it against the tree's interface.
    await expect(station.caller.call('reservation', 'reserve_now', { request: { reservation_id: 9, id_token: 'T', expiry_time: new Date().toISOString() } })).rejects.toThrow(
      /Argument/,
    );
  });

  it("ends a reservation as UsedToStartCharging when its token's transaction starts on its connector", async () => {
    const station = await startStation({ tree: tree(), evses: EVSES });
    expect(await reserveNow(station, 1, 5)).toBe('Accepted');
    await station.evses[0]?.waitForCall((c) => c.cmd === 'reserve' && c.result === true);
    await station.evses[0]?.plugIn();
    await station.evses[0]?.transactionStarted('TOKEN-5');
    await station.caller.heard('reservation_end', { reservation_id: 5, reason: 'UsedToStartCharging' });
    expect(await station.caller.call('reservation_status', 'list_reservations', {})).toEqual([]);
  });
});
