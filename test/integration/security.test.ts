// Broker security (issue 4): the compose broker's password file and ACL let the module do its
// whole job and nothing more, and TLS with a client certificate works for the module and the client.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { type Broker, startBroker } from '../support/broker';
import { EvseDouble } from '../support/evse-double';
import { reservation, startStation } from '../support/harness';
import { REPO_ROOT, runModuleToExit, startModule } from '../support/module-process';
import { sleep, track, trackChild } from '../support/teardown';
import { evseReservation } from '../support/evse-station';
import { ACCEPTED, card, startTokenCharger } from '../support/token-path';

const MOSQUITTO_DIR = path.join(REPO_ROOT, 'docker', 'mosquitto');
const CLI_JS = path.join(REPO_ROOT, 'dist', 'bin', 'cli.js');
// The compose set-up's demo credentials (docker/mosquitto/passwd), and the prefix its ACL is written for.
const MODULE_USER = 'reservation:reservation-dev-password';
const OPERATOR_USER = 'operator:operator-dev-password';
const PREFIX = 'everest/';

function withUser(broker: Broker, user: string, scheme = 'mqtt'): string {
  return `${scheme}://${user}@127.0.0.1:${broker.port}`;
}

/** The same broker, reached with other credentials. */
function as(broker: Broker, user: string): Broker {
  return { port: broker.port, url: withUser(broker, user), log: () => broker.log(), stop: () => broker.stop(), restart: () => broker.restart() };
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI_JS, ...args], { cwd: REPO_ROOT });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('password file and ACL of the compose broker', () => {
  let broker: Broker;

  beforeAll(async () => {
    broker = await startBroker((dir) => ['allow_anonymous false', `password_file ${dir.copy(path.join(MOSQUITTO_DIR, 'passwd'))}`, `acl_file ${dir.copy(path.join(MOSQUITTO_DIR, 'acl'))}`]);
  });

  it('lets the module, logged in as reservation, serve commands, follow its EVSE managers and call them', async () => {
    const operator = as(broker, OPERATOR_USER);
    const evse = await EvseDouble.start(operator, PREFIX, 'evse_manager_1');
    const station = await startStation(operator, {
      prefix: PREFIX,
      connections: { evse_manager: [evse.connection] },
      // Given after the harness's own --mqtt-url, so it wins: the module logs in as itself.
      args: ['--mqtt-url', withUser(broker, MODULE_USER)],
    });
    const connected = station.module.lines().find((line) => line.msg === 'connected to broker') as { url?: string } | undefined;
    expect(connected?.url).toContain('//reservation:');
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect((await evse.nthCall(1)).cmd).toBe('reserve');
    await evse.sessionStarted();
    await evse.transactionStarted({ token: 'TOKEN-1' });
    await station.ends.waitFor(() => true, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'UsedToStartCharging' }]);
    expect(await station.reserveNow(1, reservation(2))).toBe('Occupied');
    // impl status (the module's own interface) is served under the ACL too.
    expect(await station.list()).toEqual([]);
    await station.module.stop();
  });

  it('lets the module serve the evse interface and sit in the token path under the same ACL', async () => {
    const operator = as(broker, OPERATOR_USER);
    const charger = await startTokenCharger(operator, [{ id: 1, connectors: [{ id: 1, type: 'cCCS2' }] }, { id: 2, connectors: [{ id: 1, type: 'cCCS2' }] }], {
      prefix: PREFIX,
      args: ['--mqtt-url', withUser(broker, MODULE_USER)],
    });
    expect(await charger.reserve(evseReservation(5, { evse_id: 2, id_token: 'ALICE' }))).toBe('Accepted');
    await charger.updates.waitFor(() => true, 10_000);
    await charger.reader.present(card('BOB'));
    expect((await charger.auth.nth(1)).connectors).toEqual([1]);
    await charger.tokenEvents.waitFor(() => true, 10_000);
    expect(await charger.auth.validate(card('alice', { connectors: [2] }))).toEqual({ ...ACCEPTED, reservation_id: 5 });
    await charger.station.module.stop();
  });

  it('lets the reservation user read nothing outside its own topics', async () => {
    const spy = await mqtt.connectAsync(withUser(broker, MODULE_USER), { clientId: 'acl-spy' });
    track('acl spy', () => spy.endAsync());
    const seen: string[] = [];
    spy.on('message', (topic) => seen.push(topic));
    await spy.subscribeAsync('everest/#', { qos: 1 });
    const operator = await mqtt.connectAsync(withUser(broker, OPERATOR_USER), { clientId: 'acl-operator' });
    track('acl operator', () => operator.endAsync());
    await operator.publishAsync('everest/modules/ocpp/impl/main/var/secret', 'x', { qos: 1 });
    await operator.publishAsync('everest/modules/reservation/impl/main/cmd/reserve_now', '{}', { qos: 1 });
    await sleep(1000);
    // Only the command topic is readable for it; the other module's var never arrives.
    expect(seen).toEqual(['everest/modules/reservation/impl/main/cmd/reserve_now']);
  });

  it('refuses the module with a wrong password: start-up fails saying it is not authorised', async () => {
    const result = await runModuleToExit({ brokerUrl: withUser(broker, 'reservation:wrong'), prefix: PREFIX, args: ['--connect-timeout', '2'] });
    expect(result.code).toBe(1);
    expect(JSON.stringify(result.lines)).toMatch(/Not authorized/i);
  });

  it('refuses an anonymous client: the command-line client exits 4 saying why', async () => {
    const run = await runCli(['--mqtt-url', broker.url, '--timeout', '2', 'list']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/Not authorized/i);
  });
});

describe('TLS with a client certificate', () => {
  let dir: string;
  let broker: Broker;
  const file = (name: string): string => path.join(dir, name);

  function openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  }

  /** An EC key and a certificate for `subject`, signed by the test CA. */
  function issue(name: string, subject: string, extensions?: string): void {
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`);
    openssl('req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`);
    const ext = extensions === undefined ? [] : (writeFileSync(file(`${name}.ext`), extensions), ['-extfile', `${name}.ext`]);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', `${name}.pem`, ...ext);
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-tls-'));
    track('tls files', () => rmSync(dir, { recursive: true, force: true }));
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    openssl('req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=reservation test CA', '-days', '2', '-out', 'ca.pem');
    issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\n');
    issue('client', '/CN=reservation');
    // Another CA, which signed nothing the broker shows.
    openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'other.key');
    openssl('req', '-x509', '-new', '-key', 'other.key', '-subj', '/CN=someone else', '-days', '2', '-out', 'other.pem');
    broker = await startBroker((brokerDir) => [`cafile ${brokerDir.copy(file('ca.pem'))}`, `certfile ${brokerDir.copy(file('server.pem'))}`, `keyfile ${brokerDir.copy(file('server.key'))}`, 'require_certificate true']);
  });

  const tlsArgs = (): string[] => ['--mqtt-url', `mqtts://127.0.0.1:${broker.port}`, '--mqtt-ca', file('ca.pem'), '--mqtt-cert', file('client.pem'), '--mqtt-key', file('client.key')];

  it('the module connects over mqtts:// with its certificate, and the client talks to it the same way', async () => {
    const module = await startModule({ prefix: PREFIX, args: tlsArgs(), waitReady: false });
    await module.waitForLog((line) => line.msg === 'module ready', 15_000);
    const reserve = await runCli([...tlsArgs(), '--prefix', PREFIX, 'reserve', '--connector', '1', '--token', 'TLS-TOKEN', '--id', '5', '--expires', '10m']);
    expect(reserve).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Accepted: reservation 5/) });
    const list = await runCli([...tlsArgs(), '--prefix', PREFIX, '--json', 'list']);
    expect(JSON.parse(list.stdout).reservations).toEqual([expect.objectContaining({ reservation_id: 5, id_token: 'TLS-TOKEN' })]);
    await module.stop();
  });

  it('without a client certificate the broker refuses it: start-up fails naming the broker', async () => {
    const url = `mqtts://127.0.0.1:${broker.port}`;
    const result = await runModuleToExit({ prefix: PREFIX, args: ['--mqtt-url', url, '--mqtt-ca', file('ca.pem'), '--connect-timeout', '2'], waitReady: false });
    expect(result.code).toBe(1);
    expect(JSON.stringify(result.lines)).toContain(`no connection to the broker at ${url}`);
  });

  it('a broker whose certificate the given CA did not sign is not trusted', async () => {
    const args = ['--mqtt-url', `mqtts://127.0.0.1:${broker.port}`, '--mqtt-ca', file('other.pem'), '--mqtt-cert', file('client.pem'), '--mqtt-key', file('client.key')];
    const run = await runCli([...args, '--timeout', '2', 'list']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/certificate/i);
  });
});
