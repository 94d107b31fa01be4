// 100,000 reservations made and cancelled through the broker, many in flight at once: every
// call answered once, every reservation_end received once, nothing left held, and the module's
// own counts (snapshot diagnostics) back where they were after a warm-up: nothing leaks per
// reservation. Checked by counts, not by wall-clock time. LOAD_COUNT=<n> runs another size.
import { randomUUID } from 'node:crypto';
import type { Diagnostics, Snapshot as ModuleSnapshot } from '../../src/module/snapshot';
import { type Broker, startBroker } from '../support/broker';
import { type Station, startStation } from '../support/harness';
import type { Collector } from '../support/probe';
import { sleep } from '../support/teardown';

const COUNT = Number(process.env.LOAD_COUNT ?? 100_000);
const WARM_UP = 2_000;
/** Reserve-then-cancel chains running at once (each has one call in flight). */
const IN_FLIGHT = 256;
const MODULE_ID = 'reservation';
/** The driver's caller id: its answers come on their own response topics, apart from the harness's calls. */
const ORIGIN = 'load_driver';
const FAR = '2099-01-01T00:00:00Z';
/** Room for garbage the collector has not reclaimed yet; a leak of ~300 bytes per reservation would exceed it. */
const HEAP_GROWTH_LIMIT = 30 * 1024 * 1024;

jest.setTimeout(240_000);

type Snapshot = Pick<ModuleSnapshot, 'reservations_total'> & { diagnostics: Diagnostics };

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/**
 * Reserves and cancels reservations first..last (reservation n on connector n), IN_FLIGHT
 * chains at a time, over the probe's own MQTT client (the harness's collectors would keep
 * every message). Counts answers and reservation_end events per reservation.
 */
class LoadDriver {
  private readonly pending = new Map<string, { resolve: (retval: unknown) => void; reject: (err: Error) => void }>();
  /** reservation_end events received per reservation id. */
  readonly endsPer: Uint8Array;
  endsTotal = 0;
  unexpectedAnswers = 0;
  errors: string[] = [];

  constructor(
    private readonly station: Station,
    capacity: number,
  ) {
    this.endsPer = new Uint8Array(capacity + 1);
  }

  async start(): Promise<void> {
    const { probe, prefix } = this.station;
    const responses = `${prefix}modules/${MODULE_ID}/impl/main/cmd/`;
    const endTopic = probe.varTopic(MODULE_ID, 'reservation_end');
    probe.client.on('message', (topic, raw) => {
      if (topic === endTopic) {
        const id = (JSON.parse(raw.toString()) as { data: { data: { reservation_id: number } } }).data.data.reservation_id;
        if (id >= 0 && id < this.endsPer.length) this.endsPer[id] = Math.min(255, (this.endsPer[id] as number) + 1);
        this.endsTotal++;
        return;
      }
      if (!topic.startsWith(responses) || !topic.endsWith(`/response/${ORIGIN}`)) return;
      const result = (JSON.parse(raw.toString()) as { data: { data: { id: string; retval?: unknown; error?: unknown } } }).data.data;
      const waiter = this.pending.get(result.id);
      if (!waiter) {
        this.unexpectedAnswers++;
        return;
      }
      this.pending.delete(result.id);
      if (result.error !== undefined) waiter.reject(new Error(JSON.stringify(result.error)));
      else waiter.resolve(result.retval);
    });
    await probe.client.subscribeAsync([`${responses}+/response/${ORIGIN}`, endTopic], { qos: 2 });
  }

  private call(cmd: string, args: unknown): Promise<unknown> {
    const id = randomUUID();
    const answered = new Promise<unknown>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const payload = JSON.stringify({ msg_type: 'Cmd', data: { id, args, origin: ORIGIN } });
    this.station.probe.client.publish(this.station.probe.cmdTopic(MODULE_ID, cmd), payload, { qos: 2 });
    return answered;
  }

  async run(first: number, last: number): Promise<void> {
    let next = first;
    const chain = async (): Promise<void> => {
      while (next <= last) {
        const n = next++;
        const reserved = await this.call('reserve_now', { connector_id: n, reservation: { reservation_id: n, id_token: `T${n}`, expiry_time: FAR } });
        if (reserved !== 'Accepted') this.errors.push(`reserve_now ${n}: ${String(reserved)}`);
        const cancelled = await this.call('cancel_reservation', { reservation_id: n });
        if (cancelled !== true) this.errors.push(`cancel_reservation ${n}: ${String(cancelled)}`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, chain));
  }

  get inFlight(): number {
    return this.pending.size;
  }
}

/**
 * The module's diagnostics at a quiet moment. A snapshot goes out after a change, at most every
 * 200 ms: two quick changes make the second one go out ~200 ms later, when the calls that caused
 * them have long been answered. Tried again if it still caught something in flight.
 */
async function quietDiagnostics(station: Station, snapshots: Collector, probeId: number): Promise<{ diagnostics: Diagnostics; probes: number }> {
  let last: Snapshot | undefined;
  for (let attempt = 1; attempt <= 5; attempt++) {
    expect(await station.reserveNow(probeId, { reservation_id: probeId, id_token: 'PROBE', expiry_time: FAR })).toBe('Accepted');
    const from = snapshots.entries.length;
    expect(await station.cancel(probeId)).toBe(true);
    await snapshots.waitFor((p, m) => snapshots.entries.indexOf(m) >= from && (p as Snapshot).reservations_total === 0, 5000);
    await sleep(500);
    last = snapshots.entries.at(-1)?.payload as Snapshot;
    const d = last.diagnostics;
    if (last.reservations_total === 0 && d.commands_in_flight === 0 && d.pending_evse_calls === 0 && d.undelivered_ends === 0) return { diagnostics: d, probes: attempt };
  }
  throw new Error(`no quiet snapshot in 5 attempts; last: ${JSON.stringify(last)}`);
}

it(`makes and ends ${COUNT.toLocaleString('en')} reservations through the broker without leaking anything`, async () => {
  // One connector per reservation, plus one for the diagnostics probe.
  const connectors = WARM_UP + COUNT + 1;
  const probeConnector = connectors;
  const station = await startStation(broker, { moduleId: MODULE_ID, configModule: { connectors }, env: { LOG_LEVEL: 'warn' } });
  const snapshots = await station.probe.collect(`${station.prefix}modules/${MODULE_ID}/snapshot`, 1);
  const endsBefore = station.ends.entries.length;
  await station.ends.close(); // from here on the driver counts them, without keeping them
  const driver = new LoadDriver(station, connectors);
  await driver.start();

  await driver.run(1, WARM_UP);
  const { diagnostics: baseline, probes: probesBefore } = await quietDiagnostics(station, snapshots, probeConnector);

  const started = Date.now();
  await driver.run(WARM_UP + 1, WARM_UP + COUNT);
  const seconds = (Date.now() - started) / 1000;
  // For the record (the test asserts no time): how long the main run took on this machine.
  process.stdout.write(`load: ${COUNT} reservations made and cancelled in ${seconds.toFixed(1)} s (${Math.round((2 * COUNT) / seconds)} calls/s)\n`);

  expect(driver.errors.slice(0, 10)).toEqual([]);
  expect(driver.inFlight).toBe(0);
  const { diagnostics: after, probes: probesAfter } = await quietDiagnostics(station, snapshots, probeConnector);
  const probes = probesBefore + probesAfter;
  process.stdout.write(`load: diagnostics after warm-up ${JSON.stringify(baseline)}\nload: diagnostics after the run ${JSON.stringify(after)}\n`);

  // Every reservation ended exactly once (and the diagnostics probe once per time it was reserved).
  const total = WARM_UP + COUNT;
  for (let waited = 0; driver.endsTotal < total + probes && waited < 30_000; waited += 100) await sleep(100);
  await sleep(500);
  const notOnce: number[] = [];
  for (let id = 1; id <= total; id++) if (driver.endsPer[id] !== 1) notOnce.push(id);
  expect({ notEndedExactlyOnce: notOnce.slice(0, 20), count: notOnce.length }).toEqual({ notEndedExactlyOnce: [], count: 0 });
  expect(driver.endsPer[probeConnector]).toBe(probes);
  expect(driver.endsTotal).toBe(total + probes);
  expect(endsBefore).toBe(0);
  expect(driver.unexpectedAnswers).toBe(0);

  expect(await station.list()).toEqual([]);
  expect(station.module.child.exitCode).toBeNull();

  // Back to the baseline: nothing in flight, no timer or handle left behind, bounded heap.
  expect({ ...after, heap_used_bytes: 0, rss_bytes: 0 }).toEqual({ ...baseline, heap_used_bytes: 0, rss_bytes: 0 });
  expect(after.heap_used_bytes).toBeLessThan(baseline.heap_used_bytes + HEAP_GROWTH_LIMIT);
});
