// The polynomial guarantee engine against EVerest's exhaustive search (test/support/everest-reference.ts)
// on random small stations: every answer the engine gives must be the one EVerest would give.
import fc from 'fast-check';
import { type GuaranteeEvse, keepsGuarantee, newestToRemove, shownReserved, viewOf } from '../../../src/domain/guarantee';
import type { ConnectorType } from '../../../src/domain/types';
import {
  referenceKeeps,
  referenceNewestToRemove,
  referencePossible,
  referenceShownReserved,
  withEvseTaken,
} from '../../support/everest-reference';

const RUNS = 10_000;
const TYPES = ['cCCS2', 'cType2', 'sType3', 'Unknown'] as const;

/** True one time in `n`; shrinks to false. */
const oneIn = (n: number): fc.Arbitrary<boolean> => fc.integer({ min: 1, max: n }).map((k) => k === n);

const typeArb = fc.constantFrom<ConnectorType>(...TYPES);
const connectorArb = fc.record({ type: typeArb, available: oneIn(4).map((down) => !down) });
const evseArb: fc.Arbitrary<GuaranteeEvse> = fc.record({
  connectors: fc.array(connectorArb, { minLength: 1, maxLength: 2 }),
  occupied: oneIn(4),
  reserved: oneIn(4),
});

/** A station printed as `[{cCCS2, cType2 down}, {Unknown} occupied]` in counterexamples. */
function describeStation(evses: readonly GuaranteeEvse[]): string {
  const one = (e: GuaranteeEvse): string => {
    const connectors = e.connectors.map((c) => (c.available ? c.type : `${c.type} down`)).join(', ');
    return `{${connectors}}${e.occupied ? ' occupied' : ''}${e.reserved ? ' reserved' : ''}`;
  };
  return `[${evses.map(one).join(', ')}]`;
}

const stationArb = fc
  .array(evseArb, { minLength: 1, maxLength: 6 })
  .map((evses) => Object.assign(evses, { [fc.toStringMethod]: () => describeStation(evses) }));
const heldArb = fc.array(typeArb, { maxLength: 6 });

describe('the guarantee engine agrees with EVerest on every small station', () => {
  it('keeps the guarantee exactly when EVerest does', () => {
    const answers = { kept: 0, broken: 0 };
    fc.assert(
      fc.property(stationArb, heldArb, (evses, held) => {
        const expected = referenceKeeps(evses, held);
        answers[expected ? 'kept' : 'broken']++;
        expect(keepsGuarantee(viewOf(evses), held)).toBe(expected);
      }),
      { numRuns: RUNS },
    );
    // Both answers are common, so a property that passed did test something.
    expect(Math.min(answers.kept, answers.broken)).toBeGreaterThan(RUNS / 10);
  });

  it('accepts one more reservation of a type exactly when EVerest does', () => {
    fc.assert(
      fc.property(stationArb, heldArb, typeArb, (evses, held, type) => {
        expect(keepsGuarantee(viewOf(evses), [...held, type])).toBe(referencePossible(evses, held, type));
      }),
      { numRuns: RUNS },
    );
  });

  it('keeps the guarantee without an EVSE exactly when EVerest does with that EVSE reserved or plugged in', () => {
    fc.assert(
      fc.property(stationArb, heldArb, fc.nat(), fc.boolean(), (evses, held, pick, asReserved) => {
        const index = pick % evses.length;
        const taken = withEvseTaken(evses, index, asReserved);
        expect(keepsGuarantee(viewOf(taken), held)).toBe(referenceKeeps(taken, held));
      }),
      { numRuns: RUNS },
    );
  });

  it('ends as many of the newest reservations as removing them one by one until EVerest accepts the rest', () => {
    fc.assert(
      fc.property(stationArb, heldArb, (evses, held) => {
        expect(newestToRemove(viewOf(evses), held)).toBe(referenceNewestToRemove(evses, held));
      }),
      { numRuns: RUNS },
    );
  });

  // Reservations with a type: for one without, EVerest differs from spec §5 (guarantee.test.ts).
  it('shows Reserved the EVSEs EVerest tells reserve(-1)', () => {
    fc.assert(
      fc.property(stationArb, heldArb, (evses, held) => {
        const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
        expect(sorted(shownReserved(evses, held))).toEqual(sorted(referenceShownReserved(evses, held)));
      }),
      { numRuns: RUNS },
    );
  });
});
