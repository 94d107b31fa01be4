// npm run chaos [-- --interface evse]: the seed's interface (connector, the default) or today's
// (evse). CHAOS_SEED (default: random, printed), CHAOS_SECONDS (default 75),
// CHAOS_SCHEDULE=<file> replays a schedule printed by a failing run (e.g. a shrunk one; it names
// its interface), CHAOS_MODULE=<script> runs another module script (a stand-in) instead of
// dist/main.js, CHAOS_SHRINK_SECONDS (default 180, 0 = no shrinking).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomSeed } from './prng';
import { type RunOptions, type RunResult, runSchedule } from './runner';
import { describeStep, generateSchedule, type Interface, type Schedule } from './schedule';
import { shrink } from './shrink';
import { cleanup } from '../test/support/teardown';

export const DEFAULT_SECONDS = 75;

export interface ChaosOptions extends RunOptions {
  seed?: number;
  seconds?: number;
  /** The interface the module serves (default connector); a given schedule names its own. */
  iface?: Interface;
  schedule?: Schedule;
  shrinkSeconds?: number;
  print: (line: string) => void;
}

export interface ChaosOutcome {
  schedule: Schedule;
  result: RunResult;
  shrunk?: Schedule;
  shrunkFile?: string;
}

function summary(result: RunResult, iface: Interface): string {
  const s = result.stats;
  const evse =
    iface === 'evse'
      ? `, reservation_update by status ${JSON.stringify(s.updates)}, EVSE manager calls ${JSON.stringify(s.evseCalls)}, ${s.evseRestarts} EVSE manager restarts, ${s.shownChecks} checks of what the EVSE managers show (${JSON.stringify(s.shown)})`
      : '';
  return `${result.stepsRun} steps in ${Math.round(result.durationMs / 1000)} s: reserve_now answers ${JSON.stringify(s.reserveAnswers)}, ${s.ends} reservation_end received${evse}, ${s.restarts} module restarts, ${s.brokerRestarts} broker restarts, ${s.events} events seen, at most ${s.maxWorlds} possible states, ${s.duplicatesExcused} duplicate and ${s.lossesExcused} lost ends excused by crash windows`;
}

/** The command line that repeats a schedule drawn from a seed. */
function repeat(schedule: Schedule): string {
  return `CHAOS_SEED=${schedule.seed} CHAOS_SECONDS=${schedule.seconds} npm run chaos${schedule.iface === 'evse' ? ' -- --interface evse' : ''}`;
}

/** One chaos run; on failure the seed, the schedule and a shrunk schedule are printed. */
export async function chaos(options: ChaosOptions): Promise<ChaosOutcome> {
  const { print } = options;
  const schedule = options.schedule ?? generateSchedule(options.seed ?? randomSeed(), options.seconds ?? DEFAULT_SECONDS, options.iface ?? 'connector');
  const iface = schedule.iface ?? 'connector';
  print(`chaos: seed ${schedule.seed}, ${schedule.seconds} s, ${iface} interface, ${schedule.steps.length} steps${options.mainJs ? `, module ${options.mainJs}` : ''} (repeat with ${repeat(schedule)})`);
  const result = await runSchedule(schedule, options);
  if (result.ok) {
    print(`chaos: PASS seed ${schedule.seed}: ${summary(result, iface)}`);
    return { schedule, result };
  }
  print(`chaos: FAIL seed ${schedule.seed} (${repeat(schedule)} repeats this schedule)`);
  print(`failure at step ${result.failure?.step}: ${result.failure?.message}`);
  print(`schedule (${schedule.steps.length} steps):`);
  schedule.steps.forEach((step, i) => print(`  ${i}: ${describeStep(step)}`));
  print('last events before the failure:');
  for (const line of result.tail) print(`  ${line}`);
  const outcome: ChaosOutcome = { schedule, result };
  const budget = (options.shrinkSeconds ?? 180) * 1000;
  if (budget > 0 && result.failure && !result.failure.message.startsWith('the runner could not go on')) {
    const upTo = { ...schedule, steps: schedule.steps.slice(0, (result.failure.step ?? schedule.steps.length) + 1) };
    print(`shrinking (at most ${budget / 1000} s), from the ${upTo.steps.length} steps up to the failure...`);
    const shrunk = await shrink(upTo, async (candidate) => !(await runSchedule(candidate, { ...(options.mainJs !== undefined ? { mainJs: options.mainJs } : {}) })).ok, budget, print);
    const file = path.join(os.tmpdir(), `chaos-seed-${schedule.seed}-shrunk.json`);
    writeFileSync(file, JSON.stringify(shrunk.schedule, null, 1));
    print(`minimal failing schedule (${shrunk.schedule.steps.length} steps, ${shrunk.runs} runs${shrunk.complete ? '' : ', time budget ran out'}); replay with CHAOS_SCHEDULE=${file} npm run chaos:`);
    shrunk.schedule.steps.forEach((step, i) => print(`  ${i}: ${describeStep(step)}`));
    outcome.shrunk = shrunk.schedule;
    outcome.shrunkFile = file;
  }
  return outcome;
}

function envNumber(name: string): number | undefined {
  const value = process.env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, not ${JSON.stringify(value)}`);
  return n;
}

/** `--interface evse` (or `--interface=evse`) on the command line; connector when absent. */
export function interfaceArgument(argv: readonly string[]): Interface {
  const at = argv.findIndex((a) => a === '--interface' || a.startsWith('--interface='));
  if (at < 0) return 'connector';
  const value = argv[at]?.includes('=') ? argv[at]?.split('=')[1] : argv[at + 1];
  if (value !== 'connector' && value !== 'evse') throw new Error(`--interface must be connector or evse, not ${JSON.stringify(value)}`);
  return value;
}

if (require.main === module) {
  const file = process.env.CHAOS_SCHEDULE;
  const iface = interfaceArgument(process.argv.slice(2));
  const seed = envNumber('CHAOS_SEED');
  const seconds = envNumber('CHAOS_SECONDS');
  const shrinkSeconds = envNumber('CHAOS_SHRINK_SECONDS');
  const mainJs = process.env.CHAOS_MODULE;
  chaos({
    ...(file ? { schedule: JSON.parse(readFileSync(file, 'utf8')) as Schedule } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
    iface,
    ...(shrinkSeconds !== undefined ? { shrinkSeconds } : {}),
    ...(mainJs ? { mainJs: path.resolve(mainJs) } : {}),
    print: (line) => console.log(line),
    progress: (line) => console.log(`chaos: ${line}`),
  })
    // Outside jest nothing runs the harness's cleanups (brokers' folders): run them here.
    .then(async (outcome) => {
      await cleanup('file').catch(() => undefined);
      return outcome;
    })
    .then(
      ({ result }) => process.exit(result.ok ? 0 : 1),
      (err: unknown) => {
        console.error(err);
        process.exit(2);
      },
    );
}
