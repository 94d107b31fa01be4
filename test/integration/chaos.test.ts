// The chaos soak (issue 17): the built module under a seeded schedule of commands, EVSE events
// and faults (module SIGKILL/SIGTERM, broker SIGKILL, a subscriber away, an EVSE manager that
// stops answering), checked against the reference model in chaos/. One run with a fixed seed and
// one with a random seed (in the test name, and CHAOS_SEED=<seed> npm run chaos repeats it); and
// one with a fixed seed in today's interface (issue 28: npm run chaos -- --interface evse).
import { chaos } from '../../chaos/main';
import { randomSeed } from '../../chaos/prng';
import { generateSchedule, type Interface } from '../../chaos/schedule';

const SECONDS = 30;
const FIXED_SEED = 4;
const FIXED_EVSE_SEED = 179;
const randomRunSeed = randomSeed();

async function passes(seed: number, iface: Interface = 'connector'): Promise<void> {
  const lines: string[] = [];
  const { schedule, result } = await chaos({ seed, seconds: SECONDS, iface, shrinkSeconds: 0, print: (line) => lines.push(line) });
  // On failure the diff shows the seed, the failure and the printed schedule.
  expect({ seed, ok: result.ok, report: result.ok ? [] : lines }).toEqual({ seed, ok: true, report: [] });
  expect(result.stepsRun).toBe(schedule.steps.length);
  console.log(lines.join('\n'));
}

describe('chaos soak against the model', () => {
  it(`passes with the fixed seed ${FIXED_SEED}, whose schedule has every kind of fault`, async () => {
    const kinds = new Set(generateSchedule(FIXED_SEED, SECONDS).steps.map((s) => (s.kind === 'module-crash' ? `${s.kind}-${s.signal}` : s.kind)));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['broker-crash', 'module-crash-SIGKILL', 'module-crash-SIGTERM', 'listener-away', 'evse-silent']));
    await passes(FIXED_SEED);
  }, 300_000);

  it(`passes with a random seed (this run: ${randomRunSeed})`, async () => {
    await passes(randomRunSeed);
  }, 300_000);

  it(`passes in today's interface with the fixed seed ${FIXED_EVSE_SEED}, whose schedule has every kind of fault, an EVSE manager's restart included`, async () => {
    const steps = generateSchedule(FIXED_EVSE_SEED, SECONDS, 'evse').steps;
    const kinds = new Set(steps.map((s) => (s.kind === 'module-crash' ? `${s.kind}-${s.signal}` : s.kind)));
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['broker-crash', 'module-crash-SIGKILL', 'module-crash-SIGTERM', 'listener-away', 'evse-restart']));
    const events = new Set(steps.flatMap((s) => (s.kind === 'evse' ? [s.event] : [])));
    expect([...events].sort()).toEqual(expect.arrayContaining(['Disabled', 'RaiseInoperative', 'SessionAuthorized', 'TransactionStarted']));
    await passes(FIXED_EVSE_SEED, 'evse');
  }, 300_000);
});
