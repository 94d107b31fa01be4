// The reservation_end (or reservation_update) events received, and the windows in which the
// module's documented limits excuse a duplicate or a loss: everything the checker needs to match
// a world's expected events of that var.
import type { Crash } from './events';
import type { ModelEnd } from './model';

/** What a ledger matches: the expected events of its var in a world. */
export type Expected = (world: { ends: ModelEnd[]; updates: ModelEnd[] }) => ModelEnd[];

/** A mismatch, with the invariant it breaks (issue 28 names them). */
export interface Problem {
  invariant: string;
  message: string;
}

/** The module ends a reservation within a second of its expiry_time (spec); two more for a loaded, shared machine. */
export const EXPIRY_LATE_MS = 3000;
/** An end may still be on its way this long after it became due, at a checkpoint. */
const PENDING_MS = EXPIRY_LATE_MS + 500;
/** reservation_end events the broker held when SIGKILLed (a broker without a disk write of them) are lost: this recent ones. */
const BROKER_LOSS_MS = 3000;
/**
 * A copy received this shortly before a SIGKILL of the module or the broker may come again:
 * the module had not yet recorded the broker's confirmation, or the broker its delivery.
 */
const DUPLICATE_MS = 3000;
const CLOCK_SLACK_MS = 5;

interface Received {
  id: number;
  reason: string;
  t: number;
}

export class EndLedger {
  readonly received: Received[] = [];
  /** `what`: the var's name, for the messages; `expected`: what a world expects of it. */
  constructor(
    private readonly what: string,
    private readonly expected: Expected,
  ) {}

  private readonly crashes: Array<{ what: Crash; t: number; listenerAwaySince: number | undefined }> = [];
  private listenerAwaySince: number | undefined;
  private readonly excused = { duplicates: new Set<string>(), losses: new Set<string>() };

  get duplicatesExcused(): number {
    return this.excused.duplicates.size;
  }

  get lossesExcused(): number {
    return this.excused.losses.size;
  }

  receive(id: number, reason: string, t: number): void {
    this.received.push({ id, reason, t });
  }

  crash(what: Crash, t: number): void {
    this.crashes.push({ what, t, listenerAwaySince: this.listenerAwaySince });
  }

  listener(away: boolean, t: number): void {
    this.listenerAwaySince = away ? t : undefined;
  }

  /** Whether the listener had received this end (the k-th of its reservation id) by `byMs`. */
  seen(world: { ends: ModelEnd[]; updates: ModelEnd[] }, end: ModelEnd, byMs: number): boolean {
    const k = this.expected(world).filter((x) => x.id === end.id).indexOf(end) + 1;
    return this.received.filter((r) => r.id === end.id && r.t <= byMs).length >= k;
  }

  /** Why `world` cannot explain the events received up to `cutoff`, if it cannot. */
  problem(world: { ends: ModelEnd[]; updates: ModelEnd[] }, cutoff: number, final: boolean): Problem | undefined {
    const all = this.expected(world);
    const ids = new Set([...all.map((x) => x.id), ...this.received.map((r) => r.id)]);
    for (const id of ids) {
      const expected = all.filter((x) => x.id === id);
      const got = this.received.filter((r) => r.id === id && r.t <= cutoff);
      let j = 0;
      for (let i = 0; i < expected.length; i++) {
        const end = expected[i] as ModelEnd;
        const copy = got[j];
        if (copy && copy.reason === end.reason) {
          if (end.reason === 'Expired' && copy.t < end.reservation.expiryMs - CLOCK_SLACK_MS) {
            return { invariant: 'Expired never before its time', message: `reservation ${id} ended Expired at ${new Date(copy.t).toISOString()}, before its expiry_time ${end.reservation.expiryTime} (${this.what})` };
          }
          j++;
          const nextExpected = expected[i + 1];
          while (got[j] && got[j]?.reason === end.reason && nextExpected?.reason !== end.reason && this.duplicateExcused(copy.t, (got[j] as Received).t)) j++;
          continue;
        }
        if (this.lossExcused(end) || (!final && end.atMs > cutoff - PENDING_MS) || (final && end.atMs > cutoff - EXPIRY_LATE_MS)) continue;
        const history = got.map((r) => `${r.reason}@${new Date(r.t).toISOString().slice(11, 23)}`).join(', ') || 'none';
        return {
          invariant: end.rule ?? (copy ? invariantOf(copy.reason, this.what) : oneFinal(this.what)),
          message: `reservation ${id}: expected ${this.what} ${i + 1} to be ${end.reason} (due ${new Date(end.atMs).toISOString().slice(11, 23)}), received ${copy ? copy.reason : 'nothing'} (all received for it: ${history})`,
        };
      }
      if (j < got.length) {
        const extra = got[j] as Received;
        const what = expected.length === 0 ? 'never accepted/ended in the model' : `${expected.map((x) => x.reason).join(', ')} in the model`;
        return {
          invariant: expected.length === 0 ? `no ${this.what} for a refused id` : invariantOf(extra.reason, this.what),
          message: `reservation ${id}: unexpected ${this.what} ${extra.reason} at ${new Date(extra.t).toISOString().slice(11, 23)} (${what}; an end twice?)`,
        };
      }
    }
    return undefined;
  }

  private duplicateExcused(firstMs: number, againMs: number): boolean {
    const excused = this.crashes.some((c) => c.what !== 'module-term' && firstMs >= c.t - DUPLICATE_MS && firstMs <= c.t + 1000 && againMs > c.t);
    if (excused) this.excused.duplicates.add(`${firstMs}/${againMs}`);
    return excused;
  }

  private lossExcused(end: ModelEnd): boolean {
    const excused = this.crashes.some(
      (c) => c.what === 'broker-kill' && end.atMs <= c.t + 500 && (end.atMs >= c.t - BROKER_LOSS_MS || (c.listenerAwaySince !== undefined && end.atMs >= c.listenerAwaySince - 500)),
    );
    if (excused) this.excused.losses.add(`${end.id}:${end.reason}@${end.atMs}`);
    return excused;
  }
}

function oneFinal(what: string): string {
  return `exactly one final ${what} per accepted reservation, none twice`;
}

/** The invariant an unexpected event of this reason breaks. */
function invariantOf(reason: string, what: string): string {
  switch (reason) {
    case 'Used':
    case 'UsedToStartCharging':
      return 'Used only after a session of its holder';
    case 'Cancelled':
      return what === 'reservation_update' ? 'Cancelled only after a cancel' : oneFinal(what);
    default:
      return oneFinal(what);
  }
}
