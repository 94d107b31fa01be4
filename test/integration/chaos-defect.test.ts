// The chaos runner finds a defect (issue 17): run against a deliberately broken stand-in of the
// module (test/fixtures/chaos/broken-module.js, which republishes every reservation_end after a
// restart), it fails, prints a seed that repeats the schedule, and shrinks the schedule to a
// shorter one that still fails (written to a file CHAOS_SCHEDULE replays).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chaos } from '../../chaos/main';
import { runSchedule } from '../../chaos/runner';
import { generateSchedule, type Schedule } from '../../chaos/schedule';

const STAND_IN = path.resolve(__dirname, '..', 'fixtures', 'chaos', 'broken-module.js');
const SEED = 4;
const SECONDS = 30;

describe('chaos runner against a broken stand-in', () => {
  const defect = process.env.CHAOS_DEFECT;
  beforeEach(() => {
    process.env.CHAOS_DEFECT = 'double-end'; // read by the stand-in, which inherits the environment
  });
  afterAll(() => {
    if (defect === undefined) delete process.env.CHAOS_DEFECT;
    else process.env.CHAOS_DEFECT = defect;
  });

  it('fails with a seed that repeats the schedule, and a shrunk schedule that still fails', async () => {
    const lines: string[] = [];
    const outcome = await chaos({ seed: SEED, seconds: SECONDS, mainJs: STAND_IN, shrinkSeconds: 30, print: (line) => lines.push(line) });
    console.log(lines.join('\n'));
    expect(outcome.result.ok).toBe(false);
    expect(outcome.result.failure?.message).toMatch(/unexpected reservation_end .* an end twice/);
    expect(lines).toContainEqual(expect.stringContaining(`CHAOS_SEED=${SEED} CHAOS_SECONDS=${SECONDS} npm run chaos repeats this schedule`));
    // The seed alone gives the schedule back.
    expect(generateSchedule(SEED, SECONDS)).toEqual(outcome.schedule);

    const shrunk = JSON.parse(readFileSync(outcome.shrunkFile as string, 'utf8')) as Schedule;
    expect(shrunk.steps.length).toBeLessThan(outcome.schedule.steps.length);
    const replay = await runSchedule(shrunk, { mainJs: STAND_IN });
    expect(replay.ok).toBe(false);
    // ...and the real module passes the same minimal schedule.
    const real = await runSchedule(shrunk);
    expect({ ok: real.ok, failure: real.failure }).toEqual({ ok: true });
  }, 300_000);

  it('fails when the stand-in answers reserve_now before the reservation is on disk and is killed just after', async () => {
    process.env.CHAOS_DEFECT = 'early-answer';
    const schedule: Schedule = {
      seed: 0,
      seconds: 0,
      steps: [
        { kind: 'call', caller: 'ocpp', command: { cmd: 'reserve_now', connector: 1, id: 1, token: 'ALICE', expiresInMs: 600_000 }, gapMs: 0 },
        { kind: 'module-crash', signal: 'SIGKILL', downMs: 0, gapMs: 0 },
        { kind: 'checkpoint', gapMs: 0 },
      ],
    };
    const broken = await runSchedule(schedule, { mainJs: STAND_IN });
    expect(broken.failure?.message).toMatch(/list_reservations .* answered \[\]; the model predicts \[\{"reservation_id":1/);
    expect((await runSchedule(schedule)).ok).toBe(true);
  }, 120_000);
});
