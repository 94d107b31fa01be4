// The retained operator snapshot on <prefix>modules/<id>/snapshot (issue 6).
import { type Broker, startBroker } from '../support/broker';
import { reservation, startStation } from '../support/harness';
import { Probe } from '../support/probe';
import { track } from '../support/teardown';

interface Snapshot {
  reservations_total: number;
  reservations: Array<{ reservation_id: number; connector_id: number; id_token: string }>;
  connectors_total: number;
  connectors: Array<{ connector_id: number; state: string; reserved_by?: number }>;
  diagnostics: { commands_in_flight: number; pending_evse_calls: number; undelivered_ends: number };
}

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

async function lateSubscriber(prefix: string): Promise<Probe> {
  const probe = await Probe.connect(broker.url, { prefix, origin: 'dashboard' });
  track('dashboard probe', () => probe.close());
  return probe;
}

describe('operator snapshot', () => {
  it('is retained, so a dashboard that subscribes later sees the current reservations and connectors', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const live = await station.probe.collect(`${station.prefix}modules/reservation/snapshot`, 1);
    expect(await station.reserveNow(2, reservation(7, { id_token: 'Alice' }))).toBe('Accepted');
    await live.waitFor((payload) => (payload as Snapshot).reservations_total === 1, 5000);

    const dashboard = await lateSubscriber(station.prefix);
    const snapshots = await dashboard.collect(`${station.prefix}modules/reservation/snapshot`, 1);
    const received = await snapshots.next(5000);
    const snapshot = received.payload as Snapshot;
    expect(received.retain).toBe(true);
    expect(snapshot.reservations).toEqual([expect.objectContaining({ reservation_id: 7, connector_id: 2, id_token: 'Alice' })]);
    expect(snapshot.connectors).toEqual([
      { connector_id: 1, state: 'Available' },
      { connector_id: 2, state: 'Available', reserved_by: 7 },
    ]);
    expect(snapshot.connectors_total).toBe(2);
  });

  it('follows changes: a cancelled reservation disappears from the next snapshot', async () => {
    const station = await startStation(broker);
    const snapshots = await station.probe.collect(`${station.prefix}modules/reservation/snapshot`, 1);
    expect(await station.reserveNow(1, reservation(3))).toBe('Accepted');
    await snapshots.waitFor((payload) => (payload as Snapshot).reservations_total === 1, 5000);
    expect(await station.cancel(3)).toBe(true);
    const after = await snapshots.waitFor((payload) => (payload as Snapshot).reservations_total === 0, 5000);
    expect((after.payload as Snapshot).connectors).toEqual([{ connector_id: 1, state: 'Available' }]);
    expect((after.payload as Snapshot).diagnostics).toEqual(expect.objectContaining({ commands_in_flight: 0, pending_evse_calls: 0, undelivered_ends: 0 }));
  });
});
