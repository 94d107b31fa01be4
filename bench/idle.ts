// The start-up and idle rows: the time from start to ModuleReady (median of STARTS), then, once
// settled, each entry's resident memory and wake-ups at idle, and the same with one reservation
// held an hour from its expiry (its timer must sleep too).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MQTT_KEEPALIVE_S } from '../src/mqtt/connection';
import type { Broker } from '../test/support/broker';
import { BenchCaller } from './caller';
import { fmt, type Target, table } from './format';
import { HOUR_MS, MODULE_ID, type Process, ROOT, reserveCalls, startModule, stopProcess } from './module';
import { rssMb } from './proc';

export const STARTS = 5;
/** After ModuleReady, V8 finishes its start-up work on its threads: compiling, and the memory reducer's Mark-Compact (seen 16-20 s in, later under load). */
const IDLE_SETTLE_MS = 30_000;
export const IDLE_WINDOW_MS = 30_000;
const TARGET_IDLE_RSS_MB = 50;
const TARGET_STARTUP_MS = 300;
/**
 * What the MQTT keepalive alone costs in a window: MQTT.js checks every half keepalive, pings
 * once per keepalive and wakes for the answer; +2 for where the window falls.
 */
const IDLE_WAKE_BUDGET = Math.ceil(IDLE_WINDOW_MS / ((MQTT_KEEPALIVE_S * 1000) / 2)) + Math.ceil(IDLE_WINDOW_MS / (MQTT_KEEPALIVE_S * 1000)) + 2;

/** The module as npm start and Docker run it, and the single-file bundle (npm run bundle). */
const ENTRIES = [
  { name: 'dist/main.js', file: 'dist/main.js' },
  { name: 'bundle', file: 'dist/bundle/reservation.js' },
] as const;

/** The entries there are (the bundle only once npm run bundle made it). */
export function moduleEntries(): ReadonlyArray<{ name: string; file: string }> {
  const entries = ENTRIES.filter((e) => existsSync(path.join(ROOT, e.file)));
  if (entries.length < ENTRIES.length) process.stderr.write('no bundle (npm run bundle): measuring dist/main.js only\n');
  return entries;
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

export interface IdleRow {
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
export async function measureIdle(broker: Broker, prefix: string, config: string, entries: ReadonlyArray<{ name: string; file: string }>, meanwhile: () => void): Promise<IdleRow[]> {
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

export function idleSection(rows: readonly IdleRow[]): string[] {
  return [
    '## Start-up and idle',
    '',
    table(
      ['entry', `start to ModuleReady ms (${STARTS} starts)`, 'median ms', 'idle RSS MB', `voluntary context switches in ${IDLE_WINDOW_MS / 1000} s`],
      rows.map((r) => [r.entry, r.startupMs.map((ms) => fmt(ms)).join(', '), fmt(r.medianStartupMs), fmt(r.rssMb, 1), String(r.wakeUps)]),
    ),
    '',
  ];
}

/** Resident memory at idle and the median start-up, of each entry holding nothing. */
export function startUpTargets(rows: readonly IdleRow[]): Target[] {
  const emptyRows = rows.filter((r) => r.held === 0);
  return [
    ...emptyRows.map((r) => ({ name: `resident memory at idle <= ${TARGET_IDLE_RSS_MB} MB (${r.entry})`, met: r.rssMb <= TARGET_IDLE_RSS_MB, measured: `${fmt(r.rssMb, 1)} MB` })),
    ...emptyRows.map((r) => ({
      name: `start to ModuleReady <= ${TARGET_STARTUP_MS} ms, median of ${STARTS} (${r.entry})`,
      met: r.medianStartupMs <= TARGET_STARTUP_MS,
      measured: `${fmt(r.medianStartupMs)} ms`,
    })),
  ];
}

/** At idle, no more wake-ups than the MQTT keepalive's own, every row. */
export function wakeUpTargets(rows: readonly IdleRow[]): Target[] {
  return rows.map((r) => ({
    name: `idle, ${r.held === 0 ? 'nothing held' : 'one held an hour from its expiry'}: voluntary context switches in ${IDLE_WINDOW_MS / 1000} s <= the MQTT keepalive's ${IDLE_WAKE_BUDGET} (${r.entry})`,
    met: r.wakeUps <= IDLE_WAKE_BUDGET,
    measured: String(r.wakeUps),
  }));
}
