// reservation-cli against a running module on a real mosquitto: every subcommand, as people and
// scripts use it (text and --json), and what it says and exits with when things go wrong.
import { type Broker, freePort, startBroker } from '../support/broker';
import { type CliRun, spawnCli } from '../support/cli-process';
import { type Charger, startCharger } from '../support/evse-double';
import { type HeldReservation, reservation } from '../support/harness';
import { sleep } from '../support/teardown';

const CALL_TIMEOUT_S = '10';

let broker: Broker;
let charger: Charger;

beforeAll(async () => {
  broker = await startBroker();
});

beforeEach(async () => {
  charger = await startCharger(broker);
});

/** The client pointed at this test's module. */
function cli(...args: string[]): Promise<CliRun> {
  return spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--timeout', CALL_TIMEOUT_S, ...args]).exited;
}

async function held(): Promise<HeldReservation[]> {
  return charger.station.list();
}

describe('reserve', () => {
  it('makes a reservation expiring the given duration from now, says Accepted and exits 0', async () => {
    const before = Date.now();
    const run = await cli('reserve', '--connector', '1', '--token', 'ABC12345', '--id', '7', '--expires', '15m');
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Accepted: reservation 7: connector 1 for ABC12345 until /) });
    const [only] = await held();
    expect(only).toMatchObject({ reservation_id: 7, connector_id: 1, id_token: 'ABC12345' });
    const expiryMs = Date.parse(only?.expiry_time ?? '');
    expect(expiryMs).toBeGreaterThanOrEqual(before + 15 * 60_000);
    expect(expiryMs).toBeLessThanOrEqual(Date.now() + 15 * 60_000);
  });

  it('takes an RFC 3339 expiry and a parent token, and prints the answer as JSON', async () => {
    const expiry = new Date(Date.now() + 3_600_000).toISOString();
    const run = await cli('--json', 'reserve', '--connector', '0', '--token', 'T1', '--parent-token', 'GROUP', '--id', '8', '--expires', expiry);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ result: 'Accepted', reservation: { reservation_id: 8, connector_id: 0, id_token: 'T1', parent_id_token: 'GROUP', expiry_time: expiry } });
    expect(await held()).toEqual([{ reservation_id: 8, connector_id: 0, id_token: 'T1', parent_id_token: 'GROUP', expiry_time: expiry }]);
  });

  it('says why a reservation was not made (an occupied connector) and exits 1', async () => {
    await charger.evse[0].sessionStarted();
    const run = await cli('reserve', '--connector', '1', '--token', 'T', '--id', '9', '--expires', '1h');
    expect(run).toMatchObject({ code: 1, stdout: 'Occupied: reservation 9 not made\n' });
    expect(await held()).toEqual([]);
  });

  it("reports the module's error answer (a token longer than the schema allows) and exits 1", async () => {
    const run = await cli('--json', 'reserve', '--connector', '1', '--token', 'X'.repeat(300), '--id', '9', '--expires', '1h');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual({ error: { type: 'SchemaValidationError', message: expect.stringContaining('reserve_now failed') } });
  });
});

describe('cancel', () => {
  it('cancels a held reservation (exit 0), which then ends with Cancelled; a second cancel finds nothing (exit 1)', async () => {
    expect(await charger.station.reserveNow(2, reservation(7))).toBe('Accepted');
    expect(await cli('cancel', '7')).toMatchObject({ code: 0, stdout: 'reservation 7 cancelled\n' });
    await charger.station.ends.waitFor(() => true);
    expect(charger.station.endEvents()).toEqual([{ reservation_id: 7, reason: 'Cancelled' }]);
    const again = await cli('--json', 'cancel', '7');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout)).toEqual({ cancelled: false, reservation_id: 7 });
  });
});

describe('exists', () => {
  it('answers for the reserved token, another token and a free connector, exit 0 each time', async () => {
    expect(await charger.station.reserveNow(1, reservation(7, { id_token: 'OWNER' }))).toBe('Accepted');
    expect(await cli('exists', '--connector', '1', '--token', 'owner')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ReservedForToken: /) });
    expect(await cli('exists', '--connector', '1', '--token', 'STRANGER')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ReservedForOtherToken: /) });
    const free = await cli('--json', 'exists', '--connector', '2', '--token', 'STRANGER');
    expect(JSON.parse(free.stdout)).toEqual({ status: 'NotReserved', request: { connector_id: 2, id_token: 'STRANGER' } });
  });
});

describe('check-start', () => {
  it('says whether a session may start on a connector, and which reservation it uses', async () => {
    expect(await charger.station.reserveNow(1, reservation(7, { id_token: 'OWNER' }))).toBe('Accepted');
    expect(await cli('check-start', '--connector', '1', '--token', 'owner')).toMatchObject({ code: 0, stdout: 'allowed: the session uses reservation 7\n' });
    const stranger = await cli('--json', 'check-start', '--connector', '1', '--token', 'STRANGER');
    expect(JSON.parse(stranger.stdout)).toEqual({ allowed: false, request: { evse_id: 1, id_token: 'STRANGER' } });
  });
});

describe('list', () => {
  it('shows the reservations held and the connector states from the snapshot', async () => {
    expect(await charger.station.reserveNow(2, reservation(7, { id_token: 'ABC' }))).toBe('Accepted');
    await charger.evse[0].raiseInoperative();
    // The snapshot follows changes within its interval; wait until it shows the fault.
    const deadline = Date.now() + 10_000;
    let run: CliRun;
    do {
      await sleep(300);
      run = await cli('list');
    } while (run.code === 0 && !/^1\s+Faulted/m.test(run.stdout) && Date.now() < deadline);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^7\s+2\s+ABC\s+-\s+\S+ \(in 59m/m);
    expect(run.stdout).toMatch(/^1\s+Faulted\s+-$/m);
    expect(run.stdout).toMatch(/^2\s+Available\s+7$/m);
  });

  it('prints JSON a script can use, and says when nothing is held', async () => {
    expect(await cli('list')).toMatchObject({ code: 0, stdout: expect.stringMatching(/^no reservations held\n/) });
    const r = reservation(3);
    expect(await charger.station.reserveNow(1, r)).toBe('Accepted');
    const run = await cli('--json', 'list');
    expect(run.code).toBe(0);
    const listed = JSON.parse(run.stdout) as { reservations: HeldReservation[]; connectors: unknown[] };
    expect(listed.reservations).toEqual([{ ...r, connector_id: 1 }]);
    expect(listed.connectors).toHaveLength(2);
  });
});

describe('watch', () => {
  it('streams held reservations, connector states and reservation_end events until interrupted, then exits 0', async () => {
    const watcher = spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, 'watch']);
    // The retained snapshot shows where things stand when it starts.
    await watcher.waitForLine(/connector 2 Available$/);
    expect(await charger.station.reserveNow(1, reservation(5, { expiry_time: new Date(Date.now() + 1500).toISOString() }))).toBe('Accepted');
    await watcher.waitForLine(/held reservation 5: connector 1 for TOKEN-5/);
    await watcher.waitForLine(/reservation 5 ended: Expired$/);
    await charger.evse[1].sessionStarted();
    await watcher.waitForLine(/connector 2 Occupied$/);
    watcher.child.kill('SIGINT');
    const run = await watcher.exited;
    expect(run.code).toBe(0);
  });

  it('with --json prints one JSON object per event', async () => {
    const watcher = spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--json', 'watch']);
    await watcher.waitForLine(/"type":"connector","connector_id":2/);
    expect(await charger.station.reserveNow(2, reservation(6))).toBe('Accepted');
    expect(await charger.station.cancel(6)).toBe(true);
    await watcher.waitForLine(/"type":"reservation_end"/);
    watcher.child.kill('SIGINT');
    const run = await watcher.exited;
    expect(run.code).toBe(0);
    const events = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; at: string });
    expect(events.every((e) => !Number.isNaN(Date.parse(e.at)))).toBe(true);
    expect(events).toContainEqual(expect.objectContaining({ type: 'status', status: 'online' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'reservation_end', reservation_id: 6, reason: 'Cancelled' }));
  });
});

describe('when things go wrong', () => {
  it('a module that does not answer: reported as such within --timeout, exit 3, not a hang', async () => {
    const run = await spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--module', 'nobody', '--timeout', '1', 'list']).exited;
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/no answer to list_reservations from module nobody .* within 1 s/);
  });

  it('a broker that cannot be reached: exit 4, naming the broker and the reason', async () => {
    const port = await freePort();
    const run = await spawnCli(['--mqtt-url', `mqtt://127.0.0.1:${port}`, '--timeout', '1', '--json', 'list']).exited;
    expect(run.code).toBe(4);
    expect(JSON.parse(run.stdout)).toEqual({ error: { type: 'BrokerUnreachable', message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`)) } });
  });

  it('a usage error: exit 2 and nothing sent', async () => {
    const run = await cli('reserve', '--connector', '1', '--token', 'T', '--id', '1', '--expires', 'never');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--expires "never" is neither a duration/);
    expect(await held()).toEqual([]);
  });

  it('a module that has published no snapshot is taken as the connector interface: --evse is a usage error saying so', async () => {
    const run = await spawnCli(['--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--module', 'nobody', 'reserve', '--evse', '1', '--token', 'T', '--id', '1', '--expires', '1h']).exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--evse and --type are options of the evse interface; the module serves the connector interface \(it has published no snapshot, so the connector interface is assumed/);
  });

  it('takes the broker and prefix from MQTT_URL and EVEREST_PREFIX, as the module does', async () => {
    const run = await spawnCli(['list'], { MQTT_URL: broker.url, EVEREST_PREFIX: charger.station.prefix }).exited;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^no reservations held/);
  });
});
