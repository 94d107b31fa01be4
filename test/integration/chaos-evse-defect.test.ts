// The chaos soak in today's interface finds each defect issue 28 names (issue 28, "Done when"): run
// against a deliberately broken stand-in of the module (test/fixtures/chaos/broken-module.js,
// CHAOS_DEFECT), a schedule written for it fails with the invariant it breaks, and the real
// module passes every one of those schedules. A failing run in this interface prints how to
// repeat it and shrinks to a schedule file that replays in this interface.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chaos } from '../../chaos/main';
import { runSchedule } from '../../chaos/runner';
import type { Schedule, Step } from '../../chaos/schedule';

const STAND_IN = path.resolve(__dirname, '..', 'fixtures', 'chaos', 'broken-module.js');
const HOUR = 3_600_000;

function evseSchedule(steps: Step[]): Schedule {
  return { seed: 0, seconds: 0, iface: 'evse', steps };
}

const reserve = (id: number, request: { evse?: number; type?: string }, expiresInMs = HOUR, gapMs = 0): Step => ({
  kind: 'call',
  caller: 'ocpp',
  command: { cmd: 'reserve_now', request, id, token: `T${id}`, expiresInMs },
  gapMs,
});
const cancel = (id: number): Step => ({ kind: 'call', caller: 'ocpp', command: { cmd: 'cancel_reservation', id }, gapMs: 0 });
const checkpoint: Step = { kind: 'checkpoint', gapMs: 0 };

/** Each defect, the schedule written to show it, and the invariant its failure must name. */
const DEFECTS: Array<{ defect: string; what: string; schedule: Schedule; invariant: RegExp }> = [
  {
    defect: 'stale-after-restart',
    what: 'no cancel at an EVSE manager after an expiry while the module was down',
    // Reserved at EVSE 1 for 2.5 s; the module is down for 3.5 s.
    schedule: evseSchedule([reserve(1, { evse: 1 }, 2500), { kind: 'module-crash', signal: 'SIGKILL', downMs: 3500, gapMs: 0 }, checkpoint]),
    invariant: /^\[EVSE managers show the book\] the EVSE managers show \[1,null,null\]/,
  },
  {
    defect: 'double-update',
    what: 'a second reservation_update after a restart',
    schedule: evseSchedule([reserve(2, { evse: 2 }), cancel(2), { kind: 'wait', ms: 1000, gapMs: 0 }, { kind: 'module-crash', signal: 'SIGTERM', downMs: 0, gapMs: 0 }, checkpoint]),
    invariant: /^\[exactly one final reservation_update per accepted reservation, none twice\] reservation 2: unexpected reservation_update/,
  },
  {
    defect: 'end-whatever-held',
    what: 'ReservationEnd attributed to whatever the EVSE holds',
    // Our own cancel_reservation() makes EVSE 1's manager say ReservationEnd; 2 takes EVSE 1 right after.
    schedule: evseSchedule([reserve(1, { evse: 1 }), cancel(1), reserve(2, { evse: 1 }), checkpoint]),
    invariant: /^\[answers\] ocpp list_reservations .* answered \[\]; the model predicts \[\{"reservation_id":2/,
  },
  {
    defect: 'guarantee-after-fault',
    what: 'the guarantee skipped after a fault',
    // Three station-wide reservations on three EVSEs; then EVSE 1 faults: the newest must give way.
    schedule: evseSchedule([reserve(1, {}), reserve(2, {}), reserve(3, {}), { kind: 'evse', evse: 1, event: 'RaiseInoperative', gapMs: 0 }, checkpoint]),
    invariant: /^\[station-wide guarantee\] ocpp list_reservations/,
  },
];

describe('chaos soak in the evse interface against broken stand-ins', () => {
  const defect = process.env.CHAOS_DEFECT;
  afterAll(() => {
    if (defect === undefined) delete process.env.CHAOS_DEFECT;
    else process.env.CHAOS_DEFECT = defect;
  });

  it.each(DEFECTS.filter((d) => d.defect !== 'end-whatever-held'))('catches $defect ($what)', async ({ defect: name, schedule, invariant }) => {
    process.env.CHAOS_DEFECT = name; // read by the stand-in, which inherits the environment
    const broken = await runSchedule(schedule, { mainJs: STAND_IN });
    expect(broken.failure?.message).toMatch(invariant);
  }, 120_000);

  it('catches end-whatever-held too, says how to repeat the run, and shrinks it to a file that replays in the evse interface', async () => {
    const { schedule, invariant } = DEFECTS.find((d) => d.defect === 'end-whatever-held') as (typeof DEFECTS)[number];
    process.env.CHAOS_DEFECT = 'end-whatever-held';
    // A step the failure does not need, for the shrinker to remove.
    const ask: Step = { kind: 'call', caller: 'cs-a', command: { cmd: 'check_start', evse: 3, token: 'T9' }, gapMs: 0 };
    const padded = evseSchedule([ask, ...schedule.steps]);
    const lines: string[] = [];
    const outcome = await chaos({ schedule: padded, mainJs: STAND_IN, shrinkSeconds: 60, print: (line) => lines.push(line) });
    expect(outcome.result.failure?.message).toMatch(invariant);
    expect(lines).toContainEqual(expect.stringContaining('npm run chaos -- --interface evse repeats this schedule'));
    const shrunk = JSON.parse(readFileSync(outcome.shrunkFile as string, 'utf8')) as Schedule;
    // The step it does not need is gone (the runner's final check may stand in for the written one).
    expect({ iface: shrunk.iface, steps: shrunk.steps.filter((step) => step.kind !== 'checkpoint') }).toEqual({ iface: 'evse', steps: schedule.steps.filter((step) => step.kind !== 'checkpoint') });
    expect(lines).toContainEqual(expect.stringContaining(`replay with CHAOS_SCHEDULE=${outcome.shrunkFile} npm run chaos`));
    expect((await runSchedule(shrunk, { mainJs: STAND_IN })).failure?.message).toMatch(invariant);
  }, 240_000);

  it('passes every one of those schedules with the real module', async () => {
    const all = evseSchedule(DEFECTS.flatMap(({ schedule }) => schedule.steps));
    const real = await runSchedule(all);
    expect({ ok: real.ok, failure: real.failure }).toEqual({ ok: true });
  }, 180_000);
});
