// reservation-cli against a module serving today's EVerest interface (reservation_interface: evse)
// on a real mosquitto, with EVSE-manager doubles that answer get_evse with typed connectors: the
// client learns the interface from the retained snapshot and speaks it (EVSEs, connector types).
import { type Broker, startBroker } from '../support/broker';
import { type CliRun, spawnCli } from '../support/cli-process';
import { type EvseCharger, evseReservation, startEvseCharger } from '../support/evse-station';
import { sleep } from '../support/teardown';

let broker: Broker;
let charger: EvseCharger;

beforeAll(async () => {
  broker = await startBroker();
});

beforeEach(async () => {
  // EVSE 1: a CCS2 and a Type2 connector; EVSE 2: one CCS2 connector.
  charger = await startEvseCharger(broker, [
    { id: 1, connectors: [{ id: 1, type: 'cCCS2' }, { id: 2, type: 'cType2' }] },
    { id: 2, connectors: [{ id: 1, type: 'cCCS2' }] },
  ]);
});

function cli(...args: string[]): Promise<CliRun> {
  return spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--timeout', '10', ...args]).exited;
}

function held(): Promise<unknown[]> {
  return charger.station.list();
}

/** Runs `list` until its output matches (the snapshot follows changes within its interval). */
async function listUntil(pattern: RegExp): Promise<CliRun> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const run = await cli('list');
    if (run.code !== 0 || pattern.test(run.stdout) || Date.now() > deadline) return run;
    await sleep(300);
  }
}

describe('reserve in the evse interface', () => {
  it('reserves an EVSE for a connector type: the EVSE manager is told, and the reservation is held as asked', async () => {
    const run = await cli('reserve', '--evse', '2', '--type', 'cCCS2', '--token', 'T', '--id', '7', '--expires', '30s');
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Accepted: reservation 7: EVSE 2 \(cCCS2\) for T until /) });
    expect(await held()).toEqual([{ reservation_id: 7, evse_id: 2, connector_type: 'cCCS2', id_token: 'T', expiry_time: expect.any(String) }]);
    expect(charger.evse[1]?.callLog()).toEqual(['reserve({"reservation_id":7})']);
    await charger.updates.waitForCount(1, 10_000);
    expect(charger.updateEvents()).toEqual([{ reservation_id: 7, reservation_status: 'Placed' }]);
  });

  it('reserves any EVSE, with a type or without, when --evse is left out (JSON as list_reservations shows it)', async () => {
    // CCS2, which both EVSEs have: an untyped one may then take either, and the guarantee holds.
    const typed = await cli('--json', 'reserve', '--type', 'cCCS2', '--token', 'CCS-CAR', '--parent-token', 'FLEET', '--id', '8', '--expires', '1h');
    expect(typed.code).toBe(0);
    const made = JSON.parse(typed.stdout) as { result: string; reservation: Record<string, unknown> };
    expect(made).toEqual({ result: 'Accepted', reservation: { reservation_id: 8, connector_type: 'cCCS2', id_token: 'CCS-CAR', parent_id_token: 'FLEET', expiry_time: expect.any(String) } });
    const untyped = await cli('reserve', '--token', 'ANY', '--id', '9', '--expires', '1h');
    expect(untyped).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Accepted: reservation 9: any EVSE for ANY until /) });
    expect(await held()).toEqual([made.reservation, { reservation_id: 9, id_token: 'ANY', expiry_time: expect.any(String) }]);
  });

  it("says the module's refusal (a faulted EVSE) and exits 1", async () => {
    await charger.evse[0]?.raiseInoperative();
    await listUntil(/^1\s+Faulted/m);
    const run = await cli('reserve', '--evse', '1', '--token', 'T', '--id', '9', '--expires', '1h');
    expect(run).toMatchObject({ code: 1, stdout: 'Faulted: reservation 9 not made\n' });
    expect(await held()).toEqual([]);
  });

  it('refuses --connector, as the snapshot says this module serves the evse interface: exit 2, nothing sent', async () => {
    const run = await cli('reserve', '--connector', '1', '--token', 'T', '--id', '1', '--expires', '1h');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--connector is an option of the connector interface; the module serves the evse interface \(its retained snapshot says so; --interface overrides\)/);
    expect(await held()).toEqual([]);
    expect(charger.evse.flatMap((e) => e.callLog())).toEqual([]);
  });

  it('--interface overrides the snapshot: the connector interface call goes out, and this module refuses it', async () => {
    const run = await cli('--json', '--interface', 'connector', 'reserve', '--connector', '1', '--token', 'T', '--id', '1', '--expires', '1h');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ error: { type: 'SchemaValidationError', message: expect.stringContaining('reserve_now failed') } });
    expect(await held()).toEqual([]);
  });
});

describe('exists, check-start and cancel in the evse interface', () => {
  it('exists asks impl main for an EVSE, or without --evse for a station-wide reservation (parent token as group_id_token)', async () => {
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'OWNER' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(8, { id_token: 'FLEET-CAR', parent_id_token: 'FLEET' }))).toBe('Accepted');
    expect(await cli('exists', '--evse', '2', '--token', 'owner')).toMatchObject({ code: 0, stdout: 'ReservedForToken: EVSE 2 is reserved for this token (or its parent token)\n' });
    expect(await cli('exists', '--evse', '2', '--token', 'STRANGER')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ReservedForOtherToken: /) });
    const group = await cli('--json', 'exists', '--token', 'OTHER-CAR', '--parent-token', 'FLEET');
    expect(JSON.parse(group.stdout)).toEqual({ status: 'ReservedForToken', request: { id_token: 'OTHER-CAR', group_id_token: 'FLEET' } });
    expect(await cli('exists', '--token', 'STRANGER')).toMatchObject({ code: 0, stdout: 'NotReserved: no station-wide reservation is held for this token\n' });
  });

  it('check-start says whether a session may start on an EVSE and which reservation it uses', async () => {
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'OWNER' }))).toBe('Accepted');
    expect(await cli('check-start', '--evse', '2', '--token', 'OWNER')).toMatchObject({ code: 0, stdout: 'allowed: the session uses reservation 7\n' });
    const stranger = await cli('--json', 'check-start', '--evse', '2', '--token', 'STRANGER');
    expect(JSON.parse(stranger.stdout)).toEqual({ allowed: false, request: { evse_id: 2, id_token: 'STRANGER' } });
    expect(await cli('check-start', '--evse', '1', '--token', 'STRANGER')).toMatchObject({ code: 0, stdout: 'allowed: no reservation stands in the way on EVSE 1\n' });
  });

  it('cancel works as in the connector interface; the module publishes reservation_update Cancelled', async () => {
    expect(await charger.reserve(evseReservation(7, { evse_id: 1 }))).toBe('Accepted');
    expect(await cli('cancel', '7')).toMatchObject({ code: 0, stdout: 'reservation 7 cancelled\n' });
    await charger.updates.waitFor((payload) => (payload as { data: { data: { reservation_status: string } } }).data.data.reservation_status === 'Cancelled', 10_000);
    expect(await cli('cancel', '7')).toMatchObject({ code: 1 });
  });
});

describe('list and watch in the evse interface', () => {
  it('list shows reservations with EVSE and type, and each EVSE with its typed connectors and holder', async () => {
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, connector_type: 'cCCS2', id_token: 'ABC' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(8, { connector_type: 'cType2', id_token: 'XYZ' }))).toBe('Accepted');
    const run = await listUntil(/^1\s+Available\s+.*station-wide$/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^reservation\s+evse\s+type\s+token\s+parent token\s+expires$/m);
    expect(run.stdout).toMatch(/^7\s+2\s+cCCS2\s+ABC\s+-\s+\S+ \(in 59m/m);
    expect(run.stdout).toMatch(/^8\s+any\s+cType2\s+XYZ\s+-\s+/m);
    // The only EVSE left for the Type2 reservation is held for it (EVerest's reserve(-1)).
    expect(run.stdout).toMatch(/^1\s+Available\s+1 cCCS2 Available, 2 cType2 Available\s+station-wide$/m);
    expect(run.stdout).toMatch(/^2\s+Available\s+1 cCCS2 Available\s+7$/m);

    const json = JSON.parse((await cli('--json', 'list')).stdout) as { interface: string; evses: unknown[]; connectors?: unknown };
    expect(json.interface).toBe('evse');
    expect(json.evses).toContainEqual({ evse_id: 2, state: 'Available', reserved_by: 7, connectors: [{ connector_id: 1, type: 'cCCS2', state: 'Available' }] });
    expect(json.connectors).toBeUndefined();
  });

  it('watch streams EVSE states with typed connectors and the reservation_update events until interrupted', async () => {
    const watcher = spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, 'watch']);
    await watcher.waitForLine(/EVSE 2 Available \(1 cCCS2 Available\)$/);
    expect(await charger.reserve(evseReservation(5, { evse_id: 1, connector_type: 'cType2' }))).toBe('Accepted');
    await watcher.waitForLine(/held reservation 5: EVSE 1 \(cType2\) for TOKEN-5/);
    await watcher.waitForLine(/reservation 5 update: Placed$/);
    await watcher.waitForLine(/EVSE 1 Available \(1 cCCS2 Available, 2 cType2 Available\), reserved by 5$/);
    await charger.evse[1]?.raiseInoperative();
    await watcher.waitForLine(/EVSE 2 Faulted \(1 cCCS2 Faulted\)$/);
    expect(await charger.cancel(5)).toBe(true);
    await watcher.waitForLine(/reservation 5 update: Cancelled$/);
    watcher.child.kill('SIGINT');
    expect((await watcher.exited).code).toBe(0);
  });

  it('watch --json prints EVSE and reservation_update events as objects', async () => {
    const watcher = spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--json', 'watch']);
    // The snapshot that follows get_evse's answers (at most a second after them) shows the types.
    await watcher.waitForLine(/"type":"evse","evse_id":1,.*"cType2"/);
    expect(await charger.reserve(evseReservation(6))).toBe('Accepted');
    await watcher.waitForLine(/"type":"reservation_update"/);
    watcher.child.kill('SIGINT');
    const run = await watcher.exited;
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events).toContainEqual(expect.objectContaining({ type: 'evse', evse_id: 1, connectors: [{ connector_id: 1, type: 'cCCS2', state: 'Available' }, { connector_id: 2, type: 'cType2', state: 'Available' }] }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'reservation_update', reservation_id: 6, reservation_status: 'Placed' }));
  });
});
