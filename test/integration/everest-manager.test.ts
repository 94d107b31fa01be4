// Issue 14: the module under the EVerest manager (a double written from spec/everest-manager.md):
// spawned from its module folder with the manager's environment, or standalone (--everest); config
// over MQTT; ModuleReady once per run of the manager; nothing published before GlobalReady.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { writeEvseTree, writeModuleFolder } from '../../scripts/everest-module';
import { type Broker, startBroker } from '../support/broker';
import { EvseDouble } from '../support/evse-double';
import { isoIn, reservation } from '../support/harness';
import { ManagerDouble, type ManagedModule, type ManagerOptions } from '../support/manager-double';
import { type LogLine, type ModuleOptions, REPO_ROOT, runModuleToExit, startModule, uniquePrefix } from '../support/module-process';
import { type Collector, Probe } from '../support/probe';
import { sleep, track, trackChild } from '../support/teardown';
import { ACCEPTED, AuthSide, card, TokenProviderDouble, ValidatorDouble } from '../support/token-path';

const MODULE_ID = 'reservation';
const MODULE_READY = '{"msg_type":"ModuleReady","data":true}';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

/** A scratch folder, removed after the test. */
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-everest-'));
  track(`scratch folder ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The environment the manager gives a module it spawns (framework >= 0.19), and nothing else but PATH. */
function managerEnv(prefix: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    EV_MODULE: MODULE_ID,
    EV_MQTT_EVEREST_PREFIX: prefix,
    EV_MQTT_BROKER_HOST: '127.0.0.1',
    EV_MQTT_BROKER_PORT: String(broker.port),
    EV_PREFIX: '/usr',
    EV_LOG_CONF_FILE: '/etc/everest/default_logging.cfg',
    NODE_PATH: '/usr/lib/node_modules',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    ...extra,
  };
}

/** Options that start the module as a standalone module of a running EVerest (`--everest`). */
function standalone(prefix: string, extra: Partial<ModuleOptions> = {}): ModuleOptions {
  return { brokerUrl: broker.url, prefix, moduleId: MODULE_ID, args: ['--everest'], ...extra };
}

async function startManager(on: Broker, options: ManagerOptions): Promise<ManagerDouble> {
  const manager = await ManagerDouble.start(on.url, options);
  track('manager double', () => manager.close());
  return manager;
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

const logged = (msg: string) => (line: LogLine) => typeof line.msg === 'string' && line.msg.startsWith(msg);
const reservationModule = (module: Partial<ManagedModule> = {}): ManagedModule => ({ moduleName: 'Reservation', ...module });

async function ocppProbe(prefix: string): Promise<{ probe: Probe; ends: Collector }> {
  const probe = await Probe.connect(broker.url, { prefix, origin: 'ocpp' });
  return { probe, ends: await probe.collect(probe.varTopic(MODULE_ID, 'reservation_end')) };
}

describe('spawned by the manager from its module folder', () => {
  it('reaches GlobalReady and serves with the config and EVSE managers of the manager\'s answer', async () => {
    const prefix = uniquePrefix();
    const evses = [await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2')];
    const manager = await startManager(broker, {
      prefix,
      modules: {
        [MODULE_ID]: reservationModule({ configModule: { reserve_connector_zero_supported: true }, connections: { evse_manager: evses.map((e) => e.connection) } }),
        evse_manager_1: { moduleName: 'EvseManager', alreadyReady: true },
        evse_manager_2: { moduleName: 'EvseManager', alreadyReady: true },
      },
    });
    // Written in one place and copied to another: the folder carries the module, and needs neither
    // this checkout nor node_modules.
    const copied = tempDir();
    cpSync(writeModuleFolder(tempDir()), path.join(copied, 'Reservation'), { recursive: true });
    expect(readdirSync(path.join(copied, 'Reservation')).sort()).toEqual(['index.js', 'manifest.yaml', 'reservation.js']);
    expect(readFileSync(path.join(copied, 'Reservation', 'index.js'), 'utf8')).not.toContain(REPO_ROOT);
    const module = await startModule({
      brokerUrl: broker.url,
      prefix,
      moduleId: MODULE_ID,
      entry: path.join(copied, 'Reservation', 'index.js'),
      nodeArgs: ['--unhandled-rejections=strict'],
      bareArgs: true,
      exactEnv: true,
      env: managerEnv(prefix),
    });
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    expect(manager.moduleReadies.map((r) => [r.moduleId, r.raw])).toEqual([[MODULE_ID, MODULE_READY]]);

    const { probe } = await ocppProbe(prefix);
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 2, reservation: reservation(1) })).toBe('Accepted');
    expect(await evses[1]?.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: 1 } });
    // The manager's answer allowed station-wide reservations (the manifest's default does not).
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 0, reservation: reservation(2) })).toBe('Accepted');
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 3, reservation: reservation(3) })).toBe('Rejected');
    expect(module.lines().find(logged('connected to broker'))).toMatchObject({ url: `mqtt://127.0.0.1:${broker.port}` });
    expect(manager.moduleReadies).toHaveLength(1);
  });

  it('reads its entry from EV_CONF_FILE under a framework of 0.18 or older, and asks the manager for nothing', async () => {
    const prefix = uniquePrefix();
    const requests = await (await Probe.connect(broker.url, { prefix })).collect(`${prefix}config/request`);
    const manager = await startManager(broker, { prefix, modules: { [MODULE_ID]: reservationModule() } });
    const file = path.join(tempDir(), 'config.yaml');
    writeFileSync(file, stringify({ active_modules: { [MODULE_ID]: { module: 'Reservation', config_module: { connectors: 3 } } } }));
    await startModule({ brokerUrl: broker.url, prefix, moduleId: MODULE_ID, bareArgs: true, exactEnv: true, env: managerEnv(prefix, { EV_CONF_FILE: file }) });
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    const { probe } = await ocppProbe(prefix);
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 3, reservation: reservation(1) })).toBe('Accepted');
    expect(requests.entries).toEqual([]);
  });

  it('connects to a broker on a Unix socket (EV_MQTT_BROKER_SOCKET_PATH)', async () => {
    let socket = '';
    const socketBroker = await startBroker((dir) => {
      socket = dir.join('mqtt.sock');
      return [`listener 0 ${socket}`];
    });
    const prefix = uniquePrefix();
    const manager = await startManager(socketBroker, { prefix, modules: { [MODULE_ID]: reservationModule({ configModule: { connectors: 2 } }) } });
    const env = { ...managerEnv(prefix, { EV_MQTT_BROKER_SOCKET_PATH: socket }) } as Record<string, string>;
    delete env.EV_MQTT_BROKER_HOST;
    delete env.EV_MQTT_BROKER_PORT;
    const module = await startModule({ brokerUrl: socketBroker.url, prefix, moduleId: MODULE_ID, bareArgs: true, exactEnv: true, env });
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    expect(module.lines().find(logged('connected to broker'))).toMatchObject({ url: `mqtt+unix://${socket}` });
    const probe = await Probe.connect(socketBroker.url, { prefix, origin: 'ocpp' });
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 2, reservation: reservation(1) })).toBe('Accepted');
  });
});

describe('installed into a tree of today\'s EVerest (npm run everest-module -- --interface evse)', () => {
  it('serves reserve_now({request}) when the integrator sets no reservation_interface', async () => {
    const prefix = uniquePrefix();
    const evses = [
      await EvseDouble.start(broker, prefix, 'evse_manager_1', { evse: { id: 1, connectors: [{ id: 1, type: 'cCCS2' }] } }),
      await EvseDouble.start(broker, prefix, 'evse_manager_2', { evse: { id: 2, connectors: [{ id: 1, type: 'cCCS2' }, { id: 2, type: 'cType2' }] } }),
    ];
    const tree = writeEvseTree(tempDir());
    // The manager answers with the defaults of the manifest it finds in the tree: the folder's.
    const manager = await startManager(broker, {
      prefix,
      manifestFile: path.join(tree.folder, 'manifest.yaml'),
      modules: {
        [MODULE_ID]: reservationModule({ connections: { evse_manager: evses.map((e) => e.connection) } }),
        evse_manager_1: { moduleName: 'EvseManager', alreadyReady: true },
        evse_manager_2: { moduleName: 'EvseManager', alreadyReady: true },
      },
    });
    const module = await startModule({
      brokerUrl: broker.url,
      prefix,
      moduleId: MODULE_ID,
      entry: path.join(tree.folder, 'index.js'),
      nodeArgs: ['--unhandled-rejections=strict'],
      bareArgs: true,
      exactEnv: true,
      env: managerEnv(prefix),
    });
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    await until(() => module.lines().filter(logged('EVSE manager described its EVSE')).length === 2, 'get_evse answered by both EVSE managers');

    const { probe } = await ocppProbe(prefix);
    const request = (id: number, extra: Record<string, unknown>) => ({ request: { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: isoIn(3_600_000), ...extra } });
    expect(await probe.invoke(MODULE_ID, 'reserve_now', request(1, { evse_id: 2, connector_type: 'cType2' }))).toBe('Accepted');
    expect(await evses[1]?.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: 1 } });
    expect(await probe.invoke(MODULE_ID, 'reserve_now', request(2, { evse_id: 1, connector_type: 'cType2' }))).toBe('Rejected');
    expect(await probe.invoke(MODULE_ID, 'exists_reservation', { request: { evse_id: 2, id_token: 'TOKEN-1' } }, { implId: 'main' })).toBe('ReservedForToken');
    // The older interface's call is not this one's.
    const old = await probe.call(MODULE_ID, 'reserve_now', { connector_id: 1, reservation: reservation(3) });
    expect(old.error?.__everest__error_type).toBe('SchemaValidationError');
  });
});

describe('a standalone module (--everest)', () => {
  it('started before the manager, asks again every 2 s, says once that it waits, and starts with the answer', async () => {
    const prefix = uniquePrefix();
    const requests = await (await Probe.connect(broker.url, { prefix })).collect(`${prefix}config/request`);
    const module = await startModule(standalone(prefix, { waitReady: false }));
    // Unanswered requests are sent again: no manager listens yet.
    const seen = await requests.waitForCount(2, 15_000);
    expect(seen[0]?.payload).toEqual({ msg_type: 'GetConfig', data: { type: 'Get', origin: MODULE_ID, request: { type: 'Module' } } });
    expect(seen[0]?.retain).toBe(false);

    const manager = await startManager(broker, { prefix, modules: { [MODULE_ID]: reservationModule({ standalone: true, configModule: { connectors: 4 } }) } });
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    await module.waitForLog(logged('GlobalReady'), 10_000);
    expect(module.lines().filter(logged('waiting for the EVerest manager'))).toHaveLength(1);
    const { probe } = await ocppProbe(prefix);
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 4, reservation: reservation(1) })).toBe('Accepted');
    expect(manager.moduleReadies.map((r) => r.raw)).toEqual([MODULE_READY]);
  });

  it.each([
    ['an unknown parameter', { conectors: 2 }, 'conectors'],
    ['a parameter of the wrong type', { connectors: 'two' }, '/connectors must be integer'],
  ])('stops start-up with exit 1 on a config answer with %s, naming it', async (_what, configModule, named) => {
    const prefix = uniquePrefix();
    await startManager(broker, { prefix, modules: { [MODULE_ID]: reservationModule({ standalone: true, configModule }) } });
    const run = await runModuleToExit(standalone(prefix), 20_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the EVerest manager's config");
    expect(run.stderr).toContain(named);
  });

  it('restarted under a running manager: no second ModuleReady, reservations held, and the end that fell due meanwhile sent once it knows the system is ready', async () => {
    const prefix = uniquePrefix();
    const file = path.join(tempDir(), 'reservations.json');
    const manager = await startManager(broker, {
      prefix,
      modules: { [MODULE_ID]: reservationModule({ standalone: true, configModule: { connectors: 2, persistence_file: file } }) },
    });
    const { probe, ends } = await ocppProbe(prefix);
    const first = await startModule(standalone(prefix));
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 1, reservation: reservation(1, { expiry_time: isoIn(3000) }) })).toBe('Accepted');
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 2, reservation: reservation(2, { expiry_time: isoIn(3_600_000) }) })).toBe('Accepted');
    await first.stop('SIGKILL');
    await sleep(4000); // reservation 1 falls due while the module is down

    const second = await startModule(standalone(prefix, { waitReady: false }));
    const readyLine = await second.waitForLog(logged('the EVerest manager already runs'), 15_000);
    const end = await ends.waitFor(() => true, 15_000);
    expect(end.payload).toEqual({ msg_type: 'Var', data: { data: { reservation_id: 1, reason: 'Expired' } } });
    expect(end.receivedAt).toBeGreaterThanOrEqual(Date.parse(readyLine.time as string));
    expect(await probe.invoke(MODULE_ID, 'list_reservations', {})).toEqual([expect.objectContaining({ reservation_id: 2, connector_id: 2 })]);
    await sleep(1000);
    expect(manager.moduleReadies).toHaveLength(1);
    expect(manager.globalReadyCount).toBe(1);
    expect(ends.entries).toHaveLength(1);
  });

  it('publishes no var and calls no EVSE manager before GlobalReady, but answers commands; what fell due goes out after it', async () => {
    const prefix = uniquePrefix();
    const file = path.join(tempDir(), 'reservations.json');
    // Reservation 5 is held on connector 1; reservation 6 expired while the module was down.
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        reservations: [
          { reservation_id: 5, connector_id: 1, id_token: 'HELD', expiry_time: isoIn(3_600_000) },
          { reservation_id: 6, connector_id: 2, id_token: 'GONE', expiry_time: isoIn(-60_000) },
        ],
        undelivered_ends: [],
      }),
    );
    const evses = [await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2')];
    const manager = await startManager(broker, {
      prefix,
      modules: {
        [MODULE_ID]: reservationModule({ standalone: true, configModule: { persistence_file: file }, connections: { evse_manager: evses.map((e) => e.connection) } }),
        evse_manager_1: { moduleName: 'EvseManager', alreadyReady: true },
        evse_manager_2: { moduleName: 'EvseManager', alreadyReady: true },
        ocpp: { moduleName: 'OCPP' }, // not ready yet: no GlobalReady
      },
    });
    const { probe, ends } = await ocppProbe(prefix);
    const anyVar = await probe.collect(`${prefix}modules/${MODULE_ID}/impl/+/var/#`);
    const module = await startModule(standalone(prefix));
    expect(await probe.invoke(MODULE_ID, 'list_reservations', {})).toEqual([expect.objectContaining({ reservation_id: 5 })]);
    await sleep(2000);
    expect(manager.globalReadyCount).toBe(0);
    expect(anyVar.entries).toEqual([]);
    expect(evses.flatMap((e) => e.calls)).toEqual([]);

    await manager.markReady('ocpp');
    await module.waitForLog(logged('GlobalReady'), 10_000);
    expect((await ends.waitFor(() => true, 10_000)).payload).toEqual({ msg_type: 'Var', data: { data: { reservation_id: 6, reason: 'Expired' } } });
    expect(await evses[0]?.nthCall(1)).toMatchObject({ cmd: 'reserve', args: { reservation_id: 5 } });
  });

  it('sends ModuleReady again, once, when the manager starts a new run while it keeps running', async () => {
    const prefix = uniquePrefix();
    const modules = { [MODULE_ID]: reservationModule({ standalone: true }) };
    const firstRun = await startManager(broker, { prefix, modules });
    const module = await startModule(standalone(prefix));
    await until(() => firstRun.globalReadyCount === 1, 'GlobalReady of the first run');
    await firstRun.close();

    const secondRun = await startManager(broker, { prefix, modules });
    await until(() => secondRun.globalReadyCount === 1, 'GlobalReady of the second run');
    await module.waitForLog(logged('the EVerest manager started a new run'), 10_000);
    await sleep(1000);
    expect(firstRun.moduleReadies.map((r) => r.raw)).toEqual([MODULE_READY]);
    expect(secondRun.moduleReadies.map((r) => r.raw)).toEqual([MODULE_READY]);
  });

  it('enters the token path with the token_providers and token_validators the manager connects (Auth wired to the module)', async () => {
    const prefix = uniquePrefix();
    const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
    const validator = await ValidatorDouble.start(broker, prefix, 'ocpp', 'auth_validator');
    const auth = await AuthSide.start(broker, prefix, MODULE_ID);
    const manager = await startManager(broker, {
      prefix,
      modules: {
        [MODULE_ID]: reservationModule({
          configModule: { connectors: 2 },
          connections: { token_providers: [reader.connection], token_validators: [validator.connection] },
        }),
        rfid_reader: { moduleName: 'PN532TokenProvider', alreadyReady: true },
        ocpp: { moduleName: 'OCPP201', alreadyReady: true },
      },
    });
    const module = await startModule(standalone(prefix));
    await until(() => manager.globalReadyCount === 1, 'GlobalReady');
    expect(module.lines().find(logged('module ready'))).toMatchObject({ token_providers: 1, token_validators: 1 });
    const { probe } = await ocppProbe(prefix);
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 1, reservation: reservation(1, { id_token: 'ALICE' }) })).toBe('Accepted');
    await reader.present(card('BOB'));
    expect((await auth.nth(1)).connectors).toEqual([2]);
    expect(await auth.validate(card('alice', { connectors: [1] }))).toEqual({ ...ACCEPTED, reservation_id: 1 });
    expect(validator.asked()).toEqual([card('alice', { connectors: [1] })]);
  });

  it('works with the manager double docs/running-under-everest.md offers for trying it by hand (npm run manager-double)', async () => {
    const prefix = uniquePrefix();
    const double = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/manager-double.ts', 'examples/everest-standalone.yaml', '--mqtt-url', broker.url, '--prefix', prefix], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(double);
    track('manager-double script', () => void double.kill('SIGKILL'));
    let printed = '';
    double.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    await until(() => printed.includes('waiting for reservation'), 'the double to start', 30_000);
    await startModule(standalone(prefix));
    await until(() => printed.includes('GlobalReady (1)'), 'GlobalReady from the double');
    const { probe } = await ocppProbe(prefix);
    // examples/everest-standalone.yaml: two connectors, station-wide reservations allowed.
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 0, reservation: reservation(1) })).toBe('Accepted');
    expect(await probe.invoke(MODULE_ID, 'reserve_now', { connector_id: 2, reservation: reservation(2) })).toBe('Accepted');
  });
});
