// The evse interface's side of the EVSE managers: each one is told what its EVSE should show,
// reserve(reservation_id) for its EVSE-specific reservation, reserve(-1) while station-wide
// reservations need it (EVerest's "Reserved" for OCPP), cancel_reservation() once neither holds.
// Only changes are sent, one call at a time per EVSE manager, in order; a ReservationEnd it
// publishes by itself ends the reservation it was told about, not whatever the EVSE holds by then.
// After a restart of this module what an EVSE manager shows is unknown (it may still show a
// reservation that ended while the module was down): it is told again what the book says. So is
// one whose call went unanswered (a broker outage, an EVSE manager restarting): asked again a
// little later, and once the broker is back.
import type { EvseManagerConnection } from '../config/load';
import type { ReservationBook } from '../domain/reservation-book';
import type { DomainEvent } from '../domain/types';
import type { Logger } from '../log';
import type { CallCmd, EvsePlacement, PlacementAnswer } from '../module/ports';
import type { EvseSide } from './side';
import type { InterfaceValidator } from '../schema/validate';

/** What an EVSE manager was last told (unknown: whatever an earlier run of the module told it). */
type Shown = { kind: 'free' } | { kind: 'reserved'; reservationId: number } | { kind: 'blocked' } | { kind: 'unknown' };

const FREE: Shown = { kind: 'free' };
const BLOCKED: Shown = { kind: 'blocked' };
const UNKNOWN: Shown = { kind: 'unknown' };
/** reserve's argument for "reserved for the station-wide reservations, no id of its own". */
const NO_RESERVATION_ID = -1;
/** How long after an unanswered call, or after the broker is back, EVSE managers are told again (time for them to resubscribe). */
export const RECHECK_MS = 2000;

export interface ReconcilerDeps {
  evseManagers: readonly EvseManagerConnection[];
  book: ReservationBook;
  call: CallCmd;
  validator: InterfaceValidator;
  /** Calls go out only once the system is ready (GlobalReady under the manager). */
  isReady: () => boolean;
  /** Reservations ended here (the EVSE manager refused or dropped one): published like any other end. */
  onEvents: (events: DomainEvent[]) => void;
  log: Logger;
}

export class EvseReconciler implements EvsePlacement, EvseSide {
  private readonly told: Shown[];
  private readonly queues: Array<Promise<unknown>>;
  private readonly syncQueued: boolean[];
  /** It refused what it should show: asked again after the next change, not at once. */
  private readonly refused: boolean[];
  /** A call to it went unanswered: asked again at the recheck, not at once. */
  private readonly waiting: boolean[];
  /** Restarts seen per EVSE manager: an answer that spans one may come from either run. */
  private readonly restarts: number[];
  private readyBefore = false;
  private recheck: NodeJS.Timeout | undefined;

  constructor(private readonly deps: ReconcilerDeps) {
    const slots = deps.evseManagers.length + 1;
    this.told = new Array<Shown>(slots).fill(FREE);
    this.queues = new Array<Promise<unknown>>(slots).fill(Promise.resolve());
    this.syncQueued = new Array<boolean>(slots).fill(false);
    this.refused = new Array<boolean>(slots).fill(false);
    this.waiting = new Array<boolean>(slots).fill(false);
    this.restarts = new Array<number>(slots).fill(0);
  }

  async place(evseId: number, reservationId: number, commit: () => void): Promise<PlacementAnswer> {
    const position = this.deps.book.station.positionOf(evseId);
    if (position === undefined || this.deps.evseManagers[position - 1] === undefined || !this.deps.isReady()) {
      commit();
      this.sync();
      return 'not asked';
    }
    const answer = await this.enqueue(position, async (): Promise<PlacementAnswer> => {
      const restarts = this.restarts[position];
      const said = await this.send(position, 'reserve', { reservation_id: reservationId }, { reservation_id: reservationId });
      if (said === false) return 'refused';
      // No answer in time: it may or may not show it, and is asked again (the reservation stands meanwhile).
      if (said === undefined) this.unanswered(position);
      else this.told[position] = restarts === this.restarts[position] ? { kind: 'reserved', reservationId } : UNKNOWN;
      commit();
      return said === true ? 'accepted' : 'unanswered';
    });
    this.sync();
    return answer;
  }

  /** After any change of the book (or of an EVSE: what shows Reserved depends on cars and faults too). */
  handled(): void {
    this.refused.fill(false);
    this.sync();
  }

  /**
   * This module restarted: an EVSE manager may still show what an earlier run told it (a
   * reservation that ended while the module was down, one it was told just before a crash), so
   * none is assumed free; each is told what the book says once the system is ready.
   */
  forgetShown(): void {
    this.told.fill(UNKNOWN);
  }

  /** The broker is back: what changed meanwhile, and what went unanswered, is told once the EVSE managers are back too. */
  reconnected(): void {
    this.recheckSoon();
  }

  stop(): void {
    if (this.recheck !== undefined) clearTimeout(this.recheck);
    this.recheck = undefined;
  }

  /** The EVSE manager at `position` started again (its ModuleReady): it holds no reservation. */
  evseManagerStarted(position: number): void {
    if (this.told[position] === undefined || position === 0) return;
    this.restarts[position] = (this.restarts[position] as number) + 1;
    this.told[position] = FREE;
    this.refused[position] = false;
    this.waiting[position] = false;
    this.sync();
  }

  /**
   * The system is ready: every EVSE manager is told what it should show. When it becomes ready
   * again (a new run of the EVerest manager restarted the EVSE managers) they are told as if they
   * knew nothing.
   */
  announceAll(): void {
    if (this.readyBefore) this.told.fill(FREE);
    this.readyBefore = true;
    this.sync();
  }

  /** Brings every EVSE manager in line with the book: only where what it shows differs. */
  sync(): void {
    if (!this.deps.isReady()) return;
    const shownReserved = new Set(this.deps.book.shownReserved());
    this.deps.evseManagers.forEach((_, index) => {
      const position = index + 1;
      if (this.syncQueued[position] || this.refused[position] || this.waiting[position] || same(this.desired(position, shownReserved), this.told[position] as Shown)) return;
      this.syncQueued[position] = true;
      void this.enqueue(position, async () => {
        this.syncQueued[position] = false;
        await this.reconcile(position);
      });
    });
  }

  /**
   * The EVSE manager at `position` published ReservationEnd. What it was last told is what ended:
   * our own cancel_reservation set that to free before it went out, so its ReservationEnd ends nothing.
   */
  reservationEnded(position: number): void {
    const told = this.told[position] as Shown;
    this.told[position] = FREE;
    if (told.kind === 'reserved' && this.deps.book.holderAt(position)?.reservationId === told.reservationId) {
      this.deps.onEvents(this.deps.book.remove(told.reservationId, 'its EVSE manager ended it'));
    }
    this.sync();
  }

  /** The EVSE manager dropped its reservation by itself (watcher.ts says when): it shows nothing, and is not told to cancel it. */
  clearedSilently(position: number): void {
    this.told[position] = FREE;
  }

  private desired(position: number, shownReserved: ReadonlySet<number>): Shown {
    const holder = this.deps.book.holderAt(position);
    if (holder) return { kind: 'reserved', reservationId: holder.reservationId };
    return shownReserved.has(position) ? BLOCKED : FREE;
  }

  private async reconcile(position: number): Promise<void> {
    const desired = this.desired(position, new Set(this.deps.book.shownReserved()));
    const told = this.told[position] as Shown;
    if (same(desired, told)) return;
    const restarts = this.restarts[position];
    // reserve may take over a reserve(-1) (with an id), or confirm what an unknown EVSE manager shows; anything else is cleared first.
    let cancelled: boolean | undefined = true;
    if (told.kind === 'reserved' || (told.kind === 'blocked' && desired.kind !== 'reserved') || (told.kind === 'unknown' && desired.kind === 'free')) {
      cancelled = await this.cancel(position, told);
    }
    if (desired.kind === 'free') {
      if (cancelled === undefined) this.unanswered(position);
    } else {
      const reservationId = desired.kind === 'reserved' ? desired.reservationId : NO_RESERVATION_ID;
      const args = { reservation_id: reservationId };
      const context = desired.kind === 'reserved' ? args : { station_wide: true };
      let said = await this.send(position, 'reserve', args, context);
      if (said === false && told.kind === 'unknown') {
        // It may still show another reservation from before the restart: cleared, then asked again.
        cancelled = await this.cancel(position, told);
        said = await this.send(position, 'reserve', args, context);
      }
      if (restarts !== this.restarts[position]) {
        this.told[position] = UNKNOWN; // it restarted meanwhile: which run answered is unknown
      } else if (said === undefined || cancelled === undefined) {
        this.unanswered(position);
      } else if (said === false) {
        this.told[position] = FREE;
        this.refused[position] = true;
        if (desired.kind === 'reserved' && this.deps.book.holderAt(position)?.reservationId === desired.reservationId) {
          this.deps.onEvents(this.deps.book.remove(desired.reservationId, 'its EVSE manager refused it'));
        }
      } else {
        this.told[position] = desired;
      }
    }
    this.sync(); // the book may have moved on while we waited
  }

  /** cancel_reservation(): what it was told counts as gone before the call, so the ReservationEnd it causes ends nothing. */
  private cancel(position: number, told: Shown): Promise<boolean | undefined> {
    this.told[position] = FREE;
    return this.send(position, 'cancel_reservation', {}, told.kind === 'reserved' ? { reservation_id: told.reservationId } : {});
  }

  /** A call went unanswered: what it shows is unknown until it is asked again. */
  private unanswered(position: number): void {
    this.told[position] = UNKNOWN;
    this.waiting[position] = true;
    this.recheckSoon();
  }

  private recheckSoon(): void {
    if (this.recheck !== undefined) return;
    this.recheck = setTimeout(() => {
      this.recheck = undefined;
      this.waiting.fill(false);
      this.sync();
    }, RECHECK_MS);
    this.recheck.unref?.();
  }

  /** Runs `task` after everything queued for that EVSE manager. */
  private enqueue<T>(position: number, task: () => Promise<T>): Promise<T> {
    const run = (this.queues[position] as Promise<unknown>).then(task, task);
    this.queues[position] = run.catch(() => undefined);
    return run;
  }

  /** One call; true/false as answered, undefined when it failed or timed out (logged). */
  private async send(position: number, cmd: 'reserve' | 'cancel_reservation', args: Record<string, unknown>, context: Record<string, unknown>): Promise<boolean | undefined> {
    const evse = this.deps.evseManagers[position - 1] as EvseManagerConnection;
    const where = { ...context, evse_id: this.deps.book.station.idAt(position), evse_manager: evse.moduleId, cmd };
    const answer = await this.deps.call(evse.moduleId, evse.implId, cmd, args);
    if (!answer.ok) {
      this.deps.log.warn({ ...where, error_type: answer.error.type, reason: answer.error.message }, 'EVSE manager call failed');
      return undefined;
    }
    const problem = this.deps.validator.checkResult(cmd, answer.retval);
    if (problem) {
      this.deps.log.warn({ ...where, reason: problem }, 'EVSE manager answered with an invalid result');
      return undefined;
    }
    if (answer.retval === false) this.deps.log.warn(where, 'EVSE manager refused the reservation');
    else this.deps.log.debug({ ...where, retval: answer.retval }, 'EVSE manager call answered');
    return cmd === 'reserve' ? (answer.retval as boolean) : true;
  }
}

function same(a: Shown, b: Shown): boolean {
  return a.kind === b.kind && (a.kind !== 'reserved' || a.reservationId === (b as { reservationId: number }).reservationId);
}
