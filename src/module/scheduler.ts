// One timer for the whole expiry schedule (not one per reservation).
export interface Clock {
  /** Wall-clock time, epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * The longest the scheduler sleeps. Node's timers overflow past 2^31-1 ms (~24.8 days) and
 * run on the monotonic clock, so a wall-clock jump is only seen at a wake-up: waking at least
 * once a second keeps every expiry within a second of its expiry_time, however far ahead.
 */
export const MAX_SLEEP_MS = 1000;

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

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedForMs = undefined;
  }

  private wake(): void {
    this.timer = undefined;
    // Decided by the wall clock at this moment, never by counting elapsed time.
    const now = this.clock.now();
    const due = this.nextDueMs();
    if (due !== undefined && due <= now) this.onDue(now);
    this.rearm();
  }
}
