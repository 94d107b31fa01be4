// A broker with max_packet_size drops the connection of a client that sends more, and MQTT.js
// then sends the same packet after every reconnect: the module must never send one. Callers can
// make the snapshot and the list_reservations answer grow (255-character tokens), so both are bounded.
import { type Broker, startBroker } from '../support/broker';
import { reservation, type Station, startStation } from '../support/harness';
import type { Collector } from '../support/probe';
import { sleep } from '../support/teardown';

const LIMIT = 16 * 1024;
const RESERVATIONS = 150; // ~300 bytes each with a 255-character token: far more than LIMIT in one list
let broker: Broker;
let station: Station;
let status: Collector;
let snapshots: Collector;

beforeAll(async () => {
  broker = await startBroker([`max_packet_size ${LIMIT}`]);
  station = await startStation(broker, { configModule: { connectors: 200, max_message_bytes: LIMIT } });
  status = await station.probe.collect(`${station.prefix}modules/reservation/status`, 1);
  snapshots = await station.probe.collect(`${station.prefix}modules/reservation/snapshot`, 1);
  for (let id = 1; id <= RESERVATIONS; id++) {
    expect(await station.reserveNow(id, reservation(id, { id_token: `T${id}`.padEnd(255, 'x') }))).toBe('Accepted');
  }
});

it('stays connected: the status never says offline and mosquitto never drops it for an oversize packet', async () => {
  await sleep(1500);
  expect(status.messages.filter((p) => p !== 'online')).toEqual([]);
  expect(broker.log()).not.toMatch(/oversize packet/i);
  expect(await station.cancel(1)).toBe(true);
});

it('answers a list_reservations that would be too large with HandlerException naming max_message_bytes', async () => {
  const result = await station.call('list_reservations', {});
  expect(result.error).toEqual({ __everest__error_type: 'HandlerException', __everest__error_msg: expect.stringContaining('max_message_bytes') });
});

it('keeps publishing the snapshot, with fewer reservations listed and the totals still counting all', async () => {
  await snapshots.waitFor((p) => (p as { reservations_total?: number }).reservations_total === RESERVATIONS - 1, 10_000);
  const latest = snapshots.entries[snapshots.entries.length - 1];
  const snapshot = latest?.payload as { reservations: unknown[]; reservations_total: number };
  expect(snapshot.reservations.length).toBeGreaterThan(0);
  expect(snapshot.reservations.length).toBeLessThan(RESERVATIONS - 1);
  expect(latest?.raw.length).toBeLessThanOrEqual(LIMIT);
});
