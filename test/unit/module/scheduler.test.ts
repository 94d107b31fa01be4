// The single expiry timer, under jest's fake timers: Date.now() is the wall clock (moved by
// jest.setSystemTime, which fires no timer, like a clock jump), timers run on their own clock.
import type { ConnectorBook as ReservationBook } from '../domain/book-fixtures';
import { ExpiryScheduler, MAX_SLEEP_MS, systemClock } from '../../../src/module/scheduler';
import { type End, HOUR, NOW, ends, newBook, request } from '../domain/book-fixtures';

const DAY = 24 * HOUR;
/** Node runs a longer setTimeout after 1 ms (and so do jest's fake timers). */
const NODE_MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface Station {
  book: ReservationBook;
  scheduler: ExpiryScheduler;
  ended: Array<End & { atMs: number }>;
  /** reserve_now at the current wall-clock time, then a re-arm, as the module does. */
  reserve(reservationId: number, expiresAtMs: number, connectorId?: number): void;
}

/** A book and its scheduler wired as src/app.ts wires them. */
function station(connectorCount = 2): Station {
  const book = newBook({ connectorCount });
  const ended: Station['ended'] = [];
  const scheduler = new ExpiryScheduler(systemClock, () => book.nextExpiryMs(), (nowMs) => {
    for (const end of ends(book.expireDue(nowMs))) ended.push({ ...end, atMs: nowMs });
    scheduler.rearm();
  });
  return {
    book,
    scheduler,
    ended,
    reserve(reservationId, expiresAtMs, connectorId = 0) {
      const { result } = book.reserveNow(connectorId, request(reservationId, { expiresAtMs }), Date.now());
      if (result !== 'Accepted') throw new Error(`setup: reservation ${reservationId} was ${result}`);
      scheduler.rearm();
    },
  };
}

beforeEach(() => {
  jest.useFakeTimers();
  jest.setSystemTime(NOW);
});

afterEach(() => {
  jest.clearAllTimers();
  jest.useRealTimers();
});

describe('ExpiryScheduler', () => {
  it('does not end a reservation 30 days ahead early, sleeps in between, and ends it within a second of its time', () => {
    const { reserve, ended } = station();
    const due = NOW + 30 * DAY;
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    reserve(1, due);

    jest.advanceTimersByTime(HOUR);
    expect(ended).toEqual([]);
    // A delay past Node's limit would fire after 1 ms, over and over: 60,000 times a minute.
    const delays = setTimeoutSpy.mock.calls.map((call) => call[1] ?? 0);
    expect(delays.every((delay) => delay > 0 && delay <= NODE_MAX_TIMEOUT_MS)).toBe(true);
    // Asleep but for one check a minute (the bound for a forward clock jump without a broker).
    expect(delays.length).toBeLessThanOrEqual(HOUR / MAX_SLEEP_MS + 1);

    // The remaining weeks, one wake a minute, up to the last millisecond before the expiry.
    jest.advanceTimersByTime(due - Date.now() - 1);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(ended).toEqual([{ id: 1, reason: 'Expired', atMs: expect.any(Number) }]);
    expect(ended[0]?.atMs).toBeGreaterThanOrEqual(due);
    expect(ended[0]?.atMs).toBeLessThanOrEqual(due + 1000);
  });

  it('wakes once, at the expiry, for a reservation due within the sleep bound', () => {
    const { reserve, ended } = station();
    const setTimeoutSpy = jest.spyOn(global, 'setTimeout');
    reserve(1, NOW + 45_000);
    jest.advanceTimersByTime(44_999);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(ended).toEqual([{ id: 1, reason: 'Expired', atMs: NOW + 45_000 }]);
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
  });

  it('ends at the next packet the reservations a forward wall-clock jump made due, and only those', () => {
    const { reserve, ended, book, scheduler } = station();
    reserve(1, NOW + 2 * HOUR);
    reserve(2, NOW + 5 * HOUR);
    jest.advanceTimersByTime(1_000);
    scheduler.checkClock();
    expect(ended).toEqual([]);
    jest.setSystemTime(NOW + 3 * HOUR);
    // The keepalive's answer from the broker: no timer has fired yet.
    scheduler.checkClock();
    expect(ended.map(({ id, reason }) => ({ id, reason }))).toEqual([{ id: 1, reason: 'Expired' }]);
    expect(book.list().map((r) => r.reservationId)).toEqual([2]);
    scheduler.checkClock();
    jest.advanceTimersByTime(10 * MAX_SLEEP_MS);
    expect(ended).toHaveLength(1);
  });

  it('ends what a forward wall-clock jump made due within the sleep bound when no packet comes', () => {
    const { reserve, ended } = station();
    reserve(1, NOW + 2 * HOUR);
    jest.advanceTimersByTime(1_000);
    jest.setSystemTime(NOW + 3 * HOUR);
    jest.advanceTimersByTime(MAX_SLEEP_MS);
    expect(ended.map(({ id, reason }) => ({ id, reason }))).toEqual([{ id: 1, reason: 'Expired' }]);
  });

  it('does not end anything early after a backward wall-clock jump, and still ends it on time', () => {
    const { reserve, ended } = station();
    const due = NOW + 60_000;
    reserve(1, due);
    jest.advanceTimersByTime(30_000);
    jest.setSystemTime(NOW - HOUR);
    // The timers' own clock passes the original 60 s; the wall clock is an hour short of it.
    jest.advanceTimersByTime(60_000);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(due - Date.now() - 1);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(ended).toHaveLength(1);
    expect(ended[0]?.atMs).toBeGreaterThanOrEqual(due);
    expect(ended[0]?.atMs).toBeLessThanOrEqual(due + 1000);
  });

  it('keeps one timer for the whole schedule, however many reservations, and none when nothing is held', () => {
    const { reserve, ended } = station(1000);
    // Reserved in scrambled order of expiry, each 1 to 1000 s ahead.
    for (let id = 1; id <= 1000; id++) {
      reserve(id, NOW + ((id * 389) % 1000) * 1000 + 1000, id);
      expect(jest.getTimerCount()).toBe(1);
    }
    jest.advanceTimersByTime(500_000);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(501_000);
    expect(jest.getTimerCount()).toBe(0);
    expect(ended).toHaveLength(1000);
    // In expiry order, each within a second of its time.
    const dues = ended.map((end) => NOW + ((end.id * 389) % 1000) * 1000 + 1000);
    expect(dues).toEqual([...dues].sort((a, b) => a - b));
    expect(ended.every((end, i) => end.atMs >= (dues[i] as number) && end.atMs <= (dues[i] as number) + 1000)).toBe(true);
  });

  it('disarms when the last reservation is cancelled, so nothing fires for it', () => {
    const { reserve, ended, book, scheduler } = station();
    reserve(1, NOW + 5_000);
    book.cancel(1);
    scheduler.rearm();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(10_000);
    expect(ended).toEqual([]);
  });

  it('follows an earlier reservation added after a later one', () => {
    const { reserve, ended } = station();
    reserve(1, NOW + HOUR);
    reserve(2, NOW + 3_000);
    jest.advanceTimersByTime(4_000);
    expect(ended.map((end) => end.id)).toEqual([2]);
  });

  it('ends nothing after stop()', () => {
    const { reserve, ended, scheduler } = station();
    reserve(1, NOW + 2_000);
    scheduler.stop();
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5_000);
    expect(ended).toEqual([]);
  });
});
