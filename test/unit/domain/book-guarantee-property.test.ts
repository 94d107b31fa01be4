// The reservation book, as both interfaces drive it, against EVerest's exhaustive search
// (test/support/everest-reference.ts) through random histories on small typed stations: every
// station-wide and EVSE-specific reserve_now, the reservations a loss of availability ends, what
// a walk-in may start and what shows Reserved agree with what EVerest would decide, the station
// being what the history made it. The engine alone is checked in guarantee-property.test.ts.
import fc from 'fast-check';
import type { GuaranteeEvse } from '../../../src/domain/guarantee';
import { ReservationBook } from '../../../src/domain/reservation-book';
import type { EvseLayout } from '../../../src/domain/types';
import { referenceKeeps, referenceNewestToRemove, referenceShownReserved, withEvseTaken } from '../../support/everest-reference';
import { HOUR, NOW } from './book-fixtures';

const TYPES = ['cCCS2', 'cType2', 'sType3', 'Unknown'] as const;
const RUNS = 1000;

type Op =
  | { op: 'reserveAny'; type: string }
  | { op: 'reserveEvse'; evse: number; type: string }
  | { op: 'cancel'; pick: number }
  | { op: 'disable' | 'enable'; evse: number; connector: number }
  | { op: 'fault' | 'clear' | 'plug' | 'unplug' | 'charge'; evse: number };

const typeArb = fc.constantFrom(...TYPES);
const layoutArb = fc
  .array(fc.array(typeArb, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 5 })
  .map((evses): EvseLayout[] => evses.map((types, i) => ({ id: i + 1, connectors: types.map((type, c) => ({ id: c + 1, type })) })));
const opArb = (evses: number): fc.Arbitrary<Op> => {
  const evse = fc.integer({ min: 1, max: evses });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('reserveAny' as const), type: typeArb }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('reserveEvse' as const), evse, type: typeArb }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('disable' as const, 'enable' as const), evse, connector: fc.integer({ min: 1, max: 2 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('fault' as const, 'clear' as const, 'plug' as const, 'unplug' as const, 'charge' as const), evse }) },
  );
};
const historyArb = layoutArb.chain((layouts) => fc.tuple(fc.constant(layouts), fc.array(opArb(layouts.length), { minLength: 1, maxLength: 12 })));

/** The station as EVerest's reference sees it, read from the book. */
function stationOf(book: ReservationBook): GuaranteeEvse[] {
  return book.station.positions().map((p) => book.station.guaranteeEvse(p));
}

function stationWideTypes(book: ReservationBook): string[] {
  return book
    .list()
    .filter((r) => r.evseId === 0)
    .sort((a, b) => a.order - b.order)
    .map((r) => r.connectorType ?? 'Unknown');
}

describe('the reservation book keeps EVerest\'s guarantee through any history', () => {
  it('decides reserve_now, ends, walk-ins and Reserved as EVerest\'s exhaustive search would', () => {
    fc.assert(
      fc.property(historyArb, ([layouts, ops]) => {
        const book = new ReservationBook({ evseCount: layouts.length, reservationsEnabled: true, stationWideSupported: true, layouts });
        let nextId = 1;
        for (const step of ops) {
          const before = stationOf(book);
          const held = stationWideTypes(book);
          const request = { reservationId: nextId++, idToken: `T${nextId}`, expiryTime: '', expiresAtMs: NOW + HOUR };
          switch (step.op) {
            case 'reserveAny': {
              const hasType = before.some((e) => e.connectors.some((c) => step.type === 'Unknown' || c.type === 'Unknown' || c.type === step.type));
              const { decision } = book.reserveNow('any', { ...request, connectorType: step.type }, NOW);
              expect(decision.accepted).toBe(hasType && referenceKeeps(before, [...held, step.type]));
              break;
            }
            case 'reserveEvse': {
              const evse = before[step.evse - 1] as GuaranteeEvse;
              const usable = !evse.occupied && !evse.reserved && evse.connectors.some((c) => c.available && (step.type === 'Unknown' || c.type === 'Unknown' || c.type === step.type));
              const { decision } = book.reserveNow({ evseId: step.evse }, { ...request, connectorType: step.type }, NOW);
              expect(decision.accepted).toBe(usable && referenceKeeps(withEvseTaken(before, step.evse - 1, true), held));
              break;
            }
            case 'cancel': {
              const all = book.list();
              if (all.length > 0) book.cancel((all[step.pick % all.length] as { reservationId: number }).reservationId);
              break;
            }
            default: {
              const changes = {
                disable: { kind: 'Disabled' },
                enable: { kind: 'Enabled' },
                fault: { kind: 'Faulted' },
                clear: { kind: 'FaultCleared' },
                plug: { kind: 'SessionStarted' },
                unplug: { kind: 'SessionFinished' },
                charge: { kind: 'TransactionStarted', idToken: 'stranger' },
              } as const;
              const connectorId = 'connector' in step ? { connectorId: step.connector } : {};
              book.evseChanged(step.evse, { ...changes[step.op], ...connectorId });
              const after = stationOf(book);
              // A car plugged in or leaving ends nothing (it may be the reserved driver's, about to
              // authorise); any other change ends the newest until the rest fit.
              const removed = step.op === 'plug' || step.op === 'unplug' ? 0 : referenceNewestToRemove(after, held);
              expect(stationWideTypes(book)).toEqual(held.slice(0, held.length - removed));
            }
          }
          const now = stationOf(book);
          const types = stationWideTypes(book);
          // Where a driver is already authorised or charging nothing new starts and Auth's stop paths need the EVSE: never refused.
          const walkIns = now.map((evse, i) => book.station.isAuthorized(i + 1) || (!evse.reserved && referenceKeeps(withEvseTaken(now, i, true), types)));
          expect(now.map((_, i) => book.checkStart(i + 1, 'walk-in', undefined).allowed)).toEqual(walkIns);
          expect(book.shownReserved()).toEqual([...referenceShownReserved(now, types)].sort((a, b) => a - b).map((i) => i + 1));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
