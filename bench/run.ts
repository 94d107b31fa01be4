// npm run bench: the module against two anchors on the same private mosquitto (a bare echo, and
// an echo that also publishes reservation_end for each cancel, as the module does), then its
// cost as the number of held reservations grows, its start-up, its footprint at idle, a
// 128-EVSE hub in the evse interface, and the station-wide guarantee's engine alone.
// Prints tables and each target with PASS or MISS, and writes JSON.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { STATUS_IMPL_ID, varTopic } from '../src/everest/topics';
import { MQTT_KEEPALIVE_S } from '../src/mqtt/connection';
import { type Broker, startBroker } from '../test/support/broker';
import { cleanup, track, trackChild } from '../test/support/teardown';
import { BenchCaller, type Call, type CallStats, type QoS } from './caller';
import { guaranteeTable, measureGuarantee } from './guarantee';
import { type HubResult, measureHubModule } from './hub';
import { cpuMs, peakRssMb, rssMb } from './proc';
import { type DomainScaleRow, measureDomain } from './scale-domain';

const ROOT = path.resolve(__dirname, '..');
const MODULE_ID = 'reservation';
const ECHO_ID = 'echo';
const EVENTS_ID = 'echo-events';
const SEQUENTIAL_CALLS = 2000;
const IN_FLIGHT_CALLS = 10_000;
const IN_FLIGHT_WINDOW = 64;
const WARM_UP_CALLS = 3000;
const SCALE_SIZES = [1, 1000, 100_000];
const SCALE_BATCH = 2000;
const EXPIRY_BATCH = 1000;
const CONNECTORS = 100_000 + SCALE_BATCH;
const HOUR_MS = 3_600_000;
const STARTS = 5;
/** After ModuleReady, V8 finishes its start-up work on its threads: compiling, and the memory reducer's Mark-Compact (seen 16-20 s in, later under load). */
const IDLE_SETTLE_MS = 30_000;
const IDLE_WINDOW_MS = 30_000;
/** Quiet time before the resident memory of the 100,000 held is read (the memory reducer runs within ~20 s). */
const HELD_SETTLE_MS = 30_000;

/** The module as npm start and Docker run it, and the single-file bundle (npm run bundle). */
const ENTRIES = [
  { name: 'dist/main.js', file: 'dist/main.js' },
  { name: 'bundle', file: 'dist/bundle/reservation.js' },
] as const;

const TARGET_THROUGHPUT_RATIO = 0.9;
const TARGET_P99_RATIO = 1.5;
const TARGET_IDLE_RSS_MB = 50;
const TARGET_HELD_RSS_MB = 100;
const TARGET_STARTUP_MS = 300;
/** The issue's "well under a millisecond" for the engine alone deciding one station-wide reserve_now on the hub. */
const TARGET_ENGINE_MS = 1;
/**
 * What the MQTT keepalive alone costs in a window: MQTT.js checks every half keepalive, pings
 * once per keepalive and wakes for the answer; +2 for where the window falls.
 */
const IDLE_WAKE_BUDGET = Math.ceil(IDLE_WINDOW_MS / ((MQTT_KEEPALIVE_S * 1000) / 2)) + Math.ceil(IDLE_WINDOW_MS / (MQTT_KEEPALIVE_S * 1000)) + 2;

interface Process {
  child: ChildProcess;
  pid: number;
}

/**
 * The environment systemd gives the service (deploy/systemd), not this shell's: a shell's
 * NODE_EXTRA_CA_CERTS, say, makes node parse a CA bundle at every start (+100 ms, +2.4 MB here).
 * The module and the anchors run in the same one.
 */
const SERVICE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  ['PATH', 'LANG', 'TZ', 'BENCH_PROFILE', 'RESERVATION_OPTIMIZE_FOR'].filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]),
);

function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}): Process {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...SERVICE_ENV, ...env } });
  trackChild(child);
  if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  return { child, pid: child.pid };
}

async function stopProcess({ child }: Process): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let waiters = 0;

/** Resolves when a message arrives on `topic`; the subscription is made before `start` runs. */
async function waitForMessage(url: string, topic: string, start: () => void, timeoutMs = 15_000): Promise<void> {
  // A counter, not the time: two waits started in one millisecond would share a client id, and the broker drops the first.
  const client = await mqtt.connectAsync(url, { clientId: `bench-wait-${process.pid}-${++waiters}`, protocolVersion: 4 });
  try {
    await client.subscribeAsync(topic, { qos: 1 });
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing on ${topic} within ${timeoutMs} ms`)), timeoutMs);
      client.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    start();
    await arrived;
  } finally {
    await client.endAsync();
  }
}

/** A config file with the module's entry (config_module, connections). */
function moduleConfig(entry: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-bench-'));
  track('bench config', () => rmSync(dir, { recursive: true, force: true }), 'file');
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringify({ active_modules: { [MODULE_ID]: { module: 'Reservation', ...entry } } }));
  return file;
}

/** Starts the module (LOG_LEVEL info, as deployed; logs to /dev/null) and the time to ModuleReady. */
async function startModule(broker: Broker, prefix: string, config: string, entry = 'dist/main.js'): Promise<{ proc: Process; readyMs: number }> {
  let proc: Process | undefined;
  const begin = process.hrtime.bigint();
  await waitForMessage(broker.url, `${prefix}modules/${MODULE_ID}/ready`, () => {
    // BENCH_PROFILE=1 writes a V8 CPU profile of each module process to bench/results/profile/.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'bench', 'results', 'profile')] : [];
    proc = spawnNode([...profile, entry, '--config', config, '--mqtt-url', broker.url, '--prefix', prefix, '--module', MODULE_ID], { LOG_LEVEL: 'info' });
  });
  const readyMs = Number(process.hrtime.bigint() - begin) / 1e6;
  return { proc: proc as Process, readyMs };
}

async function startEcho(broker: Broker, prefix: string, id: string, mode: 'bare' | 'events'): Promise<Process> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'bench/echo-responder.ts', broker.url, prefix, id, mode], {
    cwd: ROOT,
    env: SERVICE_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  trackChild(child);
  // It says "ready" once subscribed.
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`echo responder exited (${code}) before it was ready`)));
  });
  return { child, pid: child.pid as number };
}

function reservationArgs(id: number, connectorId: number, expiresAtMs: number): Record<string, unknown> {
  return { connector_id: connectorId, reservation: { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: new Date(expiresAtMs).toISOString() } };
}

/** reserve_now for ids [firstId, firstId+count) on connectors [firstConnector, ...). */
function reserveCalls(firstId: number, firstConnector: number, count: number, expiresAtMs: number): Call[] {
  return Array.from({ length: count }, (_, i) => ({ cmd: 'reserve_now', args: reservationArgs(firstId + i, firstConnector + i, expiresAtMs), expect: 'Accepted' }));
}

function cancelCalls(firstId: number, count: number): Call[] {
  return Array.from({ length: count }, (_, i) => ({ cmd: 'cancel_reservation', args: { reservation_id: firstId + i }, expect: true }));
}

interface Measured extends CallStats {
  cpuMs: number;
}

async function measured(pid: number, run: () => Promise<CallStats>): Promise<Measured> {
  const cpuBefore = cpuMs(pid);
  const stats = await run();
  return { ...stats, cpuMs: cpuMs(pid) - cpuBefore };
}

interface ComparisonRow {
  qos: QoS;
  pattern: 'sequential' | `${number} in flight`;
  command: 'reserve_now' | 'cancel_reservation';
  /** The bare echo. */
  baseline: Measured;
  /** The echo that also publishes reservation_end for each cancel: the fair anchor. */
  events: Measured;
  module: Measured;
  throughputRatio: number;
  p99Ratio: number;
  eventsThroughputRatio: number;
  eventsP99Ratio: number;
}

interface Responders {
  module: Process;
  echo: Process;
  events: Process;
}

async function compare(broker: Broker, prefix: string, procs: Responders): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  let nextId = 1;
  for (const qos of [2, 0] as const) {
    const caller = await BenchCaller.connect(broker.url, prefix, `bench-q${qos}`, qos);
    // JIT and broker warm-up, not measured.
    const warmId = nextId;
    nextId += WARM_UP_CALLS;
    await caller.run(MODULE_ID, reserveCalls(warmId, 1, WARM_UP_CALLS, Date.now() + HOUR_MS), IN_FLIGHT_WINDOW);
    await caller.run(MODULE_ID, cancelCalls(warmId, WARM_UP_CALLS), IN_FLIGHT_WINDOW);
    for (const anchor of [ECHO_ID, EVENTS_ID]) {
      await caller.run(anchor, reserveCalls(warmId, 1, WARM_UP_CALLS, Date.now() + HOUR_MS), IN_FLIGHT_WINDOW);
      await caller.run(anchor, cancelCalls(warmId, WARM_UP_CALLS), IN_FLIGHT_WINDOW);
    }
    for (const [pattern, count, window] of [
      ['sequential', SEQUENTIAL_CALLS, 1],
      [`${IN_FLIGHT_WINDOW} in flight`, IN_FLIGHT_CALLS, IN_FLIGHT_WINDOW],
    ] as const) {
      const firstId = nextId;
      nextId += count;
      const reserves = reserveCalls(firstId, 1, count, Date.now() + HOUR_MS);
      const cancels = cancelCalls(firstId, count);
      // The anchors answer 'Accepted' to everything.
      const echoOf = (calls: Call[]): Call[] => calls.map((c) => ({ ...c, expect: 'Accepted' }));
      const three = async (calls: Call[]): Promise<[Measured, Measured, Measured]> => [
        await measured(procs.echo.pid, () => caller.run(ECHO_ID, echoOf(calls), window)),
        await measured(procs.events.pid, () => caller.run(EVENTS_ID, echoOf(calls), window)),
        await measured(procs.module.pid, () => caller.run(MODULE_ID, calls, window)),
      ];
      for (const [command, [baseline, events, module]] of [
        ['reserve_now', await three(reserves)],
        ['cancel_reservation', await three(cancels)],
      ] as const) {
        rows.push({
          qos,
          pattern,
          command,
          baseline,
          events,
          module,
          throughputRatio: module.callsPerSecond / baseline.callsPerSecond,
          p99Ratio: module.p99Ms / baseline.p99Ms,
          eventsThroughputRatio: module.callsPerSecond / events.callsPerSecond,
          eventsP99Ratio: module.p99Ms / events.p99Ms,
        });
      }
    }
    await caller.close();
  }
  return rows;
}

/** Voluntary context switches of every thread of `pid`: each is a wake-up after sleeping. */
function voluntarySwitches(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, task) => {
    try {
      const match = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'));
      return sum + Number(match?.[1] ?? 0);
    } catch {
      return sum; // the thread ended meanwhile
    }
  }, 0);
}

interface IdleRow {
  entry: string;
  /** Reservations held, each an hour from its expiry. */
  held: number;
  startupMs: number[];
  medianStartupMs: number;
  rssMb: number;
  wakeUps: number;
}

const median = (values: number[]): number => {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

/**
 * Start-up (median of STARTS), then, for one started module per entry that holds nothing: its
 * wake-ups over IDLE_WINDOW_MS once settled, and its resident memory. `meanwhile` runs during the window.
 */
async function idle(broker: Broker, prefix: string, config: string, entries: ReadonlyArray<{ name: string; file: string }>, meanwhile: () => void): Promise<IdleRow[]> {
  const startups = new Map<string, number[]>();
  for (let i = 0; i < STARTS; i++) {
    for (const entry of entries) {
      const { proc, readyMs } = await startModule(broker, `${prefix}startup-${i}/`, config, entry.file);
      startups.set(entry.name, [...(startups.get(entry.name) ?? []), readyMs]);
      await stopProcess(proc);
    }
  }
  const idleProcs = await Promise.all(entries.map(async (entry, i) => (await startModule(broker, `${prefix}idle-${i}/`, config, entry.file)).proc));
  // The same entry as the last one, holding one reservation far from its expiry: its timer must sleep too.
  const heldEntry = entries[entries.length - 1] as { name: string; file: string };
  const heldPrefix = `${prefix}idle-held/`;
  idleProcs.push((await startModule(broker, heldPrefix, config, heldEntry.file)).proc);
  const heldCaller = await BenchCaller.connect(broker.url, heldPrefix, 'bench-idle-held', 2);
  const heldCall = await heldCaller.run(MODULE_ID, reserveCalls(1, 1, 1, Date.now() + HOUR_MS), 1);
  await heldCaller.close();
  if (heldCall.errors > 0) throw new Error('the idle module did not accept its reservation');
  await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
  const before = idleProcs.map((p) => voluntarySwitches(p.pid));
  const windowEnds = Date.now() + IDLE_WINDOW_MS;
  meanwhile();
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, windowEnds - Date.now())));
  const rows: IdleRow[] = [...entries, { name: `${heldEntry.name}, 1 held`, file: heldEntry.file }].map((entry, i) => {
    const proc = idleProcs[i] as Process;
    const startupMs = startups.get(entry.name) ?? [];
    return {
      entry: entry.name,
      held: i === entries.length ? 1 : 0,
      startupMs,
      medianStartupMs: median(startupMs),
      rssMb: rssMb(proc.pid),
      wakeUps: voluntarySwitches(proc.pid) - (before[i] as number),
    };
  });
  await Promise.all(idleProcs.map(stopProcess));
  return rows;
}

interface ModuleScaleRow {
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

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
const fmtMs = (ms: number): string => (ms < 1 ? `${fmt(ms * 1000, 1)} µs` : `${fmt(ms, 1)} ms`);

const worstOf = <T>(items: T[], key: (t: T) => number, pick: 'min' | 'max'): T =>
  items.reduce((a, b) => ((pick === 'min' ? key(b) < key(a) : key(b) > key(a)) ? b : a));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function hubSection(hub: HubResult): string[] {
  const byType = Object.entries(hub.heldByType)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
  return [
    `## Hub: ${hub.evses} EVSE managers, evse interface (dist/main.js, QoS 2, one call at a time)`,
    '',
    `${hub.evses} EVSEs with ${hub.connectors} connectors of four types, ${hub.occupied} with a car, ${hub.disabledConnectors} connectors disabled; ` +
      `${hub.held} station-wide reservations held when the station refused every type (${byType}; the engine alone accepts ${hub.engineHeld} in the same order); ` +
      `${hub.acceptingEvses} free EVSEs still take an EVSE-specific one. The EVSE managers are one simulator answering as EVerest's EvseManager does.`,
    '',
    table(
      ['what', 'calls', 'answers', 'per s, one at a time', 'p50 ms', 'p99 ms'],
      hub.rows.map((r) => [
        r.what,
        String(r.calls),
        Object.entries(r.answers)
          .map(([answer, n]) => `${answer} x${n}`)
          .join(', '),
        fmt(r.callsPerSecond),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
      ]),
    ),
    '',
    `Per round of each phase, module CPU and reserve / cancel_reservation calls to the EVSE managers: ${Object.entries(hub.cpuUsPerRound)
      .map(([phase, us]) => `${phase}: ${fmt(us)} µs, ${fmt(hub.evseCallsPerRound[phase] ?? Number.NaN, 1)} calls`)
      .join('; ')}. So ~${fmt(hub.cpuUsPerEvent)} µs of module CPU per EVSE event.`,
    `Held at the end: ${hub.heldAtEnd}; reservation_update while measuring: ${Object.entries(hub.updates)
      .map(([status, n]) => `${status} x${n}`)
      .join(', ')}. Module RSS after: ${fmt(hub.rssMb)} MB. The hub took ${fmt(hub.seconds)} s.`,
  ];
}

interface Target {
  name: string;
  met: boolean;
  measured: string;
}

async function main(): Promise<void> {
  const began = Date.now();
  const broker = await startBroker();
  const prefix = `bench-${process.pid}/`;
  // The comparison and scale runs need a connector per reservation held at once.
  const config = moduleConfig({ config_module: { connectors: CONNECTORS } });
  // Start-up and idle as on a charger: two connectors.
  const chargerConfig = moduleConfig({ config_module: { connectors: 2 } });
  // Other users' runs share this machine: each section's figures go with the load it ran under.
  const load: Record<string, number[]> = { start: os.loadavg() };
  const entries = ENTRIES.filter((e) => existsSync(path.join(ROOT, e.file)));
  if (entries.length < ENTRIES.length) process.stderr.write('no bundle (npm run bundle): measuring dist/main.js only\n');

  process.stderr.write(`start-up (${STARTS} each), then ${IDLE_WINDOW_MS / 1000} s idle; the pure domain is measured meanwhile...\n`);
  let domain: DomainScaleRow[] = [];
  const idleRows = await idle(broker, prefix, chargerConfig, entries, () => {
    domain = SCALE_SIZES.map(measureDomain);
  });

  load.comparison = os.loadavg();
  const { proc: moduleProc } = await startModule(broker, prefix, config);
  const echoProc = await startEcho(broker, prefix, ECHO_ID, 'bare');
  const eventsProc = await startEcho(broker, prefix, EVENTS_ID, 'events');
  process.stderr.write('comparing the module with the echo anchors...\n');
  const comparison = await compare(broker, prefix, { module: moduleProc, echo: echoProc, events: eventsProc });
  const echoPeakMb = peakRssMb(echoProc.pid);
  const modulePeakMb = peakRssMb(moduleProc.pid);
  await Promise.all([echoProc, eventsProc, moduleProc].map(stopProcess));

  load.scale = os.loadavg();
  process.stderr.write('measuring the module at 1, 1,000 and 100,000 held...\n');
  // A fresh module: what it holds is measured, not what the comparison runs left in its heap.
  const { proc: scaleProc } = await startModule(broker, `${prefix}scale/`, config);
  const { rows: moduleScale, settledRssMb: heldSettledRssMb } = await scale(broker, `${prefix}scale/`, scaleProc);
  const rssAt = (held: number): number => moduleScale.find((r) => r.held === held)?.rssMb ?? Number.NaN;
  const bytesPerHeld = ((rssAt(100_000) - rssAt(1)) * 1024 * 1024) / (100_000 - 1);
  await stopProcess(scaleProc);

  load.hub = os.loadavg();
  process.stderr.write('a hub: 128 EVSE managers, station-wide reservations held, commands and EVSE events...\n');
  // dist/main.js, as the comparison and scale rows.
  const hub = await measureHubModule({
    broker,
    prefix: `${prefix}hub/`,
    startModule: async (hubPrefix, entry) => {
      const { proc } = await startModule(broker, hubPrefix, moduleConfig(entry));
      return { pid: proc.pid, stop: () => stopProcess(proc) };
    },
  });

  load.guarantee = os.loadavg();
  process.stderr.write("the station-wide guarantee: the engine alone on the hub, EVerest's search on growing stations...\n");
  const guarantee = measureGuarantee();
  load.end = os.loadavg();
  const engineRows = guarantee.filter((r) => r.measure.includes('reserve_now'));
  const slowestEngine = worstOf(engineRows, (r) => r.medianMs, 'max');
  const searchFinished = guarantee.filter((r) => r.measure.startsWith("EVerest's search") && r.stoppedAtCapMs === undefined).at(-1);
  const searchStopped = guarantee.find((r) => r.stoppedAtCapMs !== undefined);

  const inFlight = comparison.filter((r) => r.pattern !== 'sequential');
  const worstThroughput = worstOf(inFlight, (r) => r.eventsThroughputRatio, 'min');
  const worstP99 = worstOf(comparison, (r) => r.eventsP99Ratio, 'max');
  const emptyRows = idleRows.filter((r) => r.held === 0);
  const targets: Target[] = [
    {
      name: `in-flight throughput >= ${TARGET_THROUGHPUT_RATIO * 100}% of the echo with events, every row (worst)`,
      met: worstThroughput.eventsThroughputRatio >= TARGET_THROUGHPUT_RATIO,
      measured: `${fmt(worstThroughput.eventsThroughputRatio * 100)}% (${worstThroughput.command}, QoS ${worstThroughput.qos})`,
    },
    {
      name: `p99 <= ${TARGET_P99_RATIO}x the echo with events, every row (worst)`,
      met: worstP99.eventsP99Ratio <= TARGET_P99_RATIO,
      measured: `${fmt(worstP99.eventsP99Ratio, 2)}x (${worstP99.command}, QoS ${worstP99.qos}, ${worstP99.pattern})`,
    },
    ...emptyRows.map((r) => ({ name: `resident memory at idle <= ${TARGET_IDLE_RSS_MB} MB (${r.entry})`, met: r.rssMb <= TARGET_IDLE_RSS_MB, measured: `${fmt(r.rssMb, 1)} MB` })),
    ...emptyRows.map((r) => ({
      name: `start to ModuleReady <= ${TARGET_STARTUP_MS} ms, median of ${STARTS} (${r.entry})`,
      met: r.medianStartupMs <= TARGET_STARTUP_MS,
      measured: `${fmt(r.medianStartupMs)} ms`,
    })),
    {
      name: `100,000 reservations held in <= ${TARGET_HELD_RSS_MB} MB resident, ${HELD_SETTLE_MS / 1000} s after the last call`,
      met: heldSettledRssMb <= TARGET_HELD_RSS_MB,
      measured: `${fmt(heldSettledRssMb)} MB (${fmt(rssAt(100_000))} MB right after the calls)`,
    },
    ...idleRows.map((r) => ({
      name: `idle, ${r.held === 0 ? 'nothing held' : 'one held an hour from its expiry'}: voluntary context switches in ${IDLE_WINDOW_MS / 1000} s <= the MQTT keepalive's ${IDLE_WAKE_BUDGET} (${r.entry})`,
      met: r.wakeUps <= IDLE_WAKE_BUDGET,
      measured: String(r.wakeUps),
    })),
    {
      name: `the engine alone decides one station-wide reserve_now on the hub in < ${TARGET_ENGINE_MS} ms (median, slowest case)`,
      met: slowestEngine.medianMs < TARGET_ENGINE_MS,
      measured: `${fmtMs(slowestEngine.medianMs)} (p99 ${fmtMs(slowestEngine.p99Ms)}; ${slowestEngine.measure.split(', ').at(-1)})`,
    },
  ];
  const errors =
    comparison.reduce((n, r) => n + r.module.errors + r.baseline.errors + r.events.errors, 0) + moduleScale.reduce((n, r) => n + r.errors, 0) + hub.errors;

  const out: string[] = [];
  out.push(`## Module vs the echo anchors (same broker, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'})`, '');
  out.push(
    table(
      ['QoS', 'pattern', 'command', 'calls/s echo / +events / module', 'module vs echo', 'module vs +events', 'p99 ms echo / +events / module', 'p99 vs echo', 'p99 vs +events', 'module CPU µs/call'],
      comparison.map((r) => [
        String(r.qos),
        r.pattern,
        r.command,
        `${fmt(r.baseline.callsPerSecond)} / ${fmt(r.events.callsPerSecond)} / ${fmt(r.module.callsPerSecond)}`,
        `${fmt(r.throughputRatio * 100)}%`,
        `${fmt(r.eventsThroughputRatio * 100)}%`,
        `${fmt(r.baseline.p99Ms, 2)} / ${fmt(r.events.p99Ms, 2)} / ${fmt(r.module.p99Ms, 2)}`,
        `${fmt(r.p99Ratio, 2)}x`,
        `${fmt(r.eventsP99Ratio, 2)}x`,
        fmt((r.module.cpuMs * 1000) / r.module.calls),
      ]),
    ),
  );
  out.push('', `Peak resident memory during the comparison: module ${fmt(modulePeakMb)} MB, echo ${fmt(echoPeakMb)} MB (the echoes run under ts-node).`, '');
  out.push('## Start-up and idle', '');
  out.push(
    table(
      ['entry', `start to ModuleReady ms (${STARTS} starts)`, 'median ms', 'idle RSS MB', `voluntary context switches in ${IDLE_WINDOW_MS / 1000} s`],
      idleRows.map((r) => [r.entry, r.startupMs.map((ms) => fmt(ms)).join(', '), fmt(r.medianStartupMs), fmt(r.rssMb, 1), String(r.wakeUps)]),
    ),
  );
  out.push('', '## Cost per operation as reservations are held', '', 'Pure domain (in process, no broker):', '');
  out.push(
    table(
      ['held', 'reserve_now ns', 'cancel ns', 'expiry ns/reservation', 'heap bytes/reservation'],
      domain.map((r) => [r.held.toLocaleString('en'), fmt(r.reserveNs), fmt(r.cancelNs), fmt(r.expireNs), fmt(r.heapBytesPerReservation)]),
    ),
  );
  out.push('', `Module through the broker (QoS 2, ${IN_FLIGHT_WINDOW} in flight, batches of ${SCALE_BATCH}; expiry of ${EXPIRY_BATCH} at one instant):`, '');
  out.push(
    table(
      ['held', 'reserve_now calls/s', 'cancel calls/s', 'module CPU µs/pair', 'expiry µs/reservation', 'expiry CPU µs/reservation', 'RSS MB'],
      moduleScale.map((r) => [
        r.held.toLocaleString('en'),
        fmt(r.reserveCallsPerSecond),
        fmt(r.cancelCallsPerSecond),
        fmt(r.cpuMsPerPair * 1000),
        fmt(r.expiryMsPerReservation * 1000),
        fmt(r.expiryCpuMsPerReservation * 1000),
        fmt(r.rssMb),
      ]),
    ),
  );
  out.push('', `Resident memory with 100,000 held, ${HELD_SETTLE_MS / 1000} s after the last call: ${fmt(heldSettledRssMb)} MB.`);
  out.push('', `Resident memory per held reservation: ${fmt(bytesPerHeld)} bytes.`, '');
  out.push(...hubSection(hub), '');
  out.push("## The station-wide guarantee: the engine alone, and EVerest's search", '', guaranteeTable(guarantee), '');
  out.push(
    `Engine alone, one station-wide reserve_now on the hub: ${engineRows.map((r) => `${fmtMs(r.medianMs)} median, ${fmtMs(r.p99Ms)} p99 (${r.measure.split(', ').at(-1)})`).join('; ')}.`,
    searchFinished
      ? `EVerest's search: largest instance finished within the cap, ${searchFinished.instance}: ${fmtMs(searchFinished.medianMs)}${searchStopped ? `; ${searchStopped.instance} passed ${fmtMs(searchStopped.stoppedAtCapMs as number)}` : ''}.`
      : "EVerest's search finished no instance within the cap.",
    '',
  );
  out.push(`Load average (1, 5, 15 min) when each part began: ${Object.entries(load).map(([part, l]) => `${part} ${l.map((v) => v.toFixed(2)).join(' ')}`).join('; ')}.`, '');
  out.push('## Targets', '');
  for (const t of targets) out.push(`- ${t.met ? 'PASS' : 'MISS'}: ${t.name}: ${t.measured}`);
  out.push('', errors === 0 ? 'Every answer was the expected one.' : `WRONG ANSWERS: ${errors}`, `Bench took ${fmt((Date.now() - began) / 1000)} s.`);
  process.stdout.write(`${out.join('\n')}\n`);

  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const results = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    node: process.version,
    load,
    idle: idleRows,
    comparison,
    domain,
    moduleScale,
    heldSettledRssMb,
    bytesPerHeld,
    modulePeakMb,
    echoPeakMb,
    hub,
    guarantee,
    targets,
    errors,
  };
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`results: bench/results/latest.json\n`);
  if (errors > 0) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanup('file'));
