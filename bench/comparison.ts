// The comparison rows: the module against two anchors on the same broker, a bare echo and an echo
// that also publishes reservation_end for each cancel (as the module does), at QoS 2 and 0, one
// call at a time and many in flight. The anchors answer in the module's place, so the ratios are
// what the module itself costs.
import { spawn } from 'node:child_process';
import os from 'node:os';
import type { Broker } from '../test/support/broker';
import { trackChild } from '../test/support/teardown';
import { BenchCaller, type Call, type CallStats, type QoS } from './caller';
import { fmt, type Target, table, worstOf } from './format';
import { cancelCalls, HOUR_MS, IN_FLIGHT_WINDOW, MODULE_ID, type Process, ROOT, reserveCalls, SERVICE_ENV, startModule, stopProcess } from './module';
import { cpuMs, peakRssMb } from './proc';

const ECHO_ID = 'echo';
const EVENTS_ID = 'echo-events';
const SEQUENTIAL_CALLS = 2000;
const IN_FLIGHT_CALLS = 10_000;
const WARM_UP_CALLS = 3000;
const TARGET_THROUGHPUT_RATIO = 0.9;
const TARGET_P99_RATIO = 1.5;

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


interface Measured extends CallStats {
  cpuMs: number;
}

async function measured(pid: number, run: () => Promise<CallStats>): Promise<Measured> {
  const cpuBefore = cpuMs(pid);
  const stats = await run();
  return { ...stats, cpuMs: cpuMs(pid) - cpuBefore };
}

export interface ComparisonRow {
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


export interface ComparisonResult {
  rows: ComparisonRow[];
  /** Peak resident memory during the comparison. */
  modulePeakMb: number;
  echoPeakMb: number;
}

/** The module (from `config`) and both anchors on `prefix`, each pattern of calls through all three. */
export async function measureComparison(broker: Broker, prefix: string, config: string): Promise<ComparisonResult> {
  const { proc: moduleProc } = await startModule(broker, prefix, config);
  const echoProc = await startEcho(broker, prefix, ECHO_ID, 'bare');
  const eventsProc = await startEcho(broker, prefix, EVENTS_ID, 'events');
  process.stderr.write('comparing the module with the echo anchors...\n');
  const rows = await compare(broker, prefix, { module: moduleProc, echo: echoProc, events: eventsProc });
  const echoPeakMb = peakRssMb(echoProc.pid);
  const modulePeakMb = peakRssMb(moduleProc.pid);
  await Promise.all([echoProc, eventsProc, moduleProc].map(stopProcess));
  return { rows, modulePeakMb, echoPeakMb };
}

/** Wrong answers from the module or either anchor. */
export function comparisonErrors({ rows }: ComparisonResult): number {
  return rows.reduce((n, r) => n + r.module.errors + r.baseline.errors + r.events.errors, 0);
}

export function comparisonSection({ rows, modulePeakMb, echoPeakMb }: ComparisonResult): string[] {
  return [
    `## Module vs the echo anchors (same broker, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? 'unknown CPU'})`,
    '',
    table(
      ['QoS', 'pattern', 'command', 'calls/s echo / +events / module', 'module vs echo', 'module vs +events', 'p99 ms echo / +events / module', 'p99 vs echo', 'p99 vs +events', 'module CPU µs/call'],
      rows.map((r) => [
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
    '',
    `Peak resident memory during the comparison: module ${fmt(modulePeakMb)} MB, echo ${fmt(echoPeakMb)} MB (the echoes run under ts-node).`,
    '',
  ];
}

/** Throughput and p99 against the echo with events, the fair anchor: the worst row of each. */
export function comparisonTargets({ rows }: ComparisonResult): Target[] {
  const inFlight = rows.filter((r) => r.pattern !== 'sequential');
  const worstThroughput = worstOf(inFlight, (r) => r.eventsThroughputRatio, 'min');
  const worstP99 = worstOf(rows, (r) => r.eventsP99Ratio, 'max');
  return [
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
  ];
}
