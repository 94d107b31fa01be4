// The chaos checker (issue 17) on hand-written observations: what it must accept (the module's
// documented windows, either outcome of a command in flight at a crash) and what it must reject.
import { Checker } from '../../../chaos/checker';
import type { LogEvent } from '../../../chaos/events';
import type { Command } from '../../../chaos/schedule';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const HOUR = 3_600_000;

/** A log built in time order: each helper appends events a few ms apart. */
class Log {
  readonly events: LogEvent[] = [];
  private t = T0;
  private n = 0;

  at(ms: number): this {
    this.t = T0 + ms;
    return this;
  }

  private push(e: Record<string, unknown>): void {
    this.t += 5;
    this.events.push({ t: this.t, step: 0, ...e } as LogEvent);
  }

  send(command: Command): string {
    const attempt = `a${++this.n}`;
    const reserve =
      command.cmd === 'reserve_now' && 'connector' in command
        ? { connector: command.connector, id: command.id, token: command.token, expiryTime: new Date(T0 + command.expiresInMs).toISOString(), expiryMs: T0 + command.expiresInMs }
        : undefined;
    this.push({ k: 'sent', attempt, caller: 'ocpp', command, ...(reserve ? { reserve } : {}) });
    return attempt;
  }

  answer(attempt: string, retval: unknown): this {
    this.push({ k: 'answer', attempt, retval });
    return this;
  }

  call(command: Command, retval: unknown): this {
    return this.answer(this.send(command), retval);
  }

  reserve(id: number, connector: number, expiresInMs = HOUR): Command {
    return { cmd: 'reserve_now', connector, id, token: `T${id}`, expiresInMs };
  }

  held(id: number, connector: number, expiresInMs = HOUR): Record<string, unknown> {
    return { reservation_id: id, connector_id: connector, id_token: `T${id}`, expiry_time: new Date(T0 + expiresInMs).toISOString() };
  }

  end(id: number, reason: string): this {
    this.push({ k: 'end', id, reason });
    return this;
  }

  event(k: string, extra: Record<string, unknown> = {}): this {
    this.push({ k, ...extra });
    return this;
  }

  checkpoint(list: unknown[]): this {
    this.call({ cmd: 'list_reservations' }, list);
    this.push({ k: 'checkpoint', final: false });
    return this;
  }

  verdict(): string | undefined {
    return new Checker(T0).feed(this.events)?.message;
  }
}

describe('chaos checker', () => {
  it('accepts a reservation cancelled once, with its one reservation_end', () => {
    const log = new Log();
    log.call(log.reserve(1, 1), 'Accepted').call({ cmd: 'cancel_reservation', id: 1 }, true).end(1, 'Cancelled');
    log.at(10_000).checkpoint([]);
    expect(log.verdict()).toBeUndefined();
  });

  it('rejects an answer the model does not predict (a second reservation on a held connector)', () => {
    const log = new Log();
    log.call(log.reserve(1, 1), 'Accepted').call(log.reserve(2, 1), 'Accepted');
    expect(log.verdict()).toMatch(/answered "Accepted"; the model predicts "Occupied"/);
  });

  it('rejects an end received twice when nothing crashed', () => {
    const log = new Log();
    log.call(log.reserve(1, 1), 'Accepted').call({ cmd: 'cancel_reservation', id: 1 }, true).end(1, 'Cancelled').end(1, 'Cancelled');
    log.at(10_000).checkpoint([]);
    expect(log.verdict()).toMatch(/reservation 1: unexpected reservation_end Cancelled/);
  });

  it('excuses a second copy of an end received just before the module was SIGKILLed', () => {
    const log = new Log();
    log.call(log.reserve(1, 1), 'Accepted').call({ cmd: 'cancel_reservation', id: 1 }, true).end(1, 'Cancelled');
    log.event('crash', { what: 'module-kill' }).event('module-spawned').end(1, 'Cancelled').event('module-ready');
    log.at(10_000).checkpoint([]);
    expect(log.verdict()).toBeUndefined();
  });

  it('does not excuse it after a clean SIGTERM, nor long after a SIGKILL', () => {
    const term = new Log();
    term.call(term.reserve(1, 1), 'Accepted').call({ cmd: 'cancel_reservation', id: 1 }, true).end(1, 'Cancelled');
    term.event('crash', { what: 'module-term' }).event('module-spawned').end(1, 'Cancelled').event('module-ready');
    term.at(10_000).checkpoint([]);
    expect(term.verdict()).toMatch(/unexpected reservation_end/);

    const kill = new Log();
    kill.call(kill.reserve(1, 1), 'Accepted').call({ cmd: 'cancel_reservation', id: 1 }, true).end(1, 'Cancelled');
    kill.at(8000).event('crash', { what: 'module-kill' }).event('module-spawned').end(1, 'Cancelled').event('module-ready');
    kill.at(20_000).checkpoint([]);
    expect(kill.verdict()).toMatch(/unexpected reservation_end/);
  });

  it('rejects an accepted reservation that a restart lost', () => {
    const log = new Log();
    log.call(log.reserve(1, 2), 'Accepted');
    log.event('crash', { what: 'module-kill' }).event('module-spawned').event('module-ready');
    log.at(10_000).checkpoint([]);
    expect(log.verdict()).toMatch(/list_reservations .* answered \[\]; the model predicts \[\{"reservation_id":1/);
  });

  it('resolves a reserve_now in flight at a SIGKILL from the next list, whichever way it went', () => {
    for (const applied of [true, false]) {
      const log = new Log();
      log.send(log.reserve(1, 1));
      log.event('crash', { what: 'module-kill' }).event('module-spawned').event('module-ready');
      log.at(10_000).checkpoint(applied ? [log.held(1, 1)] : []);
      // ...and the answer to the in-flight call, if it comes late, must agree with the choice.
      expect(log.verdict()).toBeUndefined();
    }
    const contradicted = new Log();
    const attempt = contradicted.send(contradicted.reserve(1, 1));
    contradicted.event('crash', { what: 'module-kill' }).event('module-spawned').event('module-ready');
    contradicted.at(10_000).checkpoint([]);
    contradicted.answer(attempt, 'Accepted');
    expect(contradicted.verdict()).toMatch(/answered "Accepted" after a crash/);
  });

  it('rejects a reservation that expires before its expiry_time', () => {
    const log = new Log();
    log.call(log.reserve(1, 1, 5000), 'Accepted');
    log.at(3000).end(1, 'Expired');
    log.at(10_000).checkpoint([]);
    expect(log.verdict()).toMatch(/ended Expired at .* before its expiry_time/);
  });

  it('rejects a reservation that is still held well after its expiry_time', () => {
    const log = new Log();
    log.call(log.reserve(1, 1, 5000), 'Accepted');
    log.at(10_000).checkpoint([log.held(1, 1, 5000)]);
    expect(log.verdict()).toMatch(/answered \[\{"reservation_id":1.*the model predicts \[\]/);
  });
});
