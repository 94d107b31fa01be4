// The chaos schedule (issue 17): drawn from the seed alone, so a seed repeats a run; and the
// shrinker, which must find the few steps a failure needs.
import { generateSchedule, type Schedule, type Step } from '../../../chaos/schedule';
import { shrink } from '../../../chaos/shrink';

describe('chaos schedule', () => {
  it('is the same for the same seed and length, and differs for another seed', () => {
    expect(generateSchedule(42, 60)).toEqual(generateSchedule(42, 60));
    expect(generateSchedule(43, 60).steps).not.toEqual(generateSchedule(42, 60).steps);
  });

  it('grows with CHAOS_SECONDS and has checkpoints throughout', () => {
    const short = generateSchedule(7, 30).steps;
    const long = generateSchedule(7, 1800).steps;
    expect(long.length).toBeGreaterThan(20 * short.length);
    expect(long.filter((s) => s.kind === 'checkpoint').length).toBeGreaterThan(long.length / 15);
  });
});

describe('chaos shrinker', () => {
  const step = (ms: number): Step => ({ kind: 'wait', ms, gapMs: 0 });

  it('removes every step the failure does not need', async () => {
    const failing: Schedule = { seed: 1, seconds: 1, steps: Array.from({ length: 40 }, (_, i) => step(i)) };
    // "Fails" when steps 7 and 31 are both still there, in that order.
    const fails = async (s: Schedule): Promise<boolean> => {
      const ms = s.steps.map((x) => (x.kind === 'wait' ? x.ms : -1));
      return ms.includes(7) && ms.includes(31) && ms.indexOf(7) < ms.indexOf(31);
    };
    const result = await shrink(failing, fails, 10_000);
    expect(result.schedule.steps).toEqual([step(7), step(31)]);
    expect(result.complete).toBe(true);
  });

  it('stops when its time budget is spent and returns what still fails', async () => {
    const failing: Schedule = { seed: 1, seconds: 1, steps: Array.from({ length: 40 }, (_, i) => step(i)) };
    const result = await shrink(failing, async () => new Promise((resolve) => setTimeout(() => resolve(true), 20)), 50);
    expect(result.complete).toBe(false);
    expect(result.schedule.steps.length).toBeLessThan(40);
  });
});
