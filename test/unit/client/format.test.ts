// What the client prints: tables people can read, and the changes watch reports between snapshots.
import { decodeEnd, decodeSnapshot, decodeUpdate, formatConnectors, formatEvses, formatReservations, formatWatchEvent, humanDuration, snapshotChanges, table } from '../../../src/client/format';
import type { Snapshot } from '../../../src/module/snapshot';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function snapshot(partial: Partial<Snapshot>): Snapshot {
  const base: Snapshot = { updated_at: '2026-11-25T12:00:00.000Z', reservations_total: 0, reservations: [], connectors_total: 0, connectors: [] };
  return { ...base, ...partial };
}

describe('humanDuration', () => {
  it.each([
    [0, '0s'],
    [42_000, '42s'],
    [65_000, '1m 5s'],
    [3_723_000, '1h 2m'],
    [90_000_000, '1d 1h'],
    [-5_000, '0s'],
  ])('%d ms is %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('table', () => {
  it('pads every column to its widest cell and trims line ends', () => {
    expect(table(['a', 'bb'], [['long cell', 'x'], ['y', '']])).toBe(['a          bb', 'long cell  x', 'y'].join('\n'));
  });
});

describe('formatReservations', () => {
  it('says so when nothing is held', () => {
    expect(formatReservations([], NOW)).toBe('no reservations held');
  });

  it('lists each reservation with its connector (0 as any), tokens and time left', () => {
    const text = formatReservations(
      [
        { reservation_id: 7, connector_id: 1, id_token: 'ABC', expiry_time: '2026-11-25T12:15:00Z' },
        { reservation_id: 8, connector_id: 0, id_token: 'XYZ', parent_id_token: 'GROUP', expiry_time: '2026-11-25T13:00:00Z' },
      ],
      NOW,
    );
    const [header, first, second] = text.split('\n');
    expect(header).toMatch(/^reservation\s+connector\s+token\s+parent token\s+expires$/);
    expect(first).toMatch(/^7\s+1\s+ABC\s+-\s+2026-11-25T12:15:00Z \(in 15m\)$/);
    expect(second).toMatch(/^8\s+0 \(any\)\s+XYZ\s+GROUP\s+2026-11-25T13:00:00Z \(in 1h\)$/);
  });
});

describe('formatConnectors', () => {
  it('shows state and holder, and how many were left out of the snapshot', () => {
    const text = formatConnectors(
      [
        { connector_id: 1, state: 'Available', reserved_by: 7 },
        { connector_id: 2, state: 'Faulted' },
      ],
      5,
    );
    expect(text.split('\n')).toEqual([expect.stringMatching(/^connector\s+state\s+reserved by$/), expect.stringMatching(/^1\s+Available\s+7$/), expect.stringMatching(/^2\s+Faulted\s+-$/), '(3 more connectors not shown)']);
  });
});

describe('decodeSnapshot', () => {
  it('reads a snapshot and refuses what is not one', () => {
    const good = snapshot({ connectors: [{ connector_id: 1, state: 'Occupied' }], connectors_total: 1 });
    expect(decodeSnapshot(Buffer.from(JSON.stringify(good)))).toEqual(good);
    expect(decodeSnapshot(Buffer.from('not json'))).toBeUndefined();
    expect(decodeSnapshot(Buffer.from('{"reservations":{}}'))).toBeUndefined();
    expect(decodeSnapshot(Buffer.from('{"__proto__":{"x":1},"reservations":[],"connectors":[]}'))).toBeUndefined();
  });
});

describe('snapshotChanges', () => {
  const held = { reservation_id: 7, connector_id: 1, id_token: 'ABC', expiry_time: '2026-11-25T12:15:00Z' };

  it('reports everything in the first snapshot', () => {
    const first = snapshot({ reservations: [held], connectors: [{ connector_id: 1, state: 'Available', reserved_by: 7 }] });
    expect(snapshotChanges(undefined, first)).toEqual([
      { type: 'reservation', reservation: held },
      { type: 'connector', connector_id: 1, state: 'Available', reserved_by: 7 },
    ]);
  });

  it('reports only what changed: a new or replaced reservation, a connector state or holder', () => {
    const before = snapshot({
      reservations: [held],
      connectors: [
        { connector_id: 1, state: 'Available', reserved_by: 7 },
        { connector_id: 2, state: 'Available' },
      ],
    });
    const replaced = { ...held, id_token: 'NEW' };
    const after = snapshot({
      reservations: [replaced],
      connectors: [
        { connector_id: 1, state: 'Available', reserved_by: 7 },
        { connector_id: 2, state: 'Occupied' },
      ],
    });
    expect(snapshotChanges(before, after)).toEqual([
      { type: 'reservation', reservation: replaced },
      { type: 'connector', connector_id: 2, state: 'Occupied' },
    ]);
    expect(snapshotChanges(after, after)).toEqual([]);
  });

  it('reports a connector that lost its holder', () => {
    const before = snapshot({ connectors: [{ connector_id: 1, state: 'Available', reserved_by: 7 }] });
    const after = snapshot({ connectors: [{ connector_id: 1, state: 'Available' }] });
    expect(snapshotChanges(before, after)).toEqual([{ type: 'connector', connector_id: 1, state: 'Available' }]);
  });
});

describe('formatWatchEvent', () => {
  it('says each kind of event in one line', () => {
    expect(formatWatchEvent({ type: 'status', status: 'offline' })).toBe('module offline');
    expect(formatWatchEvent({ type: 'reservation_end', reservation_id: 7, reason: 'Expired' })).toBe('reservation 7 ended: Expired');
    expect(formatWatchEvent({ type: 'connector', connector_id: 2, state: 'Faulted' })).toBe('connector 2 Faulted');
    expect(formatWatchEvent({ type: 'connector', connector_id: 1, state: 'Available', reserved_by: 7 })).toBe('connector 1 Available, reserved by 7');
    expect(formatWatchEvent({ type: 'reservation', reservation: { reservation_id: 8, connector_id: 0, id_token: 'T', parent_id_token: 'G', expiry_time: 'E' } })).toBe(
      'held reservation 8: any connector for T (parent G) until E',
    );
  });
});

describe('the evse interface', () => {
  const evse1 = { evse_id: 1, state: 'Available' as const, connectors: [{ connector_id: 1, type: 'cCCS2', state: 'Available' as const }, { connector_id: 2, type: 'cType2', state: 'Faulted' as const }] };
  const evse2 = { evse_id: 2, state: 'Available' as const, reserved_by: 7, connectors: [{ connector_id: 1, type: 'cCCS2', state: 'Available' as const }] };
  const specific = { reservation_id: 7, evse_id: 2, connector_type: 'cCCS2', id_token: 'ABC', expiry_time: '2026-11-25T12:15:00Z' };
  const anyEvse = { reservation_id: 8, id_token: 'XYZ', parent_id_token: 'GROUP', expiry_time: '2026-11-25T13:00:00Z' };

  it('decodes a snapshot with EVSEs, and refuses one of an unknown interface or without its EVSEs', () => {
    const good: Snapshot = { updated_at: 'T', interface: 'evse', reservations_total: 0, reservations: [], evses_total: 1, evses: [evse1] };
    expect(decodeSnapshot(Buffer.from(JSON.stringify(good)))).toEqual(good);
    expect(decodeSnapshot(Buffer.from(JSON.stringify({ ...good, interface: 'plug' })))).toBeUndefined();
    expect(decodeSnapshot(Buffer.from(JSON.stringify({ ...good, evses: undefined, connectors: [] })))).toBeUndefined();
  });

  it('lists reservations with their EVSE and connector type, absent ones as any', () => {
    const [header, first, second] = formatReservations([specific, anyEvse], NOW).split('\n');
    expect(header).toMatch(/^reservation\s+evse\s+type\s+token\s+parent token\s+expires$/);
    expect(first).toMatch(/^7\s+2\s+cCCS2\s+ABC\s+-\s+2026-11-25T12:15:00Z \(in 15m\)$/);
    expect(second).toMatch(/^8\s+any\s+any\s+XYZ\s+GROUP\s+2026-11-25T13:00:00Z \(in 1h\)$/);
  });

  it('shows each EVSE with its typed connectors and who holds it, an unknown id as such', () => {
    const held = { ...evse1, held_for_station_wide: true as const };
    const unknown = { evse_id: 0, state: 'Unavailable' as const, connectors: [{ connector_id: 1, type: 'Unknown', state: 'Unavailable' as const }] };
    expect(formatEvses([held, evse2, unknown], 4).split('\n')).toEqual([
      expect.stringMatching(/^evse\s+state\s+connectors\s+reserved by$/),
      expect.stringMatching(/^1\s+Available\s+1 cCCS2 Available, 2 cType2 Faulted\s+station-wide$/),
      expect.stringMatching(/^2\s+Available\s+1 cCCS2 Available\s+7$/),
      expect.stringMatching(/^\(not yet known\)\s+Unavailable\s+1 Unknown Unavailable\s+-$/),
      '(1 more EVSEs not shown)',
    ]);
  });

  it('says EVSE events, reservation updates and evse-interface reservations in one line each', () => {
    expect(formatWatchEvent({ type: 'evse', ...evse2 })).toBe('EVSE 2 Available (1 cCCS2 Available), reserved by 7');
    expect(formatWatchEvent({ type: 'evse', ...evse1, held_for_station_wide: true })).toBe('EVSE 1 Available (1 cCCS2 Available, 2 cType2 Faulted), held for station-wide reservations');
    expect(formatWatchEvent({ type: 'reservation_update', reservation_id: 7, reservation_status: 'Removed' })).toBe('reservation 7 update: Removed');
    expect(formatWatchEvent({ type: 'reservation', reservation: specific })).toBe('held reservation 7: EVSE 2 (cCCS2) for ABC until 2026-11-25T12:15:00Z');
    expect(formatWatchEvent({ type: 'reservation', reservation: anyEvse })).toBe('held reservation 8: any EVSE for XYZ (parent GROUP) until 2026-11-25T13:00:00Z');
  });

  it('reports an EVSE whose state, holder or connector states changed, and nothing else', () => {
    const before: Snapshot = { updated_at: 'T', interface: 'evse', reservations_total: 0, reservations: [], evses_total: 2, evses: [evse1, { ...evse2, reserved_by: undefined }] };
    expect(snapshotChanges(undefined, before).map((e) => e.type)).toEqual(['evse', 'evse']);
    const faulted = { ...evse1, connectors: [evse1.connectors[0] as (typeof evse1.connectors)[number], { connector_id: 2, type: 'cType2', state: 'Available' as const }] };
    const after: Snapshot = { ...before, evses: [faulted, evse2] };
    expect(snapshotChanges(before, after)).toEqual([
      { type: 'evse', ...faulted },
      { type: 'evse', ...evse2 },
    ]);
    expect(snapshotChanges(after, after)).toEqual([]);
  });
});

describe('decodeUpdate and decodeEnd', () => {
  it('take the var values they name and refuse anything else', () => {
    expect(decodeUpdate({ reservation_id: 7, reservation_status: 'Used', extra: 1 })).toEqual({ reservation_id: 7, reservation_status: 'Used' });
    expect(decodeUpdate({ reservation_id: 7, reservation_status: 'Gone' })).toBeUndefined();
    expect(decodeUpdate({ reservation_id: '7', reservation_status: 'Used' })).toBeUndefined();
    expect(decodeEnd({ reservation_id: 7, reason: 'Expired' })).toEqual({ reservation_id: 7, reason: 'Expired' });
    expect(decodeEnd(null)).toBeUndefined();
  });
});
