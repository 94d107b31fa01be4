// npm run chaos: CHAOS_SEED (default: random, printed), CHAOS_SECONDS (default 75),
// CHAOS_SCHEDULE=<file> replays a schedule printed by a failing run (e.g. a shrunk one),
// CHAOS_MODULE=<script> runs another module script (a stand-in) instead of dist/main.js,
// CHAOS_SHRINK_SECONDS (default 180, 0 = no shrinking).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomSeed } from './prng';
import { type RunOptions, type RunResult, runSchedule } from './runner';
import { describeStep, generateSchedule, type Schedule } from './schedule';
import { shrink } from './shrink';
import { cleanup } from '../test/support/teardown';

export const DEFAULT_SECONDS = 75;

export interface ChaosOptions extends RunOptions {
  seed?: number;
  seconds?: number;
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

function summary(result: RunResult): string {
  const s = result.stats;
  return `${result.stepsRun} steps in ${Math.round(result.durationMs / 1000)} s: reserve_now answers ${JSON.stringify(s.reserveAnswers)}, ${s.ends} reservation_end received, ${s.restarts} module restarts, ${s.brokerRestarts} broker restarts, ${s.events} events seen, at most ${s.maxWorlds} possible states, ${s.duplicatesExcused} duplicate and ${s.lossesExcused} lost ends excused by crash windows`;
}

/** One chaos run; on failure the seed, the schedule and a shrunk schedule are printed. */
export async function chaos(options: ChaosOptions): Promise<ChaosOutcome> {
  const { print } = options;
  const schedule = options.schedule ?? generateSchedule(options.seed ?? randomSeed(), options.seconds ?? DEFAULT_SECONDS);
  print(`chaos: seed ${schedule.seed}, ${schedule.seconds} s, ${schedule.steps.length} steps${options.mainJs ? `, module ${options.mainJs}` : ''} (repeat with CHAOS_SEED=${schedule.seed} CHAOS_SECONDS=${schedule.seconds})`);
  const result = await runSchedule(schedule, options);
  if (result.ok) {
    print(`chaos: PASS seed ${schedule.seed}: ${summary(result)}`);
    return { schedule, result };
  }
  print(`chaos: FAIL seed ${schedule.seed} (CHAOS_SEED=${schedule.seed} CHAOS_SECONDS=${schedule.seconds} npm run chaos repeats this schedule)`);
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

if (require.main === module) {
  const file = process.env.CHAOS_SCHEDULE;
  const seed = envNumber('CHAOS_SEED');
  const seconds = envNumber('CHAOS_SECONDS');
  const shrinkSeconds = envNumber('CHAOS_SHRINK_SECONDS');
  const mainJs = process.env.CHAOS_MODULE;
  chaos({
    ...(file ? { schedule: JSON.parse(readFileSync(file, 'utf8')) as Schedule } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(seconds !== undefined ? { seconds } : {}),
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
