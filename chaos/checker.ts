// Checks what the runner saw against the model. Where the real system may have done either of
// two things (a command in flight when the module or the broker died, an expiry at the moment
// of a command, an EVSE event's ends not yet on disk at a SIGKILL), the checker keeps every
// possible world and lets later observations (answers, lists, reservation_end events) rule
// worlds out. A run fails when no world explains what was seen.
import { type Crash, describeEvent, type LogEvent } from './events';
import { type ModelEnd, World } from './model';

/** The module ends a reservation within a second of its expiry_time (spec); one more for a loaded machine. */
export const EXPIRY_LATE_MS = 2000;
/** An end may still be on its way this long after it became due, at a checkpoint. */
const PENDING_MS = 2500;
/** A SIGKILL may leave an EVSE event's ends unwritten (the state file is written just after) if they were this recent. */
const UNPERSISTED_MS = 3000;
/** reservation_end events the broker held when SIGKILLed (a broker without a disk write of them) are lost: this recent ones. */
const BROKER_LOSS_MS = 3000;
/**
 * A copy received this shortly before a SIGKILL of the module or the broker may come again:
 * the module had not yet recorded the broker's confirmation, or the broker its delivery.
 */
const DUPLICATE_MS = 3000;
const CLOCK_SLACK_MS = 5;
const MAX_WORLDS = 5000;
/**
 * An answer to a call in flight at a crash comes within this long, if at all (in transit, or
 * replayed once the broker is back): after it, which way the call went no longer needs keeping
 * apart from the state it left, and worlds that differ only in it merge.
 */
const LATE_ANSWER_MS = 20_000;

interface Attempt {
  sent: Extract<LogEvent, { k: 'sent' }>;
  state: 'pending' | 'answered' | 'forked' | 'settled' | 'not-applied';
  answer?: string;
  forkedMs?: number;
}

interface Received {
  id: number;
  reason: string;
  t: number;
}

export interface Failure {
  step: number;
  message: string;
}

const READ_ONLY = new Set(['exists_reservation', 'list_reservations']);

function sortedList(value: unknown): string {
  if (!Array.isArray(value)) return JSON.stringify(value);
  return JSON.stringify([...(value as Array<{ reservation_id: number }>)].sort((a, b) => a.reservation_id - b.reservation_id));
}

export class Checker {
  worlds: World[] = [new World()];
  failure: Failure | undefined;
  private readonly attempts = new Map<string, Attempt>();
  private readonly received: Received[] = [];
  private readonly crashes: Array<{ what: Crash; t: number; listenerAwaySince: number | undefined }> = [];
  private listenerAwaySince: number | undefined;
  private moduleUp = true;
  private consumed = 0;
  /** Counts for the report. */
  readonly stats = { accepted: 0, reserveAnswers: {} as Record<string, number>, duplicatesExcused: 0, lossesExcused: 0, maxWorlds: 1 };
  private readonly excused = { duplicates: new Set<string>(), losses: new Set<string>() };

  constructor(startMs: number) {
    (this.worlds[0] as World).upSinceMs = startMs;
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
        this.update(e, (w) => w.expire(e.t0, e.t, EXPIRY_LATE_MS, index).flatMap((x) => x.connectorEvent(e.evse, e.event, e.tx, e.t0, index)));
        return;
      case 'crash':
        this.crashes.push({ what: e.what, t: e.t, listenerAwaySince: this.listenerAwaySince });
        this.update(e, (w) => w.expire(e.t, e.t, EXPIRY_LATE_MS, index));
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
        for (const w of this.worlds) w.upSinceMs = e.t;
        this.forkPending(e, index);
        return;
      case 'broker-up':
        this.forkPending(e, index);
        return;
      case 'end':
        this.received.push({ id: e.id, reason: e.reason, t: e.t });
        return;
      case 'listener':
        this.listenerAwaySince = e.away ? e.t : undefined;
        return;
      case 'checkpoint':
        this.settleForks(e.t);
        this.update(e, (w) => w.expire(e.t, e.t, EXPIRY_LATE_MS, index));
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
    const observed = e.error !== undefined ? `error ${e.error}` : sortedList(e.retval);
    if (attempt.state === 'settled') return; // long after its crash: nothing left to decide by it
    if (attempt.state === 'answered') {
      if (attempt.answer !== observed) this.fail(e, `${sent.command.cmd} (attempt ${e.attempt}) answered twice, differently: ${attempt.answer} then ${observed}`);
      return;
    }
    if (e.error !== undefined) {
      // Shutdown: refused while stopping, nothing applied. Any other error is a fault of its own.
      if (e.error !== 'Shutdown') return this.fail(e, `${sent.command.cmd} ${JSON.stringify(sent.command)} answered with error ${e.error}`);
      if (attempt.state === 'forked') this.filter(e, (w) => w.choices.get(e.attempt) === 'not-applied' || READ_ONLY.has(sent.command.cmd), `${sent.command.cmd} answered Shutdown`);
      attempt.state = 'answered';
      attempt.answer = observed;
      return;
    }
    if (attempt.state === 'forked') {
      if (!READ_ONLY.has(sent.command.cmd)) {
        this.filter(e, (w) => w.choices.get(e.attempt) === observed, `${sent.command.cmd} ${JSON.stringify(sent.command)} answered ${observed} after a crash`);
      }
    } else {
      // pending, or given up too early (answered after its timeout): applied between sending and now.
      const predicted = new Set<string>();
      const next = new Map<string, World>();
      for (const world of this.worlds) {
        for (const x of world.expire(sent.t, e.t, EXPIRY_LATE_MS, index)) {
          for (const { world: w, result } of this.apply(x, attempt, index, e.t)) {
            predicted.add(result);
            if (result === observed && !next.has(w.key())) next.set(w.key(), w);
          }
        }
      }
      if (next.size === 0) {
        return this.fail(e, `${sent.caller} ${sent.command.cmd} ${JSON.stringify(sent.command)} answered ${observed}; the model predicts ${[...predicted].join(' or ')}`);
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

  /** The command applied to a copy of `world`, with each result it can give (rule 4 at either end of the call). */
  private apply(world: World, attempt: Attempt, index: number, answeredMs: number): Array<{ world: World; result: string }> {
    const { sent } = attempt;
    const c = sent.command;
    switch (c.cmd) {
      case 'reserve_now': {
        const r = sent.reserve as NonNullable<typeof sent.reserve>;
        const outcomes: Array<{ world: World; result: string }> = [];
        for (const now of r.expiryMs > sent.t && r.expiryMs <= answeredMs ? [sent.t, answeredMs] : [sent.t]) {
          const w = world.clone();
          const result = w.reserveNow(r.connector, { id: r.id, token: r.token, ...(r.parent !== undefined ? { parent: r.parent } : {}), expiryTime: r.expiryTime, expiryMs: r.expiryMs }, now, index);
          outcomes.push({ world: w, result: JSON.stringify(result) });
        }
        return outcomes;
      }
      case 'cancel_reservation': {
        const w = world.clone();
        return [{ world: w, result: JSON.stringify(w.cancel(c.id, sent.t, index)) }];
      }
      case 'exists_reservation':
        return [{ world, result: JSON.stringify(world.exists(c.connector, c.token, c.parent)) }];
      case 'list_reservations':
        return [{ world, result: sortedList(world.list()) }];
    }
  }

  /** Every attempt still unanswered may have been applied (before the crash) or not: both worlds go on. */
  private forkPending(e: LogEvent, index: number): void {
    for (const attempt of this.attempts.values()) {
      if (attempt.state !== 'pending') continue;
      attempt.state = 'forked';
      attempt.forkedMs = e.t;
      if (READ_ONLY.has(attempt.sent.command.cmd)) continue;
      const id = attempt.sent.attempt;
      this.update(e, (w) => {
        const skipped = w.clone();
        skipped.choices.set(id, 'not-applied');
        const applied = w.expire(attempt.sent.t, e.t, EXPIRY_LATE_MS, index).flatMap((x) =>
          this.apply(x, attempt, index, e.t).map(({ world, result }) => {
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
    const merged = new Map<string, World>();
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
  private unpersisted(world: World, killedMs: number): World[] {
    const groups = new Map<number, ModelEnd[]>();
    for (const end of world.ends) {
      if (end.cause !== 'evse' || end.atMs < killedMs - UNPERSISTED_MS || this.seen(world, end, killedMs)) continue;
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

  /** Whether the listener had received this end (the k-th of its reservation id) by `byMs`. */
  private seen(world: World, end: ModelEnd, byMs: number): boolean {
    const k = world.ends.filter((x) => x.id === end.id).indexOf(end) + 1;
    return this.received.filter((r) => r.id === end.id && r.t <= byMs).length >= k;
  }

  /** Every world's ends against those received; worlds that cannot explain them are dropped. */
  private matchEnds(e: Extract<LogEvent, { k: 'checkpoint' }>): void {
    const problems: string[] = [];
    this.worlds = this.worlds.filter((w) => {
      const problem = this.endsProblem(w, e.t, e.final);
      if (problem) problems.push(problem);
      return problem === undefined;
    });
    if (this.worlds.length === 0) this.fail(e, `reservation_end events do not match the model: ${problems[0]}`);
  }

  private endsProblem(world: World, cutoff: number, final: boolean): string | undefined {
    const ids = new Set([...world.ends.map((x) => x.id), ...this.received.map((r) => r.id)]);
    for (const id of ids) {
      const expected = world.ends.filter((x) => x.id === id);
      const got = this.received.filter((r) => r.id === id && r.t <= cutoff);
      let j = 0;
      for (let i = 0; i < expected.length; i++) {
        const end = expected[i] as ModelEnd;
        const copy = got[j];
        if (copy && copy.reason === end.reason) {
          if (end.reason === 'Expired' && copy.t < end.reservation.expiryMs - CLOCK_SLACK_MS) {
            return `reservation ${id} ended Expired at ${new Date(copy.t).toISOString()}, before its expiry_time ${end.reservation.expiryTime}`;
          }
          j++;
          const nextExpected = expected[i + 1];
          while (got[j] && got[j]?.reason === end.reason && nextExpected?.reason !== end.reason && this.duplicateExcused(copy.t, (got[j] as Received).t)) j++;
          continue;
        }
        if (this.lossExcused(end) || (!final && end.atMs > cutoff - PENDING_MS) || (final && end.atMs > cutoff - EXPIRY_LATE_MS)) continue;
        const history = got.map((r) => `${r.reason}@${new Date(r.t).toISOString().slice(11, 23)}`).join(', ') || 'none';
        return `reservation ${id}: expected end ${i + 1} to be ${end.reason} (due ${new Date(end.atMs).toISOString().slice(11, 23)}), received ${copy ? copy.reason : 'nothing'} (all received for it: ${history})`;
      }
      if (j < got.length) {
        const extra = got[j] as Received;
        const what = expected.length === 0 ? 'never accepted/ended in the model' : `ended ${expected.map((x) => x.reason).join(', ')} in the model`;
        return `reservation ${id}: unexpected reservation_end ${extra.reason} at ${new Date(extra.t).toISOString().slice(11, 23)} (${what}; an end twice?)`;
      }
    }
    return undefined;
  }

  private duplicateExcused(firstMs: number, againMs: number): boolean {
    const excused = this.crashes.some((c) => c.what !== 'module-term' && firstMs >= c.t - DUPLICATE_MS && firstMs <= c.t + 1000 && againMs > c.t);
    if (excused) this.excused.duplicates.add(`${firstMs}/${againMs}`);
    this.stats.duplicatesExcused = this.excused.duplicates.size;
    return excused;
  }

  private lossExcused(end: ModelEnd): boolean {
    const excused = this.crashes.some(
      (c) => c.what === 'broker-kill' && end.atMs <= c.t + 500 && (end.atMs >= c.t - BROKER_LOSS_MS || (c.listenerAwaySince !== undefined && end.atMs >= c.listenerAwaySince - 500)),
    );
    if (excused) this.excused.losses.add(`${end.id}:${end.reason}@${end.atMs}`);
    this.stats.lossesExcused = this.excused.losses.size;
    return excused;
  }

  /** Replaces every world by what `step` makes of it, without duplicates. */
  private update(e: LogEvent, step: (w: World) => World[]): void {
    const next = new Map<string, World>();
    for (const world of this.worlds) for (const w of step(world)) if (!next.has(w.key())) next.set(w.key(), w);
    this.worlds = [...next.values()];
    if (this.worlds.length === 0 && !this.failure) this.fail(e, 'no state of the model explains this event');
  }

  private filter(e: LogEvent, keep: (w: World) => boolean, what: string): void {
    const kept = this.worlds.filter(keep);
    if (kept.length === 0) this.fail(e, `${what}: no state of the model explains it`);
    this.worlds = kept;
  }

  private fail(e: LogEvent, message: string): void {
    this.failure ??= { step: e.step, message: `${message}\n  at ${describeEvent(e)}` };
  }
}
