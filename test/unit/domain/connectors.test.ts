// The connector table keeps its counts (free, faulted, blocked) up to date on every change,
// so the reserve_now rules can read them without scanning: they must never drift.
import fc from 'fast-check';
import { ConnectorTable } from '../../../src/domain/connectors';
import type { ConnectorConditions, HeldReservation } from '../../../src/domain/types';
import { NOW } from './book-fixtures';

const CONDITIONS: Array<keyof ConnectorConditions> = ['faulted', 'disabled', 'occupied'];

function reservationOn(connectorId: number): HeldReservation {
  return { reservationId: connectorId, connectorId, idToken: 'T', expiryTime: '', expiresAtMs: NOW, order: connectorId };
}

/** The counts recomputed from scratch, connector by connector. */
function recount(table: ConnectorTable): { freeCount: number; faultedCount: number; blockedCount: number } {
  const connectors = Array.from({ length: table.count }, (_, i) => i + 1);
  const all = connectors.map((n) => ({ ...table.conditionsOf(n), held: table.holder(n) !== undefined }));
  return {
    freeCount: all.filter((c) => !c.faulted && !c.disabled && !c.occupied && !c.held).length,
    faultedCount: all.filter((c) => c.faulted).length,
    blockedCount: all.filter((c) => c.faulted || c.disabled).length,
  };
}

function counts(table: ConnectorTable): ReturnType<typeof recount> {
  return { freeCount: table.freeCount, faultedCount: table.faultedCount, blockedCount: table.blockedCount };
}

describe('ConnectorTable', () => {
  it('starts with every connector free', () => {
    const table = new ConnectorTable(3);
    expect(counts(table)).toEqual({ freeCount: 3, faultedCount: 0, blockedCount: 0 });
    expect(table.isFree(2)).toBe(true);
  });

  it('knows its connectors: 1..count, integers only', () => {
    const table = new ConnectorTable(2);
    expect([0, 1, 2, 3, -1, 1.5].map((n) => table.has(n))).toEqual([false, true, true, false, false, false]);
    expect(() => table.conditionsOf(3)).toThrow(RangeError);
  });

  it('counts a faulted and disabled connector once as blocked, and once as faulted', () => {
    const table = new ConnectorTable(2);
    table.setCondition(1, 'faulted', true);
    table.setCondition(1, 'disabled', true);
    expect(counts(table)).toEqual({ freeCount: 1, faultedCount: 1, blockedCount: 1 });
    table.setCondition(1, 'faulted', false);
    expect(counts(table)).toEqual({ freeCount: 1, faultedCount: 0, blockedCount: 1 });
    table.setCondition(1, 'disabled', false);
    expect(counts(table)).toEqual({ freeCount: 2, faultedCount: 0, blockedCount: 0 });
  });

  it('does not count a repeated event twice', () => {
    const table = new ConnectorTable(2);
    table.setCondition(1, 'faulted', true);
    table.setCondition(1, 'faulted', true);
    expect(counts(table)).toEqual({ freeCount: 1, faultedCount: 1, blockedCount: 1 });
    table.setCondition(2, 'occupied', false);
    expect(counts(table)).toEqual({ freeCount: 1, faultedCount: 1, blockedCount: 1 });
  });

  it('counts a held connector as not free until it is released', () => {
    const table = new ConnectorTable(2);
    table.hold(1, reservationOn(1));
    expect(table.freeCount).toBe(1);
    expect(table.isAvailable(1)).toBe(true);
    expect(table.isFree(1)).toBe(false);
    table.setCondition(1, 'occupied', true);
    table.release(1);
    expect(table.freeCount).toBe(1);
    table.setCondition(1, 'occupied', false);
    expect(table.freeCount).toBe(2);
  });

  it('keeps every count equal to a recount through any sequence of changes', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('set' as const), connector: fc.integer({ min: 1, max: 4 }), condition: fc.constantFrom(...CONDITIONS), value: fc.boolean() }),
      fc.record({ op: fc.constant('hold' as const), connector: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ op: fc.constant('release' as const), connector: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 100, size: 'max' }), (ops) => {
        const table = new ConnectorTable(4);
        for (const step of ops) {
          if (step.op === 'set') table.setCondition(step.connector, step.condition, step.value);
          else if (step.op === 'hold') table.hold(step.connector, reservationOn(step.connector));
          else table.release(step.connector);
          // A plain comparison, not expect(): this loop runs tens of thousands of times.
          if (JSON.stringify(counts(table)) !== JSON.stringify(recount(table))) {
            throw new Error(`counts ${JSON.stringify(counts(table))} but a recount gives ${JSON.stringify(recount(table))}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
