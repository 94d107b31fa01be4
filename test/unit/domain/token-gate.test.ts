// The token gate's rules (spec/everest-token-path.md §2.1, §2.2) on the domain alone, and the
// property of issue 27 item 4: the gate, check_start and exists_reservation give one answer.
import fc from 'fast-check';
import { ReservationBook } from '../../../src/domain/reservation-book';
import { type GateToken, narrowToken, validatedUse } from '../../../src/domain/token-gate';
import type { EvseChange, EvseLayout, ReservationRequest, Target } from '../../../src/domain/types';
import { HOUR, NOW } from './book-fixtures';

function station(...evses: string[][]): ReservationBook {
  const layouts: EvseLayout[] = evses.map((types, i) => ({ id: i + 1, connectors: types.map((type, c) => ({ id: c + 1, type })) }));
  return new ReservationBook({ evseCount: layouts.length, reservationsEnabled: true, stationWideSupported: true, layouts });
}

function reserve(book: ReservationBook, target: Target, id: number, extra: Partial<ReservationRequest> = {}): void {
  const request: ReservationRequest = { reservationId: id, idToken: `TOKEN${id}`, expiryTime: '', expiresAtMs: NOW + HOUR, ...extra };
  const { decision } = book.reserveNow(target, request, NOW);
  if (!decision.accepted) throw new Error(`setup: reservation ${id} refused (${decision.refusal.kind})`);
}

const card = (idToken: string, more: Partial<GateToken> = {}): GateToken => ({ idToken, prevalidated: false, ...more });

describe('narrowToken: a token narrowed to the EVSEs where it may start', () => {
  it('passes a token unchanged while nothing is reserved, unknown ids included', () => {
    const book = station(['cCCS2'], ['cCCS2']);
    expect(narrowToken(book, card('ANY', { evseIds: [2, 9] }))).toBeUndefined();
  });

  it('keeps an EVSE-specific reservation for its holder only, by token (case-insensitively) or parent token, and puts it first', () => {
    const book = station(['cCCS2'], ['cCCS2'], ['cCCS2']);
    reserve(book, { evseId: 2 }, 7, { idToken: 'Alice', parentIdToken: 'FLEET' });
    expect(narrowToken(book, card('STRANGER'))).toEqual({ evseIds: [1, 3], removed: [{ evseId: 2, why: 'ReservedForOtherToken' }] });
    expect(narrowToken(book, card('alice'))).toEqual({ evseIds: [2, 1, 3], removed: [] });
    expect(narrowToken(book, card('BOB', { parentIdToken: 'fleet', evseIds: [3, 2] }))).toEqual({ evseIds: [2, 3], removed: [] });
  });

  it('leaves a group reservation to the validator for a token that names only that EVSE and carries no parent, unless prevalidated', () => {
    const book = station(['cCCS2'], ['cCCS2']);
    reserve(book, { evseId: 1 }, 7, { idToken: 'Alice', parentIdToken: 'FLEET' });
    expect(narrowToken(book, card('BOB', { evseIds: [1] }))).toEqual({ evseIds: [1], removed: [] });
    expect(narrowToken(book, card('BOB', { evseIds: [1], prevalidated: true }))?.evseIds).toEqual([]);
    expect(narrowToken(book, card('BOB', { evseIds: [1, 2] }))?.evseIds).toEqual([2]);
    // Without a parent on the reservation there is nothing for the validator to find.
    const plain = station(['cCCS2']);
    reserve(plain, { evseId: 1 }, 8, { idToken: 'Alice' });
    expect(narrowToken(plain, card('BOB', { evseIds: [1] }))?.evseIds).toEqual([]);
  });

  it('keeps a free EVSE only where the station-wide reservations of other tokens stay feasible, and any EVSE for their holder', () => {
    const book = station(['cCCS2'], ['cType2'], ['cType2']);
    reserve(book, 'any', 5, { idToken: 'T2-DRIVER', connectorType: 'cType2' });
    reserve(book, 'any', 6, { idToken: 'T2-OTHER', connectorType: 'cType2' });
    expect(narrowToken(book, card('WALKIN'))).toEqual({
      evseIds: [1],
      removed: [
        { evseId: 2, why: 'NeededForStationWide' },
        { evseId: 3, why: 'NeededForStationWide' },
      ],
    });
    expect(narrowToken(book, card('t2-driver'))?.evseIds).toEqual([1, 2, 3]);
  });

  it('drops ids the station does not have, and refuses with an empty list when nothing is left', () => {
    const book = station(['cCCS2']);
    reserve(book, { evseId: 1 }, 7, { idToken: 'Alice' });
    expect(narrowToken(book, card('BOB', { evseIds: [4, 1] }))).toEqual({
      evseIds: [],
      removed: [
        { evseId: 4, why: 'UnknownEvse' },
        { evseId: 1, why: 'ReservedForOtherToken' },
      ],
    });
  });

  it('keeps an EVSE where a driver is authorised or charging (Auth stops there), but not one where a car only waits', () => {
    const book = station(['cCCS2'], ['cCCS2'], ['cCCS2']);
    reserve(book, { evseId: 1 }, 7, { idToken: 'Alice' });
    book.evseChanged(1, { kind: 'SessionStarted' });
    expect(narrowToken(book, card('BOB'))?.removed).toEqual([{ evseId: 1, why: 'ReservedForOtherToken' }]);
    book.evseChanged(1, { kind: 'Authorized' });
    expect(narrowToken(book, card('BOB'))?.evseIds).toEqual([1, 2, 3]);
    book.evseChanged(1, { kind: 'Deauthorized' });
    expect(narrowToken(book, card('BOB'))?.evseIds).toEqual([2, 3]);
    const charging: EvseChange = { kind: 'TransactionStarted', idToken: 'CAROL' };
    book.evseChanged(2, charging);
    expect(narrowToken(book, card('CAROL', { evseIds: [2] }))?.evseIds).toEqual([2]);
    book.evseChanged(2, { kind: 'TransactionFinished' });
    expect(narrowToken(book, card('CAROL', { evseIds: [2] }))?.evseIds).toEqual([2]);
    expect(book.station.isAuthorized(2)).toBe(false);
  });
});

describe('validatedUse: the reservation a validated token uses on the one EVSE it names', () => {
  it('names the EVSE-specific reservation matched by token or by the validator\'s parent token, and refuses another driver', () => {
    const book = station(['cCCS2'], ['cCCS2']);
    reserve(book, { evseId: 1 }, 7, { idToken: 'Alice', parentIdToken: 'FLEET' });
    expect(validatedUse(book, [1], 'ALICE', undefined)).toEqual({ kind: 'uses', reservationId: 7 });
    expect(validatedUse(book, [1], 'BOB', 'Fleet')).toEqual({ kind: 'uses', reservationId: 7 });
    expect(validatedUse(book, [1], 'BOB', 'OTHER')).toEqual({ kind: 'refused', why: 'ReservedForOtherToken' });
    expect(validatedUse(book, [2], 'BOB', undefined)).toEqual({ kind: 'unaffected' });
    expect(validatedUse(book, [1, 2], 'BOB', undefined)).toEqual({ kind: 'unaffected' });
    expect(validatedUse(book, undefined, 'BOB', undefined)).toEqual({ kind: 'unaffected' });
    expect(validatedUse(book, [9], 'BOB', undefined)).toEqual({ kind: 'unaffected' });
  });

  it('names the station-wide reservation check_start names alike on every EVSE of a longer list where Auth may start it', () => {
    const book = station(['cType2'], ['cType2'], ['cCCS2']);
    reserve(book, 'any', 5, { idToken: 'Alice', connectorType: 'cType2' });
    expect(validatedUse(book, [1, 2], 'alice', undefined)).toEqual({ kind: 'uses', reservationId: 5 });
    // EVSE 3 has no Type2: Auth might start her there, on no reservation.
    expect(validatedUse(book, [1, 3], 'alice', undefined)).toEqual({ kind: 'unaffected' });
    expect(validatedUse(book, undefined, 'alice', undefined)).toEqual({ kind: 'unaffected' });
    // Where a driver is already charging nothing new starts: it does not count.
    book.evseChanged(3, { kind: 'TransactionStarted', idToken: 'CAROL' });
    expect(validatedUse(book, undefined, 'alice', undefined)).toEqual({ kind: 'uses', reservationId: 5 });
    expect(validatedUse(book, [1, 2], 'BOB', undefined)).toEqual({ kind: 'unaffected' });
  });

  it('names a station-wide reservation of the token on the EVSE it names (token before plug-in)', () => {
    const book = station(['cCCS2'], ['cType2']);
    reserve(book, 'any', 5, { idToken: 'Alice', connectorType: 'cType2' });
    expect(validatedUse(book, [2], 'alice', undefined)).toEqual({ kind: 'uses', reservationId: 5 });
    expect(validatedUse(book, [2], 'BOB', undefined)).toEqual({ kind: 'refused', why: 'NeededForStationWide' });
    expect(validatedUse(book, [1], 'BOB', undefined)).toEqual({ kind: 'unaffected' });
  });
});

// One answer everywhere (issue 27 item 4), over random stations, reservations and tokens.
const TYPES = ['cCCS2', 'cType2', 'Unknown'] as const;
const TOKENS = ['A', 'b', 'C'] as const;
const PARENTS = ['G1', 'g2'] as const;

interface Scene {
  layouts: EvseLayout[];
  reservations: Array<{ evse: number; type?: string; token: string; parent?: string }>;
  changes: Array<{ evse: number; change: EvseChange }>;
  token: GateToken;
  validatorParent?: string;
}

const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined });
const sceneArb: fc.Arbitrary<Scene> = fc
  .array(fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 4 })
  .chain((evses) => {
    const layouts = evses.map((types, i) => ({ id: i + 1, connectors: types.map((type, c) => ({ id: c + 1, type })) }));
    const evse = fc.integer({ min: 1, max: layouts.length });
    const change: fc.Arbitrary<EvseChange> = fc.constantFrom<EvseChange>(
      { kind: 'SessionStarted' },
      { kind: 'Authorized' },
      { kind: 'Faulted' },
      { kind: 'Disabled', connectorId: 1 },
      { kind: 'TransactionStarted', idToken: 'X' },
    );
    return fc.record({
      layouts: fc.constant(layouts),
      reservations: fc.array(
        fc.record({ evse: fc.integer({ min: 0, max: layouts.length }), type: maybe(fc.constantFrom(...TYPES)), token: fc.constantFrom(...TOKENS), parent: maybe(fc.constantFrom(...PARENTS)) }),
        { maxLength: 5 },
      ),
      changes: fc.array(fc.record({ evse, change }), { maxLength: 3 }),
      token: fc.record({
        idToken: fc.constantFrom('a', 'B', 'c', 'd'),
        parentIdToken: maybe(fc.constantFrom('g1', 'G2', 'G3')),
        prevalidated: fc.boolean(),
        evseIds: maybe(fc.uniqueArray(fc.integer({ min: 1, max: layouts.length + 1 }), { minLength: 1, maxLength: 3 })),
      }),
      validatorParent: maybe(fc.constantFrom('g1', 'G2', 'G3')),
    });
  });

function build(scene: Scene): ReservationBook {
  const book = new ReservationBook({ evseCount: scene.layouts.length, reservationsEnabled: true, stationWideSupported: true, layouts: scene.layouts });
  scene.reservations.forEach((r, i) => {
    const request: ReservationRequest = {
      reservationId: i + 1,
      idToken: r.token,
      expiryTime: '',
      expiresAtMs: NOW + HOUR,
      ...(r.type !== undefined ? { connectorType: r.type } : {}),
      ...(r.parent !== undefined ? { parentIdToken: r.parent } : {}),
    };
    book.reserveNow(r.evse === 0 ? 'any' : { evseId: r.evse }, request, NOW);
  });
  for (const { evse, change } of scene.changes) book.evseChanged(evse, change);
  return book;
}

describe('one answer everywhere: the gate, check_start and exists_reservation agree', () => {
  it('keeps an EVSE exactly where check_start allows the token, the validator deciding where the gate deferred to it', () => {
    fc.assert(
      fc.property(sceneArb, (scene) => {
        const book = build(scene);
        const { token } = scene;
        const decision = narrowToken(book, token);
        if (decision === undefined) {
          expect(book.size).toBe(0);
          return;
        }
        const asked = token.evseIds ?? scene.layouts.map((l) => l.id);
        for (const evseId of asked) {
          const known = book.station.positionOf(evseId) !== undefined;
          const kept = decision.evseIds.includes(evseId);
          if (!known) {
            expect(kept).toBe(false);
            continue;
          }
          const allowed = book.checkStart(evseId, token.idToken, token.parentIdToken).allowed;
          const holder = book.holderAt(book.station.positionOf(evseId) as number);
          const deferred = !allowed && holder?.parentIdToken !== undefined && token.parentIdToken === undefined && !token.prevalidated && asked.length === 1;
          expect(kept).toBe(allowed || deferred);
          if (deferred) {
            // The validator then decides as check_start does with the parent token it found.
            const use = validatedUse(book, [evseId], token.idToken, scene.validatorParent);
            expect(use.kind === 'refused').toBe(!book.checkStart(evseId, token.idToken, scene.validatorParent).allowed);
          }
          // Taken from a free (available) or reserved EVSE: exists_reservation says it is reserved for another token.
          const position = book.station.positionOf(evseId) as number;
          if (!kept && (holder !== undefined || book.station.usableFor(position, 'Unknown'))) {
            expect(['ReservedForOtherToken', 'ReservedForOtherTokenAndHasParentToken']).toContain(book.exists(evseId, token.idToken, token.parentIdToken));
          }
        }
        // Nothing named twice, nothing the token did not ask for.
        expect(new Set(decision.evseIds).size).toBe(decision.evseIds.length);
        expect(decision.evseIds.every((id) => asked.includes(id))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
