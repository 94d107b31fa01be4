// Shrinks a failing schedule by removing steps while it still fails (delta debugging: halves,
// then quarters, down to single steps), within a time budget. Any failure counts: a smaller
// schedule that fails differently still shows a defect, and is shorter to read.
import type { Schedule, Step } from './schedule';

export interface ShrinkResult {
  schedule: Schedule;
  runs: number;
  /** False when the time budget ran out before single steps were tried. */
  complete: boolean;
}

export async function shrink(failing: Schedule, fails: (schedule: Schedule) => Promise<boolean>, budgetMs: number, progress?: (line: string) => void): Promise<ShrinkResult> {
  const deadline = Date.now() + budgetMs;
  let steps: Step[] = failing.steps.slice();
  let runs = 0;
  let chunk = Math.max(1, Math.floor(steps.length / 2));
  for (;;) {
    let removedAny = false;
    for (let start = 0; start < steps.length; ) {
      if (Date.now() > deadline) return { schedule: { ...failing, steps }, runs, complete: false };
      const candidate = [...steps.slice(0, start), ...steps.slice(start + chunk)];
      runs++;
      if (candidate.length > 0 && (await fails({ ...failing, steps: candidate }))) {
        steps = candidate;
        removedAny = true;
        progress?.(`shrink: ${steps.length} steps still fail`);
      } else {
        start += chunk;
      }
    }
    if (chunk === 1 && !removedAny) return { schedule: { ...failing, steps }, runs, complete: true };
    if (!removedAny || chunk > 1) chunk = Math.max(1, Math.floor(chunk / 2));
  }
}
