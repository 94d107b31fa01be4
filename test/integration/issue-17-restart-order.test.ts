// Found by the chaos soak (issue 17): after a restart with persistence_file, the module took the
// station-wide reservation with the highest id for the newest (the file listed them by id), so
// when a connector became unavailable it cancelled the wrong one. The spec: the NEWEST
// station-wide reservations give way first, across restarts as before them.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Broker, startBroker } from '../support/broker';
import { EvseDouble } from '../support/evse-double';
import { endOf, reservation, startStation } from '../support/harness';
import { uniquePrefix } from '../support/module-process';
import { track } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

describe('station-wide reservations across a restart', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)('keep their acceptance order: the newest gives way first after a %s restart', async (signal) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-state-'));
    track(`state folder ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
    const prefix = uniquePrefix();
    const evse = [await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2')];
    const options = {
      prefix,
      configModule: { persistence_file: path.join(dir, 'reservations.json'), reserve_connector_zero_supported: true },
      connections: { evse_manager: evse.map((e) => e.connection) },
    };
    const first = await startStation(broker, options);
    // Accepted first with the higher id, so id order and acceptance order disagree.
    expect(await first.reserveNow(0, reservation(5))).toBe('Accepted');
    expect(await first.reserveNow(0, reservation(3))).toBe('Accepted');
    await first.module.stop(signal);

    const second = await startStation(broker, options);
    await (evse[0] as EvseDouble).disabled();
    const end = await second.ends.next(10_000);
    expect(endOf(end.payload)).toEqual({ reservation_id: 3, reason: 'Cancelled' });
    expect((await second.list()).map((r) => r.reservation_id)).toEqual([5]);
  });
});
