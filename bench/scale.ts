// The rows of cost per operation as reservations are held: the pure domain in process, then the
// module through the broker at 1, 1,000 and 100,000 held (reserve_now, cancel_reservation and a
// batch expiring at one instant), and its resident memory once it settled with 100,000 held.
import type net from 'node:net';
import mqtt from 'mqtt';
import { STATUS_IMPL_ID, varTopic } from '../src/everest/topics';
import type { Broker } from '../test/support/broker';
import { BenchCaller } from './caller';
import { fmt, type Target, table } from './format';
import { cancelCalls, HOUR_MS, IN_FLIGHT_WINDOW, MODULE_ID, type Process, reserveCalls, startModule, stopProcess } from './module';
import { cpuMs, rssMb } from './proc';
import { type DomainScaleRow, measureDomain } from './scale-domain';

const SCALE_SIZES = [1, 1000, 100_000];
const SCALE_BATCH = 2000;
const EXPIRY_BATCH = 1000;
/** Connectors enough for a reservation each, at the most held at once (the comparison runs on them too). */
export const CONNECTORS = 100_000 + SCALE_BATCH;
/** Quiet time before the resident memory of the 100,000 held is read (the memory reducer runs within ~20 s). */
const HELD_SETTLE_MS = 30_000;
const TARGET_HELD_RSS_MB = 100;

/** The pure domain at each size (no broker; run while the idle rows wait). */
export function measureDomainScale(): DomainScaleRow[] {
  return SCALE_SIZES.map(measureDomain);
}

export interface ModuleScaleRow {
  held: number;
  reserveCallsPerSecond: number;
  cancelCallsPerSecond: number;
  /** Module CPU per reserve_now + cancel_reservation pair, ms. */
  cpuMsPerPair: number;
  /** From the common expiry_time to the last reservation_end received, per reservation, ms. */
  expiryMsPerReservation: number;
  expiryCpuMsPerReservation: number;
  rssMb: number;
  errors: number;
}

async function scale(broker: Broker, prefix: string, moduleProc: Process): Promise<{ rows: ModuleScaleRow[]; settledRssMb: number }> {
  const caller = await BenchCaller.connect(broker.url, prefix, 'bench-scale', 2);
  const ends = await mqtt.connectAsync(broker.url, { clientId: `bench-ends-${process.pid}`, protocolVersion: 4 });
  (ends.stream as net.Socket).setNoDelay?.(true);
  await ends.subscribeAsync(varTopic(prefix, MODULE_ID, STATUS_IMPL_ID, 'reservation_end'), { qos: 2 });
  let endCount = 0;
  let lastEndAt = 0n;
  ends.on('message', () => {
    endCount++;
    lastEndAt = process.hrtime.bigint();
  });
  const rows: ModuleScaleRow[] = [];
  let held = 0;
  // Ids far above the held ones, so batches never collide with them.
  let batchId = 10_000_000;
  for (const size of SCALE_SIZES) {
    const fill = await caller.run(MODULE_ID, reserveCalls(held + 1, held + 1, size - held, Date.now() + HOUR_MS), IN_FLIGHT_WINDOW);
    held = size;
    const firstConnector = held + 1;
    const cpuBefore = cpuMs(moduleProc.pid);
    const reserves = await caller.run(MODULE_ID, reserveCalls(batchId, firstConnector, SCALE_BATCH, Date.now() + HOUR_MS), IN_FLIGHT_WINDOW);
    const cancels = await caller.run(MODULE_ID, cancelCalls(batchId, SCALE_BATCH), IN_FLIGHT_WINDOW);
    const cpuPerPair = (cpuMs(moduleProc.pid) - cpuBefore) / SCALE_BATCH;
    batchId += SCALE_BATCH;

    // A batch that expires at one instant, while `held` others stay.
    const expiresAt = Date.now() + 2000;
    const expiring = await caller.run(MODULE_ID, reserveCalls(batchId, firstConnector, EXPIRY_BATCH, expiresAt), IN_FLIGHT_WINDOW);
    batchId += EXPIRY_BATCH;
    const endsBefore = endCount;
    const wait = expiresAt - Date.now();
    if (wait < 0) throw new Error('the expiry batch took longer to reserve than its expiry allows');
    await new Promise((resolve) => setTimeout(resolve, wait));
    const expiryCpuBefore = cpuMs(moduleProc.pid);
    const expiryBegin = process.hrtime.bigint() - BigInt(Math.round((Date.now() - expiresAt) * 1e6));
    const deadline = Date.now() + 30_000;
    while (endCount - endsBefore < EXPIRY_BATCH) {
      if (Date.now() > deadline) throw new Error(`only ${endCount - endsBefore} of ${EXPIRY_BATCH} expiries arrived`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    rows.push({
      held,
      reserveCallsPerSecond: reserves.callsPerSecond,
      cancelCallsPerSecond: cancels.callsPerSecond,
      cpuMsPerPair: cpuPerPair,
      expiryMsPerReservation: Number(lastEndAt - expiryBegin) / 1e6 / EXPIRY_BATCH,
      expiryCpuMsPerReservation: (cpuMs(moduleProc.pid) - expiryCpuBefore) / EXPIRY_BATCH,
      rssMb: rssMb(moduleProc.pid),
      errors: fill.errors + reserves.errors + cancels.errors + expiring.errors,
    });
  }
  await ends.endAsync();
  await caller.close();
  // What a charger carries while it holds them: after the burst, once V8's memory reducer has run.
  await new Promise((resolve) => setTimeout(resolve, HELD_SETTLE_MS));
  return { rows, settledRssMb: rssMb(moduleProc.pid) };
}

export interface ScaleResult {
  rows: ModuleScaleRow[];
  /** Resident memory with 100,000 held, HELD_SETTLE_MS after the last call. */
  settledRssMb: number;
  bytesPerHeld: number;
}

/** A fresh module on `prefix`: what it holds is measured, not what earlier runs left in its heap. */
export async function measureScale(broker: Broker, prefix: string, config: string): Promise<ScaleResult> {
  const { proc } = await startModule(broker, prefix, config);
  const { rows, settledRssMb } = await scale(broker, prefix, proc);
  await stopProcess(proc);
  return { rows, settledRssMb, bytesPerHeld: ((rssAt(rows, 100_000) - rssAt(rows, 1)) * 1024 * 1024) / (100_000 - 1) };
}

function rssAt(rows: readonly ModuleScaleRow[], held: number): number {
  return rows.find((r) => r.held === held)?.rssMb ?? Number.NaN;
}

export function scaleSection(domain: readonly DomainScaleRow[], { rows, settledRssMb, bytesPerHeld }: ScaleResult): string[] {
  return [
    '## Cost per operation as reservations are held',
    '',
    'Pure domain (in process, no broker):',
    '',
    table(
      ['held', 'reserve_now ns', 'cancel ns', 'expiry ns/reservation', 'heap bytes/reservation'],
      domain.map((r) => [r.held.toLocaleString('en'), fmt(r.reserveNs), fmt(r.cancelNs), fmt(r.expireNs), fmt(r.heapBytesPerReservation)]),
    ),
    '',
    `Module through the broker (QoS 2, ${IN_FLIGHT_WINDOW} in flight, batches of ${SCALE_BATCH}; expiry of ${EXPIRY_BATCH} at one instant):`,
    '',
    table(
      ['held', 'reserve_now calls/s', 'cancel calls/s', 'module CPU µs/pair', 'expiry µs/reservation', 'expiry CPU µs/reservation', 'RSS MB'],
      rows.map((r) => [
        r.held.toLocaleString('en'),
        fmt(r.reserveCallsPerSecond),
        fmt(r.cancelCallsPerSecond),
        fmt(r.cpuMsPerPair * 1000),
        fmt(r.expiryMsPerReservation * 1000),
        fmt(r.expiryCpuMsPerReservation * 1000),
        fmt(r.rssMb),
      ]),
    ),
    '',
    `Resident memory with 100,000 held, ${HELD_SETTLE_MS / 1000} s after the last call: ${fmt(settledRssMb)} MB.`,
    '',
    `Resident memory per held reservation: ${fmt(bytesPerHeld)} bytes.`,
    '',
  ];
}

export function heldMemoryTarget({ rows, settledRssMb }: ScaleResult): Target {
  return {
    name: `100,000 reservations held in <= ${TARGET_HELD_RSS_MB} MB resident, ${HELD_SETTLE_MS / 1000} s after the last call`,
    met: settledRssMb <= TARGET_HELD_RSS_MB,
    measured: `${fmt(settledRssMb)} MB (${fmt(rssAt(rows, 100_000))} MB right after the calls)`,
  };
}
