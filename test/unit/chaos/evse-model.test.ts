// The chaos soak's reference model of today's interface (issue 28): its guarantee and what shows
// Reserved on EVerest's own scenarios (spec everest-evse-dialect §5), and the rules the soak relies
// on it to predict: the EVSE manager's last word, what a restart and an EVSE manager's restart do,
// and what each EVSE manager must show.
import { EvseWorld } from '../../../chaos/evse-model';
import type { EvseEvent, SentEvent } from '../../../chaos/model';
import { keeps, type RefEvse, shownReserved } from '../../../chaos/guarantee';
import type { EvseRequest } from '../../../chaos/schedule';

const NOW = 1_000_000;
const HOUR = 3_600_000;

function evse(...types: string[]): RefEvse {
  return { connectors: types.map((type) => ({ type, available: true })), occupied: false, held: false };
}

function reserve(w: EvseWorld, id: number, request: EvseRequest, token = `T${id}`): string {
  const reserveArgs = { request, id, token, expiryTime: new Date(NOW + HOUR).toISOString(), expiryMs: NOW + HOUR };
  const sent = { k: 'sent', t: NOW, step: 0, attempt: `a${id}`, caller: 'ocpp', command: { cmd: 'reserve_now', request, id, token, expiresInMs: HOUR }, reserve: reserveArgs } as SentEvent;
  return JSON.parse(w.run(sent, NOW, 0)) as string;
}

function event(w: EvseWorld, evseAt: number, name: string, tx?: EvseEvent['tx']): EvseWorld[] {
  return w.evseEvent({ k: 'evse', t: NOW, t0: NOW, step: 0, evse: evseAt, event: name, ...(tx ? { tx } : {}) }, 1);
}

const shown = (w: EvseWorld): Array<number | null> => [1, 2, 3].map((p) => w.expectedShown(p));

describe('the reference guarantee (spec §5, decided by every order and choice)', () => {
  it('refuses another Type2 and another CCS2 on {CCS2}, {CCS2, Type2}, {CCS2, Type2} holding a Type2 and a CCS2', () => {
    const station = [evse('cCCS2'), evse('cCCS2', 'cType2'), evse('cCCS2', 'cType2')];
    expect(keeps(station, ['cType2', 'cCCS2'])).toBe(true);
    expect(keeps(station, ['cType2', 'cCCS2', 'cType2'])).toBe(false);
    expect(keeps(station, ['cType2', 'cCCS2', 'cCCS2'])).toBe(false);
  });

  it('shows Reserved only the EVSE with the type that can take no more (check_evses_to_reserve_scenario_3)', () => {
    expect([...shownReserved([evse('cCCS2'), evse('cCCS2', 'cType2')], ['cType2'])]).toEqual([1]);
    // As many available EVSEs as station-wide reservations: all of them.
    expect([...shownReserved([evse('cCCS2'), evse('cCCS2', 'cType2')], ['Unknown', 'Unknown'])].sort()).toEqual([0, 1]);
  });
});

describe('the evse model', () => {
  it('answers Occupied where the EVSE manager refuses reserve (a car it knows of and the module does not, after a restart)', () => {
    const w = new EvseWorld();
    event(w, 1, 'SessionStarted');
    w.restart(NOW);
    w.ready(NOW, 2);
    expect(reserve(w, 1, { evse: 1 })).toBe('Occupied');
    expect(reserve(w, 2, { evse: 2, type: 'cType2' })).toBe('Accepted');
    expect(reserve(w, 3, { evse: 1, type: 'cType2' })).toBe('Rejected'); // EVSE 1 has no Type2 connector
  });

  it('ends at a restart the reservation the EVSE manager can no longer take, and what expired while the module was down', () => {
    const w = new EvseWorld();
    expect(reserve(w, 1, { evse: 1 })).toBe('Accepted');
    expect(reserve(w, 2, { evse: 3 })).toBe('Accepted');
    event(w, 1, 'SessionStarted'); // a car at a reserved EVSE ends nothing
    expect(w.list().map((r) => (r as { reservation_id: number }).reservation_id)).toEqual([1, 2]);
    w.restart(NOW + 10);
    w.ready(NOW + 20, 2);
    expect(w.updates.map((u) => `${u.id} ${u.reason}`)).toEqual(['1 Placed', '2 Placed', '1 Removed']);
    expect(shown(w)).toEqual([null, null, 2]);
  });

  it('expects reserve(-1) where the station-wide reservations need an EVSE, and nothing where its manager is busy', () => {
    const w = new EvseWorld();
    expect(reserve(w, 1, {})).toBe('Accepted');
    expect(reserve(w, 2, {})).toBe('Accepted');
    expect(reserve(w, 3, {})).toBe('Accepted');
    expect(reserve(w, 4, {})).toBe('Occupied');
    expect(shown(w)).toEqual([-1, -1, -1]);
    // A fault: the newest gives way, and the two left still need the two EVSEs usable.
    event(w, 1, 'RaiseInoperative');
    expect(w.updates.filter((u) => u.reason !== 'Placed').map((u) => `${u.id} ${u.reason} ${u.rule}`)).toEqual(['3 Removed station-wide guarantee']);
    expect(shown(w)).toEqual([null, -1, -1]);
  });

  it('ends a reservation as Used by the id its EVSE manager names, and a station-wide one by token only where no other holds', () => {
    const w = new EvseWorld();
    reserve(w, 1, { evse: 1 }, 'ALICE');
    reserve(w, 2, {}, 'BOB');
    const [afterTransaction] = event(w, 1, 'TransactionStarted', { token: 'someone', reservationId: 1 });
    expect(afterTransaction?.updates.filter((u) => u.reason === 'Used').map((u) => u.id)).toEqual([1]);
    const bob = event(afterTransaction as EvseWorld, 2, 'SessionAuthorized', { token: 'bob' });
    expect(bob.map((x) => x.updates.filter((u) => u.reason === 'Used').map((u) => u.id))).toEqual([[1, 2]]);
  });

  it('holds nothing of an EVSE manager that restarted where it is busy', () => {
    const w = new EvseWorld();
    reserve(w, 1, { evse: 2 });
    event(w, 2, 'SessionStarted');
    w.evseDown(2);
    w.evseUp(2, NOW, 3);
    expect(w.updates.map((u) => `${u.id} ${u.reason}`)).toEqual(['1 Placed', '1 Removed']);
  });
});
