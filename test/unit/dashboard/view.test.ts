// What the dashboard keeps per module: status, last snapshot, and an event log of reservations
// made and ended (with their reason) and connector state changes, newest first.
import type { EvseView, Snapshot } from '../../../src/module/snapshot';
import { DashboardView, MAX_EVENTS } from '../../../src/dashboard/view';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);

function snapshot(parts: Partial<Snapshot> = {}): Buffer {
  const value: Snapshot = {
    updated_at: '2026-11-29T12:00:00.000Z',
    reservations_total: parts.reservations?.length ?? 0,
    reservations: [],
    connectors_total: 2,
    connectors: [
      { connector_id: 1, state: 'Available' },
      { connector_id: 2, state: 'Available' },
    ],
    ...parts,
  };
  return Buffer.from(JSON.stringify(value));
}

const r7 = { reservation_id: 7, connector_id: 1, id_token: 'ABC', expiry_time: '2026-11-29T12:15:00Z' };

describe('DashboardView', () => {
  it('takes the first snapshot as the starting point, then logs what changes, newest first', () => {
    const view = new DashboardView(T0, 'reservation');
    view.applySnapshot('reservation', snapshot({ reservations: [r7], connectors: [{ connector_id: 1, state: 'Available', reserved_by: 7 }, { connector_id: 2, state: 'Available' }] }), T0);
    expect(view.shown()[0]?.events).toEqual([]);

    view.applySnapshot('reservation', snapshot({ connectors: [{ connector_id: 1, state: 'Available' }, { connector_id: 2, state: 'Faulted' }] }), T0 + 1000);
    view.applyEnd('reservation', { reservation_id: 7, reason: 'Cancelled' }, T0 + 1001);
    const r8 = { ...r7, reservation_id: 8, connector_id: 0 };
    view.applySnapshot('reservation', snapshot({ reservations: [r8], connectors: [{ connector_id: 1, state: 'Available' }, { connector_id: 2, state: 'Faulted' }] }), T0 + 2000);

    expect(view.shown()[0]?.events).toEqual([
      { at: '2026-11-29T12:00:02.000Z', type: 'reservation', reservation: r8 },
      { at: '2026-11-29T12:00:01.001Z', type: 'reservation_end', reservation_id: 7, reason: 'Cancelled' },
      // Connector 1 only lost its holder (told by the end): not logged; connector 2's state is.
      { at: '2026-11-29T12:00:01.000Z', type: 'connector', connector_id: 2, state: 'Faulted' },
    ]);
  });

  it('tells a reservation that left the snapshot without a reservation_end (a bridge carries only snapshots), once', () => {
    const view = new DashboardView(T0);
    const r8 = { ...r7, reservation_id: 8 };
    view.applySnapshot('charger-17', snapshot({ reservations: [r7, r8] }), T0);
    view.applyEnd('charger-17', { reservation_id: 8, reason: 'Expired' }, T0 + 1);
    view.applySnapshot('charger-17', snapshot(), T0 + 2);
    expect(view.shown()[0]?.events).toEqual([
      { at: '2026-11-29T12:00:00.002Z', type: 'reservation_gone', reservation_id: 7 },
      { at: '2026-11-29T12:00:00.001Z', type: 'reservation_end', reservation_id: 8, reason: 'Expired' },
    ]);
  });

  it('logs status changes after the first one it reads', () => {
    const view = new DashboardView(T0, 'reservation');
    view.applyStatus('reservation', 'online', T0);
    view.applyStatus('reservation', 'online', T0 + 1);
    view.applyStatus('reservation', 'offline', T0 + 2);
    expect(view.shown()[0]).toMatchObject({ status: 'offline', events: [{ type: 'status', status: 'offline' }] });
  });

  it('keeps the newest MAX_EVENTS events', () => {
    const view = new DashboardView(T0, 'reservation');
    for (let i = 0; i < MAX_EVENTS + 20; i++) view.applyEnd('reservation', { reservation_id: i, reason: 'Expired' }, T0 + i);
    const events = view.shown()[0]?.events ?? [];
    expect(events).toHaveLength(MAX_EVENTS);
    expect(events[0]).toMatchObject({ reservation_id: MAX_EVENTS + 19 });
  });

  it('ignores payloads that are not a snapshot and ends that are not one', () => {
    const view = new DashboardView(T0, 'reservation');
    view.applySnapshot('reservation', Buffer.from('{"not":"a snapshot"}'), T0);
    view.applySnapshot('reservation', Buffer.from('<html>'), T0);
    view.applyEnd('reservation', { reservation_id: '7', reason: 'Expired' }, T0);
    expect(view.shown()).toEqual([{ module_id: 'reservation', status: 'unknown', events: [] }]);
  });

  it('in the fleet view: shows modules with a snapshot, by id, and forgets one whose retained snapshot is cleared', () => {
    const view = new DashboardView(T0);
    const changes: string[] = [];
    view.onChange((change) => changes.push(change.kind === 'module' ? change.moduleId : 'broker'));
    view.applyStatus('evse_manager_1', 'online', T0);
    view.applySnapshot('station-b', snapshot(), T0);
    view.applySnapshot('station-a', snapshot(), T0);
    expect(view.shown().map((m) => m.module_id)).toEqual(['station-a', 'station-b']);
    view.applySnapshot('station-b', Buffer.alloc(0), T0);
    expect(view.shown().map((m) => m.module_id)).toEqual(['station-a']);
    view.setBroker(false, T0 + 5);
    view.setBroker(false, T0 + 6);
    expect(view.broker).toEqual({ connected: false, since: '2026-11-29T12:00:00.005Z' });
    expect(changes).toEqual(['evse_manager_1', 'station-b', 'station-a', 'station-b', 'broker']);
  });
});

describe('DashboardView of a module in the evse interface', () => {
  const connectors = (state: 'Available' | 'Faulted') => [{ connector_id: 1, type: 'cCCS2', state }, { connector_id: 2, type: 'cType2', state: 'Available' as const }];
  const evses = (first: Partial<EvseView> = {}): EvseView[] => [
    { evse_id: 1, state: 'Available', connectors: connectors('Available'), ...first },
    { evse_id: 2, state: 'Available', connectors: [{ connector_id: 1, type: 'cCCS2', state: 'Available' }] },
  ];
  const evseSnapshot = (parts: Partial<Snapshot>): Buffer => snapshot({ interface: 'evse', connectors: undefined, connectors_total: undefined, evses_total: 2, evses: evses(), ...parts });
  const r9 = { reservation_id: 9, evse_id: 1, connector_type: 'cType2', id_token: 'T', expiry_time: '2026-11-29T12:15:00Z' };

  it('logs EVSE state changes (a connector, held for station-wide reservations), not a holder coming or going', () => {
    const view = new DashboardView(T0, 'reservation');
    view.applySnapshot('reservation', evseSnapshot({}), T0);
    view.applySnapshot('reservation', evseSnapshot({ reservations: [r9], evses: evses({ reserved_by: 9 }) }), T0 + 1);
    view.applySnapshot('reservation', evseSnapshot({ reservations: [r9], evses: evses({ reserved_by: 9, connectors: connectors('Faulted') }) }), T0 + 2);
    view.applySnapshot('reservation', evseSnapshot({ reservations: [r9], evses: evses({ reserved_by: 9, connectors: connectors('Faulted'), held_for_station_wide: true }) }), T0 + 3);
    expect(view.shown()[0]?.events.map((e) => [e.type, e.type === 'evse' ? e.connectors[0]?.state : undefined, e.type === 'evse' ? e.held_for_station_wide : undefined])).toEqual([
      ['evse', 'Faulted', true],
      ['evse', 'Faulted', undefined],
      ['reservation', undefined, undefined],
    ]);
  });

  it('tells ends by reservation_update (Removed, Used...), not reservation_end twice; Placed is the "made" line already', () => {
    const view = new DashboardView(T0, 'reservation');
    view.applySnapshot('reservation', evseSnapshot({ reservations: [r9] }), T0);
    view.applyUpdate('reservation', { reservation_id: 9, reservation_status: 'Placed' }, T0 + 1);
    view.applyUpdate('reservation', { reservation_id: 9, reservation_status: 'Removed' }, T0 + 2);
    view.applyEnd('reservation', { reservation_id: 9, reason: 'Cancelled' }, T0 + 2);
    view.applyUpdate('reservation', { reservation_id: 9, reservation_status: 'Gone' }, T0 + 3);
    view.applySnapshot('reservation', evseSnapshot({}), T0 + 4);
    expect(view.shown()[0]?.events).toEqual([{ at: '2026-11-29T12:00:00.002Z', type: 'reservation_update', reservation_id: 9, reservation_status: 'Removed' }]);
  });
});
