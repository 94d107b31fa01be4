// Every combination of connector states across three connectors, with zero, one and two
// station-wide reservations, checked against a reference model written from the words of
// spec/reservation-module.md (reserve_now rules 6-7, exists_reservation, and "the newest
// station-wide reservations end with Cancelled until the rest fit again"), not from src/.
import type { ConnectorBook as ReservationBook } from './book-fixtures';
import type { ConnectorChange } from './book-fixtures';
import { type End, NOW, ends, heldIds, hold, newBook, request } from './book-fixtures';

const STATES = ['available', 'reserved', 'plugged-in', 'charging', 'faulted', 'disabled', 'faulted+disabled'] as const;
type State = (typeof STATES)[number];
const CONNECTORS = [1, 2, 3];
const STATION_WIDE_TOKENS = ['SW1', 'SW2'];
const STRANGER = 'stranger';

/** What the EVSE managers say to put an available connector into `state` ('reserved' is a reservation, not an event). */
function changesFor(state: State): ConnectorChange[] {
  switch (state) {
    case 'available':
    case 'reserved':
      return [];
    case 'plugged-in':
      return [{ kind: 'SessionStarted' }];
    case 'charging':
      return [{ kind: 'TransactionStarted', idToken: STRANGER }];
    case 'faulted':
      return [{ kind: 'Faulted' }];
    case 'disabled':
      return [{ kind: 'Disabled' }];
    case 'faulted+disabled':
      return [{ kind: 'Faulted' }, { kind: 'Disabled' }];
  }
}

interface ModelConnector {
  faulted: boolean;
  disabled: boolean;
  occupied: boolean;
  /** Token of the specific reservation holding it. */
  heldFor?: string;
}

/** The spec's words as a model: small, slow and obvious. */
class ReferenceModel {
  readonly connectors: ModelConnector[] = CONNECTORS.map(() => ({ faulted: false, disabled: false, occupied: false }));
  /** Station-wide reservations, oldest first. */
  stationWide: Array<{ id: number; token: string }> = [];

  private at(connector: number): ModelConnector {
    return this.connectors[connector - 1] as ModelConnector;
  }

  private isAvailable(c: ModelConnector): boolean {
    return !c.faulted && !c.disabled && !c.occupied;
  }

  /** "available, unreserved connectors" */
  private freeCount(): number {
    return this.connectors.filter((c) => this.isAvailable(c) && c.heldFor === undefined).length;
  }

  reserveNow(connector: number): string {
    const free = this.freeCount();
    const held = this.stationWide.length;
    if (connector === 0) {
      if (free > held) return 'Accepted';
      if (this.connectors.every((c) => c.faulted)) return 'Faulted';
      if (this.connectors.every((c) => c.faulted || c.disabled)) return 'Unavailable';
      return 'Occupied';
    }
    const c = this.at(connector);
    if (c.faulted) return 'Faulted';
    if (c.disabled) return 'Unavailable';
    if (c.occupied || c.heldFor !== undefined) return 'Occupied';
    // Taking it would leave fewer available, unreserved connectors than station-wide reservations.
    if (free - 1 < held) return 'Occupied';
    return 'Accepted';
  }

  holdSpecific(connector: number, token: string): void {
    this.at(connector).heldFor = token;
  }

  holdStationWide(id: number, token: string): void {
    this.stationWide.push({ id, token });
  }

  apply(connector: number, change: ConnectorChange, connectorReservationId: number): End[] {
    const c = this.at(connector);
    const ended: End[] = [];
    if (change.kind === 'SessionStarted') {
      c.occupied = true; // a car merely plugged in ends nothing
      return ended;
    }
    if (change.kind === 'TransactionStarted') {
      c.occupied = true;
      const used = this.stationWide.find((r) => r.token.toLowerCase() === change.idToken.toLowerCase());
      if (c.heldFor !== undefined && c.heldFor.toLowerCase() === change.idToken.toLowerCase()) {
        c.heldFor = undefined;
        ended.push({ id: connectorReservationId, reason: 'UsedToStartCharging' });
      } else if (used) {
        this.stationWide = this.stationWide.filter((r) => r !== used);
        ended.push({ id: used.id, reason: 'UsedToStartCharging' });
      }
    } else {
      if (change.kind === 'Faulted') c.faulted = true;
      if (change.kind === 'Disabled') c.disabled = true;
      // OCPP 1.6: a reservation whose connector becomes faulted or unavailable ends.
      if ((c.faulted || c.disabled) && c.heldFor !== undefined) {
        c.heldFor = undefined;
        ended.push({ id: connectorReservationId, reason: 'Cancelled' });
      }
    }
    while (this.stationWide.length > this.freeCount()) {
      const newest = this.stationWide.pop() as { id: number };
      ended.push({ id: newest.id, reason: 'Cancelled' });
    }
    return ended;
  }

  /** exists_reservation for a token no reservation is for. */
  existsForStranger(connector: number): string {
    const c = this.at(connector);
    if (c.heldFor !== undefined) return 'ReservedForOtherToken';
    const isFree = this.isAvailable(c);
    return isFree && this.freeCount() - 1 < this.stationWide.length ? 'ReservedForOtherToken' : 'NotReserved';
  }

  heldIds(): number[] {
    const specific = CONNECTORS.flatMap((n) => (this.at(n).heldFor !== undefined ? [n] : []));
    return [...specific, ...this.stationWide.map((r) => r.id)].sort((a, b) => a - b);
  }
}

/**
 * Builds the scene in the book and the model alike: specific reservations first (id = connector),
 * then the station-wide requests (ids 101, 102), then each connector's events, connector by
 * connector; records where the two disagree.
 */
function buildScene(states: readonly State[], stationWideCount: number, mismatches: string[], name: string): { book: ReservationBook; model: ReferenceModel } {
  const book = newBook({ connectorCount: CONNECTORS.length });
  const model = new ReferenceModel();
  CONNECTORS.forEach((n, i) => {
    if (states[i] !== 'reserved') return;
    hold(book, n, n, { idToken: `R${n}` });
    model.holdSpecific(n, `R${n}`);
  });
  STATION_WIDE_TOKENS.slice(0, stationWideCount).forEach((token, i) => {
    const expected = model.reserveNow(0);
    const actual = book.reserveNow(0, request(101 + i, { idToken: token }), NOW).result;
    if (actual !== expected) mismatches.push(`${name}: station-wide ${101 + i} was ${actual}, model says ${expected}`);
    if (expected === 'Accepted') model.holdStationWide(101 + i, token);
  });
  CONNECTORS.forEach((n, i) => {
    for (const change of changesFor(states[i] as State)) {
      const expected = model.apply(n, change, n);
      const actual = ends(book.connectorChanged(n, change));
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push(`${name}: ${change.kind} on ${n} ended ${JSON.stringify(actual)}, model says ${JSON.stringify(expected)}`);
      }
    }
  });
  return { book, model };
}

function everyCombination(): State[][] {
  return STATES.flatMap((a) => STATES.flatMap((b) => STATES.map((c) => [a, b, c])));
}

describe.each([0, 1, 2])('with %i station-wide reservation(s) requested', (stationWideCount) => {
  const combinations = everyCombination();

  it(`answers reserve_now on connectors 0-3 as the spec says, in all ${STATES.length ** 3} connector states`, () => {
    const mismatches: string[] = [];
    for (const states of combinations) {
      const name = `[${states.join(', ')}]`;
      // A fresh scene per question: an Accepted answer changes the book.
      for (const connector of [0, ...CONNECTORS]) {
        const { book, model } = buildScene(states, stationWideCount, mismatches, name);
        const actual = book.reserveNow(connector, request(500), NOW).result;
        const expected = model.reserveNow(connector);
        if (actual !== expected) mismatches.push(`${name}: reserve_now(${connector}) was ${actual}, model says ${expected}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('holds the same reservations as the model, and answers exists_reservation like it', () => {
    const mismatches: string[] = [];
    for (const states of combinations) {
      const name = `[${states.join(', ')}]`;
      const { book, model } = buildScene(states, stationWideCount, mismatches, name);
      if (JSON.stringify(heldIds(book)) !== JSON.stringify(model.heldIds())) {
        mismatches.push(`${name}: holds ${JSON.stringify(heldIds(book))}, model says ${JSON.stringify(model.heldIds())}`);
      }
      for (const connector of CONNECTORS) {
        const actual = book.exists(connector, STRANGER, undefined);
        const expected = model.existsForStranger(connector);
        if (actual !== expected) mismatches.push(`${name}: exists(${connector}, stranger) was ${actual}, model says ${expected}`);
        const free = states[connector - 1] === 'available';
        for (const { token } of free ? model.stationWide : []) {
          const forToken = book.exists(connector, token.toLowerCase(), undefined);
          if (forToken !== 'ReservedForToken') mismatches.push(`${name}: exists(${connector}, ${token}) was ${forToken}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe('faulted and disabled are separate conditions', () => {
  it('stays faulted when a faulted and disabled connector is enabled again', () => {
    const book = newBook({ connectorCount: 1 });
    book.connectorChanged(1, { kind: 'Faulted' });
    book.connectorChanged(1, { kind: 'Disabled' });
    book.connectorChanged(1, { kind: 'Enabled' });
    expect(book.reserveNow(1, request(1), NOW).result).toBe('Faulted');
    expect(book.reserveNow(0, request(1), NOW).result).toBe('Faulted');
    book.connectorChanged(1, { kind: 'FaultCleared' });
    expect(book.reserveNow(0, request(1), NOW).result).toBe('Accepted');
  });

  it('stays disabled when the fault of a disabled connector clears', () => {
    const book = newBook({ connectorCount: 1 });
    book.connectorChanged(1, { kind: 'Disabled' });
    book.connectorChanged(1, { kind: 'Faulted' });
    book.connectorChanged(1, { kind: 'FaultCleared' });
    expect(book.reserveNow(1, request(1), NOW).result).toBe('Unavailable');
    expect(book.reserveNow(0, request(1), NOW).result).toBe('Unavailable');
    book.connectorChanged(1, { kind: 'Enabled' });
    expect(book.reserveNow(1, request(1), NOW).result).toBe('Accepted');
  });

  it('stays occupied when a plugged-in connector is disabled and enabled again', () => {
    const book = newBook({ connectorCount: 1 });
    book.connectorChanged(1, { kind: 'SessionStarted' });
    book.connectorChanged(1, { kind: 'Disabled' });
    book.connectorChanged(1, { kind: 'Enabled' });
    expect(book.reserveNow(1, request(1), NOW).result).toBe('Occupied');
  });
});
