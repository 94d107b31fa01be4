// The chaos checker in today's interface (issue 28), on hand-written observations: what a restart
// may announce to the EVSE managers, and what they must show once all is quiet.
import { Checker } from '../../../chaos/checker';
import type { LogEvent } from '../../../chaos/events';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;

class Log {
  readonly events: LogEvent[] = [];
  private t = T0;

  at(ms: number): this {
    this.t = T0 + ms;
    return this;
  }

  push(e: Record<string, unknown>): this {
    this.t += 5;
    this.events.push({ t: this.t, step: 0, ...e } as LogEvent);
    return this;
  }

  /** reserve_now for EVSE `evse`, answered `answer`. */
  reserve(id: number, evse: number, answer: string, expiresInMs = HOUR): this {
    const request = { evse };
    const reserve = { request, id, token: `T${id}`, expiryTime: new Date(T0 + expiresInMs).toISOString(), expiryMs: T0 + expiresInMs };
    this.push({ k: 'sent', attempt: `r${id}`, caller: 'ocpp', command: { cmd: 'reserve_now', request, id, token: `T${id}`, expiresInMs }, reserve });
    return this.push({ k: 'answer', attempt: `r${id}`, retval: answer });
  }

  restart(...announced: Array<Record<string, unknown>>): this {
    this.push({ k: 'crash', what: 'module-kill' }).push({ k: 'module-spawned' });
    for (const call of announced) this.push({ k: 'evse-call', ...call });
    return this.push({ k: 'module-ready' });
  }

  verdict(): string | undefined {
    return new Checker(T0, 'evse').feed(this.events)?.message;
  }
}

describe('chaos checker, evse interface', () => {
  it('accepts the announcement of a restored reservation its EVSE manager refuses because a car is plugged in, and expects it Removed', () => {
    const log = new Log().reserve(3, 2, 'Accepted').push({ k: 'update', id: 3, status: 'Placed' });
    log.push({ k: 'evse', t0: log.events.at(-1)?.t, evse: 2, event: 'SessionStarted' });
    log.restart({ evse: 2, cmd: 'reserve', reservationId: 3, retval: false }, { evse: 2, cmd: 'cancel_reservation', retval: null });
    log.push({ k: 'evse-call', evse: 2, cmd: 'reserve', reservationId: 3, retval: false });
    log.push({ k: 'end', id: 3, reason: 'Cancelled' }).push({ k: 'update', id: 3, status: 'Removed' });
    log.at(10_000).push({ k: 'shown', shown: [null, null, null] }).push({ k: 'checkpoint', final: false });
    expect(log.verdict()).toBeUndefined();
  });

  it('lets a reservation stand whose reserve(id) a broker outage lost, and expects it Removed once its busy EVSE manager is asked again', () => {
    const log = new Log();
    log.push({ k: 'evse', t0: T0, evse: 3, event: 'SessionStarted' }).restart();
    // The module no longer knows of the car; the reserve_now is in flight when the broker dies.
    log.push({ k: 'sent', attempt: 'r1', caller: 'ocpp', command: { cmd: 'reserve_now', request: { evse: 3 }, id: 1, token: 'T1', expiresInMs: HOUR }, reserve: { request: { evse: 3 }, id: 1, token: 'T1', expiryTime: new Date(T0 + HOUR).toISOString(), expiryMs: T0 + HOUR } });
    log.push({ k: 'crash', what: 'broker-kill' }).at(3000).push({ k: 'broker-up' }).push({ k: 'answer', attempt: 'r1', retval: 'Accepted' });
    log.push({ k: 'update', id: 1, status: 'Placed' });
    log.at(5000).push({ k: 'evse-call', evse: 3, cmd: 'reserve', reservationId: 1, retval: false }).push({ k: 'end', id: 1, reason: 'Cancelled' }).push({ k: 'update', id: 1, status: 'Removed' });
    log.at(12_000).push({ k: 'sent', attempt: 'l1', caller: 'ocpp', command: { cmd: 'list_reservations' } }).push({ k: 'answer', attempt: 'l1', retval: [] });
    log.push({ k: 'shown', shown: [null, null, null] }).push({ k: 'checkpoint', final: false });
    expect(log.verdict()).toBeUndefined();
  });

  it('rejects reserve(id) after a restart for a reservation that expired while the module was down', () => {
    const log = new Log().reserve(4, 1, 'Accepted', 5000).push({ k: 'update', id: 4, status: 'Placed' });
    log.push({ k: 'crash', what: 'module-kill' });
    log.at(6000).push({ k: 'module-spawned' }).push({ k: 'module-ready' }).push({ k: 'evse-call', evse: 1, cmd: 'reserve', reservationId: 4, retval: true });
    expect(log.verdict()).toMatch(/^\[restart announces what it persisted\] EVSE 1 told reserve\(4\)/);
  });

  it('rejects a reservation left on an EVSE manager after it ended', () => {
    const log = new Log().reserve(5, 3, 'Accepted', 2000).push({ k: 'update', id: 5, status: 'Placed' });
    log.at(2100).push({ k: 'end', id: 5, reason: 'Expired' }).push({ k: 'update', id: 5, status: 'Expired' });
    log.at(10_000).push({ k: 'shown', shown: [null, null, 5] });
    expect(log.verdict()).toMatch(/^\[EVSE managers show the book\] the EVSE managers show \[null,null,5\] .* the book says \[null,null,null\]/);
  });

  it('rejects a second reservation_update, and Placed with -1', () => {
    const twice = new Log().reserve(1, 1, 'Accepted').push({ k: 'update', id: 1, status: 'Placed' }).push({ k: 'update', id: 1, status: 'Placed' });
    twice.at(10_000).push({ k: 'checkpoint', final: false });
    expect(twice.verdict()).toMatch(/^\[exactly one final reservation_update per accepted reservation, none twice\] reservation 1: unexpected reservation_update Placed/);
    expect(new Log().push({ k: 'update', id: -1, status: 'Placed' }).verdict()).toMatch(/^\[Placed never with -1\]/);
  });
});
