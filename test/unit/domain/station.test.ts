// The station's EVSEs: ids as get_evse reports them (not positions), connectors and their
// conditions, and the tallies the rules read instead of scanning every EVSE.
import { Station } from '../../../src/domain/station';
import type { EvseLayout, HeldReservation } from '../../../src/domain/types';

const layout = (id: number, ...types: string[]): EvseLayout => ({ id, connectors: types.map((type, i) => ({ id: i + 1, type })) });
const held = (reservationId: number, evseId: number): HeldReservation => ({ reservationId, evseId, idToken: 'T', expiryTime: '', expiresAtMs: 0, order: reservationId });
const usableCount = (station: Station): number => [...station.view().usable].reduce((sum, p) => sum + p.count, 0);

describe('EVSE ids', () => {
  it('are the positions until get_evse says otherwise, then the id it reports', () => {
    const station = new Station(2);
    expect([station.positionOf(1), station.positionOf(2), station.positionOf(3)]).toEqual([1, 2, undefined]);
    station.describe(1, layout(7, 'cCCS2'));
    expect([station.positionOf(7), station.positionOf(1), station.idAt(1)]).toEqual([1, undefined, 7]);
  });

  it('belong to one EVSE: a position whose id another EVSE reports answers for none until it reports its own', () => {
    const station = new Station(2);
    station.describe(1, layout(2, 'cCCS2'));
    expect([station.positionOf(2), station.idAt(2)]).toEqual([1, 0]);
    station.describe(2, layout(1, 'cType2'));
    expect([station.positionOf(1), station.positionOf(2)]).toEqual([2, 1]);
  });

  it('refuse anything but a whole number in range', () => {
    const station = new Station(3);
    expect([0, -1, 1.5, 4, Number.NaN].map((id) => station.positionOf(id))).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('connectors and conditions', () => {
  it('count an EVSE without a layout as one connector of type Unknown', () => {
    const station = new Station(1);
    expect(station.connectorsAt(1)).toEqual([{ id: 1, type: 'Unknown' }]);
    expect([station.hasType(1, 'cMCS'), station.usableFor(1, 'cMCS')]).toEqual([true, true]);
  });

  it('disable one connector by id, fault the whole EVSE, and take a car as occupying every connector', () => {
    const station = new Station(1, [layout(1, 'cCCS2', 'cType2')]);
    station.setDisabled(1, 1, true);
    expect([station.usableFor(1, 'cCCS2'), station.usableFor(1, 'cType2'), station.hasType(1, 'cCCS2')]).toEqual([false, true, true]);
    station.setFaulted(1, true);
    expect(station.availableTypes(1)).toEqual([]);
    station.setFaulted(1, false);
    station.setSession(1, true);
    expect([station.usableFor(1, 'cType2'), station.isOccupied(1)]).toEqual([false, true]);
  });
});

describe('tallies kept on every change', () => {
  it('count usable EVSEs by what they offer, and EVSE-specific reservations', () => {
    const station = new Station(3, [layout(1, 'cCCS2', 'cType2'), layout(2, 'cCCS2'), layout(3, 'cType2', 'cCCS2')]);
    const profiles = [...station.view().usable].map((p) => `${p.types.join('+')}: ${p.count}`).sort();
    expect(profiles).toEqual(['cCCS2+cType2: 2', 'cCCS2: 1']);
    station.hold(2, held(1, 2));
    station.setSession(3, true);
    expect([usableCount(station), station.specificCount]).toEqual([1, 1]);
    station.hold(2, undefined);
    station.setSession(3, false);
    expect([usableCount(station), station.specificCount]).toEqual([3, 0]);
  });

  it('count the conditions of the EVSEs with a type, for the answer a refusal gets', () => {
    const station = new Station(3, [layout(1, 'cCCS2'), layout(2, 'cCCS2', 'cType2'), layout(3, 'cType2')]);
    station.setFaulted(1, true);
    station.setDisabled(2, 1, true);
    station.setSession(3, true);
    expect(station.tally('cCCS2')).toEqual({ total: 2, occupied: 0, faulted: 1, unavailable: 2 });
    expect(station.tally('cType2')).toEqual({ total: 2, occupied: 1, faulted: 0, unavailable: 0 });
    expect(station.tally('Unknown')).toEqual({ total: 3, occupied: 1, faulted: 1, unavailable: 1 });
  });
});
