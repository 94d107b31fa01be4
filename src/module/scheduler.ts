// One timer for the whole expiry schedule (not one per reservation).
export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The longest the timer sleeps. Node's timers overflow past 2^31-1 ms (~24.8 days) and run on
 * the monotonic clock, so a forward wall-clock jump is seen only when the process wakes: at every
 * packet from the broker (checkClock; the keepalive brings one at least every 10 s) or, with no
 * broker to hear from, at this bound. A process that holds reservations far ahead sleeps between.
 */
export const MAX_SLEEP_MS = 60_000;

export class ExpiryScheduler {
  private timer: NodeJS.Timeout | undefined;
  private armedForMs: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly nextDueMs: () => number | undefined,
    /** Called with the wall-clock time once the earliest expiry is due. */
    private readonly onDue: (nowMs: number) => void,
    private readonly maxSleepMs = MAX_SLEEP_MS,
  ) {}

  /** Call after every change to the schedule; cheap when the earliest expiry did not change. */
  rearm(): void {
    const due = this.nextDueMs();
    if (due === this.armedForMs && this.timer !== undefined) return;
    this.stop();
    if (due === undefined) return;
    this.armedForMs = due;
    const delay = Math.min(Math.max(due - this.clock.now(), 0), this.maxSleepMs);
    this.timer = setTimeout(() => this.wake(), delay);
  }

  /**
   * Call whenever the process is awake anyway (every packet received): ends what a forward
   * wall-clock jump made due, without a timer of its own. One comparison when nothing is due.
   */
  checkClock(): void {
    if (this.armedForMs !== undefined && this.armedForMs <= this.clock.now()) this.wake();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedForMs = undefined;
  }

  private wake(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    // Decided by the wall clock at this moment, never by counting elapsed time.
    const now = this.clock.now();
    const due = this.nextDueMs();
    if (due !== undefined && due <= now) this.onDue(now);
    this.rearm();
  }
}
