// Checks what the runner saw against the model. Where the real system may have done either of
// two things (a command in flight when the module or the broker died, an expiry at the moment
// of a command, an EVSE event's ends not yet on disk at a SIGKILL), the checker keeps every
// possible world and lets later observations (answers, lists, reservation_end and
// reservation_update events, what the EVSE managers show) rule worlds out. A run fails when no
// world explains what was seen; the failure names the invariant it breaks and the step.
import { EndLedger, EXPIRY_LATE_MS, type Problem } from './ends';
import { EvseWorld, GUARANTEE } from './evse-model';
import { describeEvent, type LogEvent } from './events';
import { listAnswer, type ModelEnd, type SentEvent, World } from './model';
import type { Interface } from './schedule';

/** A SIGKILL may leave an EVSE event's ends unwritten (the state file is written just after) if they were this recent. */
const UNPERSISTED_MS = 3000;
const MAX_WORLDS = 5000;
/**
 * An answer to a call in flight at a crash comes within this long, if at all (in transit, or
 * replayed once the broker is back): after it, which way the call went no longer needs keeping
 * apart from the state it left, and worlds that differ only in it merge.
 */
const LATE_ANSWER_MS = 20_000;
/** After a restart, the module tells its EVSE managers what it restored within this long. */
const ANNOUNCE_MS = 2000;

interface Attempt {
  sent: SentEvent;
  state: 'pending' | 'answered' | 'forked' | 'settled' | 'not-applied';
  answer?: string;
  forkedMs?: number;
}

export interface Failure {
  step: number;
  message: string;
}

const READ_ONLY = new Set(['exists_reservation', 'list_reservations', 'check_start']);

type AnyWorld = World | EvseWorld;

/** A fresh model of the module serving `iface`. */
function newWorld(iface: Interface): AnyWorld {
  return iface === 'evse' ? new EvseWorld() : new World();
}

export class Checker {
  worlds: AnyWorld[];
  failure: Failure | undefined;
  private readonly attempts = new Map<string, Attempt>();
  private readonly ends = new EndLedger('reservation_end', (w) => w.ends);
  private readonly updates = new EndLedger('reservation_update', (w) => w.updates);
  private moduleUp = true;
  private consumed = 0;
  private readyAt = Number.NEGATIVE_INFINITY;
  /** Counts for the report. */
  readonly stats = {
    accepted: 0,
    reserveAnswers: {} as Record<string, number>,
    updates: {} as Record<string, number>,
    evseCalls: {} as Record<string, number>,
    evseRestarts: 0,
    shownChecks: 0,
    /** What the EVSE managers showed at those checks, summed over them. */
    shown: { reserved: 0, stationWide: 0, free: 0 },
    duplicatesExcused: 0,
    lossesExcused: 0,
    maxWorlds: 1,
  };

  constructor(
    startMs: number,
    private readonly iface: Interface = 'connector',
  ) {
    const first = newWorld(iface);
    first.upSinceMs = startMs;
    this.worlds = [first];
  }

  /** Consumes the events not yet seen; returns the failure, if any. */
  feed(log: readonly LogEvent[]): Failure | undefined {
    while (!this.failure && this.consumed < log.length) {
      const event = log[this.consumed] as LogEvent;
      this.consumed++;
      this.consume(event, this.consumed - 1);
      this.stats.maxWorlds = Math.max(this.stats.maxWorlds, this.worlds.length);
      if (!this.failure && this.worlds.length > MAX_WORLDS) this.fail(event, `the model has more than ${MAX_WORLDS} possible states: the run cannot be checked`);
    }
    return this.failure;
  }

  private consume(e: LogEvent, index: number): void {
    switch (e.k) {
      case 'sent':
        this.attempts.set(e.attempt, { sent: e, state: 'pending' });
        return;
      case 'answer':
        return this.onAnswer(e, index);
      case 'abandoned': {
        const attempt = this.attempts.get(e.attempt);
        // No crash since it was sent (a crash would have forked it): a module that applied it would have answered.
        if (attempt?.state === 'pending') attempt.state = 'not-applied';
        return;
      }
      case 'evse':
        if (!this.moduleUp) return;
        this.update(e, (w) => (w.expire(e.t0, e.t, EXPIRY_LATE_MS, index) as AnyWorld[]).flatMap((x) => x.evseEvent(e, index) as AnyWorld[]));
        return;
      case 'crash':
        this.ends.crash(e.what, e.t);
        this.updates.crash(e.what, e.t);
        this.update(e, (w) => w.expire(e.t, e.t, EXPIRY_LATE_MS, index) as AnyWorld[]);
        this.forkPending(e, index);
        if (e.what === 'module-kill') this.update(e, (w) => this.unpersisted(w, e.t));
        if (e.what !== 'broker-kill') this.moduleUp = false;
        return;
      case 'module-spawned':
        this.forkPending(e, index);
        for (const w of this.worlds) w.restart(e.t);
        this.moduleUp = true;
        return;
      case 'module-ready':
        this.update(e, (w) => {
          w.ready(e.t, index);
          return [w];
        });
        this.readyAt = e.t;
        this.forkPending(e, index);
        return;
      case 'broker-up':
        this.forkPending(e, index);
        return;
      case 'end':
        this.ends.receive(e.id, e.reason, e.t);
        return;
      case 'update':
        this.stats.updates[e.status] = (this.stats.updates[e.status] ?? 0) + 1;
        if (e.id === -1) this.fail(e, '[Placed never with -1] reservation_update for reservation id -1');
        this.updates.receive(e.id, e.status, e.t);
        return;
      case 'listener':
        this.ends.listener(e.away, e.t);
        this.updates.listener(e.away, e.t);
        return;
      case 'evse-call':
        this.stats.evseCalls[e.cmd] = (this.stats.evseCalls[e.cmd] ?? 0) + 1;
        return this.onEvseCall(e);
      case 'evse-down':
        this.stats.evseRestarts++;
        for (const w of this.worlds) if (w instanceof EvseWorld) w.evseDown(e.evse);
        return;
      case 'evse-up':
        this.update(e, (w) => {
          if (w instanceof EvseWorld) w.evseUp(e.evse, e.t, index);
          return [w];
        });
        return;
      case 'shown':
        if (this.iface !== 'evse') return;
        this.update(e, (w) => w.expire(e.t, e.t, EXPIRY_LATE_MS, index) as AnyWorld[]);
        return this.onShown(e);
      case 'checkpoint':
        this.settleForks(e.t);
        this.update(e, (w) => w.expire(e.t, e.t, EXPIRY_LATE_MS, index) as AnyWorld[]);
        return this.matchEnds(e);
      case 'failure':
        this.fail(e, e.message);
        return;
    }
  }

  private onAnswer(e: Extract<LogEvent, { k: 'answer' }>, index: number): void {
    const attempt = this.attempts.get(e.attempt);
    if (!attempt) return;
    const { sent } = attempt;
    const observed = e.error !== undefined ? `error ${e.error}` : listAnswer(e.retval);
    if (attempt.state === 'settled') return; // long after its crash: nothing left to decide by it
    if (attempt.state === 'answered') {
      if (attempt.answer !== observed) this.fail(e, `[answers] ${sent.command.cmd} (attempt ${e.attempt}) answered twice, differently: ${attempt.answer} then ${observed}`);
      return;
    }
    if (e.error !== undefined) {
      // Shutdown: refused while stopping, nothing applied. Any other error is a fault of its own.
      if (e.error !== 'Shutdown') return this.fail(e, `[answers] ${sent.command.cmd} ${JSON.stringify(sent.command)} answered with error ${e.error}`);
      if (attempt.state === 'forked') this.filter(e, (w) => w.choices.get(e.attempt) === 'not-applied' || READ_ONLY.has(sent.command.cmd), `[answers] ${sent.command.cmd} answered Shutdown`);
      attempt.state = 'answered';
      attempt.answer = observed;
      return;
    }
    if (attempt.state === 'forked') {
      if (!READ_ONLY.has(sent.command.cmd)) {
        this.filter(e, (w) => w.choices.get(e.attempt) === observed, `[answers] ${sent.command.cmd} ${JSON.stringify(sent.command)} answered ${observed} after a crash`);
      }
    } else {
      // pending, or given up too early (answered after its timeout): applied between sending and now.
      const predicted = new Set<string>();
      const byGuarantee = new Set<string>();
      const next = new Map<string, AnyWorld>();
      for (const world of this.worlds) {
        for (const x of world.expire(sent.t, e.t, EXPIRY_LATE_MS, index) as AnyWorld[]) {
          for (const { world: w, result } of this.apply(x, attempt, index, e.t)) {
            predicted.add(result);
            if (w instanceof EvseWorld && w.lastWhy === 'guarantee') byGuarantee.add(result);
            if (result === observed && !next.has(w.key())) next.set(w.key(), w);
          }
        }
      }
      if (next.size === 0) {
        const invariant = this.brokenGuarantee(sent, observed, predicted, byGuarantee) ? GUARANTEE : 'answers';
        return this.fail(e, `[${invariant}] ${sent.caller} ${sent.command.cmd} ${JSON.stringify(sent.command)} answered ${observed}; the model predicts ${[...predicted].join(' or ')}`);
      }
      this.worlds = [...next.values()];
      if (sent.command.cmd === 'reserve_now') {
        if (observed === '"Accepted"') this.stats.accepted++;
        this.stats.reserveAnswers[observed] = (this.stats.reserveAnswers[observed] ?? 0) + 1;
      }
    }
    attempt.state = 'answered';
    attempt.answer = observed;
  }

  /**
   * Whether a wrong answer shows the station-wide guarantee broken: an Accepted every world
   * refuses by the guarantee, or a list holding a reservation the guarantee ended in every world.
   */
  private brokenGuarantee(sent: SentEvent, observed: string, predicted: ReadonlySet<string>, byGuarantee: ReadonlySet<string>): boolean {
    if (sent.command.cmd === 'reserve_now') return observed === '"Accepted"' && byGuarantee.size > 0 && [...predicted].every((p) => byGuarantee.has(p));
    if (sent.command.cmd !== 'list_reservations') return false;
    const listed = new Set((JSON.parse(observed) as Array<{ reservation_id: number }>).map((r) => r.reservation_id));
    return this.worlds.every((w) => w.ends.some((end) => end.rule === GUARANTEE && listed.has(end.id) && !w.ends.some((later) => later.id === end.id && later.input > end.input)));
  }

  /** The command applied to a copy of `world`, with each result it can give (an expiry passing during the call: at either end). */
  private apply(world: AnyWorld, attempt: Attempt, index: number, answeredMs: number, callsLost = false): Array<{ world: AnyWorld; result: string }> {
    const { sent } = attempt;
    const r = sent.reserve;
    const times = r && r.expiryMs > sent.t && r.expiryMs <= answeredMs ? [sent.t, answeredMs] : [sent.t];
    return times.flatMap((now) =>
      (callsLost ? [false, true] : [false]).map((lost) => {
        const w = READ_ONLY.has(sent.command.cmd) ? world : world.clone();
        return { world: w, result: w.run(sent, now, index, lost) };
      }),
    );
  }

  /**
   * Every attempt still unanswered may have been applied (before the crash) or not: both worlds go
   * on. Around a broker outage, the calls it made to an EVSE manager may have been lost too.
   */
  private forkPending(e: LogEvent, index: number): void {
    const callsLost = e.k === 'broker-up' || (e.k === 'crash' && e.what === 'broker-kill');
    for (const attempt of this.attempts.values()) {
      if (attempt.state !== 'pending') continue;
      attempt.state = 'forked';
      attempt.forkedMs = e.t;
      if (READ_ONLY.has(attempt.sent.command.cmd)) continue;
      const id = attempt.sent.attempt;
      this.update(e, (w) => {
        const skipped = w.clone();
        skipped.choices.set(id, 'not-applied');
        const applied = (w.expire(attempt.sent.t, e.t, EXPIRY_LATE_MS, index) as AnyWorld[]).flatMap((x) =>
          this.apply(x, attempt, index, e.t, callsLost).map(({ world, result }) => {
            world.choices.set(id, result);
            return world;
          }),
        );
        return [skipped, ...applied];
      });
    }
  }

  private settleForks(nowMs: number): void {
    const settled: string[] = [];
    for (const [id, attempt] of this.attempts) {
      if (attempt.state === 'forked' && (attempt.forkedMs ?? 0) < nowMs - LATE_ANSWER_MS) {
        attempt.state = 'settled';
        settled.push(id);
      }
      // Nothing more can happen to a call long answered or given up: forget it.
      if ((attempt.state === 'answered' || attempt.state === 'not-applied') && attempt.sent.t < nowMs - 2 * LATE_ANSWER_MS) this.attempts.delete(id);
    }
    if (settled.length === 0) return;
    const merged = new Map<string, AnyWorld>();
    for (const w of this.worlds) {
      for (const id of settled) w.choices.delete(id);
      if (!merged.has(w.key())) merged.set(w.key(), w);
    }
    this.worlds = [...merged.values()];
  }

  /**
   * At a SIGKILL, the ends of recent EVSE events not yet seen by the listener may not be on disk
   * yet: the restarted module then holds those reservations again. Writes are whole-state and in
   * order, so what was written is a prefix of those events.
   */
  private unpersisted(world: AnyWorld, killedMs: number): AnyWorld[] {
    const groups = new Map<number, ModelEnd[]>();
    for (const end of world.ends) {
      if (end.cause !== 'evse' || end.atMs < killedMs - UNPERSISTED_MS || this.ends.seen(world, end, killedMs)) continue;
      if (end.update && this.updates.seen(world, end.update, killedMs)) continue;
      const group = groups.get(end.input) ?? [];
      group.push(end);
      groups.set(end.input, group);
    }
    if (groups.size === 0) return [world];
    const ordered = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
    const worlds = [world];
    for (let written = ordered.length - 1; written >= 0; written--) {
      const w = world.clone();
      for (const group of ordered.slice(written).reverse()) for (const end of [...group].reverse()) w.unend(w.ends.find((x) => x === end) as ModelEnd);
      worlds.push(w);
    }
    return worlds;
  }

  /**
   * "After the module restarts, what it announces matches what it persisted, and nothing expired
   * while it was down is announced": reserve(id) right after a restart is for a reservation held there.
   */
  private onEvseCall(e: Extract<LogEvent, { k: 'evse-call' }>): void {
    if (e.cmd !== 'reserve' || e.reservationId === undefined || e.reservationId < 0 || e.t > this.readyAt + ANNOUNCE_MS) return;
    const id = e.reservationId;
    // A reserve_now for it there, still unanswered, asks the EVSE manager first (it has the last word).
    const placing = [...this.attempts.values()].some((a) => (a.state === 'pending' || a.state === 'forked') && a.sent.reserve?.id === id && a.sent.reserve.request?.evse === e.evse);
    if (placing) return;
    // Restored there (even if the EVSE manager then refuses it), or held there since.
    const announced = (w: AnyWorld): boolean => w instanceof EvseWorld && (w.restored.get(e.evse) === id || w.holderAt(e.evse)?.id === id);
    this.filter(e, announced, `[restart announces what it persisted] EVSE ${e.evse} told reserve(${id}) after the restart, which restored no such reservation there`);
  }

  /** "Once the run is quiet, every EVSE manager shows what the book says." */
  private onShown(e: Extract<LogEvent, { k: 'shown' }>): void {
    this.stats.shownChecks++;
    for (const slot of e.shown) this.stats.shown[slot === null ? 'free' : slot === -1 ? 'stationWide' : 'reserved']++;
    const shown = JSON.stringify(e.shown);
    const wants = new Map(this.worlds.map((w) => [w, JSON.stringify(e.shown.map((_, i) => (w as EvseWorld).expectedShown(i + 1)))]));
    const expected = [...new Set(wants.values())].join(' or ');
    this.filter(e, (w) => wants.get(w) === shown, `[EVSE managers show the book] the EVSE managers show ${shown} (reservation id, -1: Reserved for station-wide ones, null: free); the book says ${expected}`);
  }

  /** Every world's ends (and updates) against those received; worlds that cannot explain them are dropped. */
  private matchEnds(e: Extract<LogEvent, { k: 'checkpoint' }>): void {
    const problems: Problem[] = [];
    this.worlds = this.worlds.filter((w) => {
      const problem = this.ends.problem(w, e.t, e.final) ?? (this.iface === 'evse' ? this.updates.problem(w, e.t, e.final) : undefined);
      if (problem) problems.push(problem);
      return problem === undefined;
    });
    this.stats.duplicatesExcused = this.ends.duplicatesExcused + this.updates.duplicatesExcused;
    this.stats.lossesExcused = this.ends.lossesExcused + this.updates.lossesExcused;
    const first = problems[0];
    if (this.worlds.length === 0 && first) this.fail(e, `[${first.invariant}] ${first.message}`);
  }

  /** Replaces every world by what `step` makes of it, without duplicates. */
  private update(e: LogEvent, step: (w: AnyWorld) => AnyWorld[]): void {
    const next = new Map<string, AnyWorld>();
    for (const world of this.worlds) for (const w of step(world)) if (!next.has(w.key())) next.set(w.key(), w);
    this.worlds = [...next.values()];
    if (this.worlds.length === 0 && !this.failure) this.fail(e, 'no state of the model explains this event');
  }

  private filter(e: LogEvent, keep: (w: AnyWorld) => boolean, what: string): void {
    const kept = this.worlds.filter(keep);
    if (kept.length === 0) this.fail(e, `${what}: no state of the model explains it`);
    this.worlds = kept;
  }

  private fail(e: LogEvent, message: string): void {
    this.failure ??= { step: e.step, message: `${message}\n  at ${describeEvent(e)}` };
  }
}

