// The module as a process: readiness, status, signals, start-up errors and the config file.
import { type Broker, freePort, startBroker } from '../support/broker';
import { reservation, startStation } from '../support/harness';
import { type ModuleOptions, runModuleToExit, startModule, uniquePrefix } from '../support/module-process';
import { Probe } from '../support/probe';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

describe('readiness and status', () => {
  it('publishes {msg_type: ModuleReady, data: true} on <prefix>modules/<id>/ready', async () => {
    const module = await startModule({ brokerUrl: broker.url, moduleId: 'res_ready' });
    expect(module.readyMessage).toEqual({ msg_type: 'ModuleReady', data: true });
    // And it serves commands from then on.
    const probe = await Probe.connect(broker.url, { prefix: module.prefix });
    expect(await probe.invoke('res_ready', 'list_reservations', {})).toEqual([]);
  });

  it('keeps a retained status online while running and offline after SIGTERM', async () => {
    const module = await startModule({ brokerUrl: broker.url });
    const statusTopic = `${module.prefix}modules/reservation/status`;
    const watcher = await Probe.connect(broker.url, { prefix: module.prefix, origin: 'watcher' });
    const status = await watcher.collect(statusTopic);
    const first = await status.next(5000);
    expect(first.payload).toBe('online');
    expect(first.retain).toBe(true);

    expect(await module.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await status.waitFor((p) => p === 'offline', 5000);

    // A subscriber arriving later is told offline by the retained message.
    const late = await Probe.connect(broker.url, { prefix: module.prefix, origin: 'late' });
    const retained = await (await late.collect(statusTopic)).next(5000);
    expect(retained.payload).toBe('offline');
    expect(retained.retain).toBe(true);
  });
});

describe('signals', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s and logs that it stopped', async (signal) => {
    const station = await startStation(broker);
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    const exit = await station.module.stop(signal);
    expect(exit).toEqual({ code: 0, signal: null });
    const lines = station.module.lines();
    expect(lines.some((l) => l.level === 30 && /stopped/i.test(l.msg ?? ''))).toBe(true);
    expect(lines.some((l) => l.level >= 50)).toBe(false);
    expect(station.module.stderr()).toBe('');
    expect(station.module.otherStdout()).toEqual([]);
  });
});

describe('start-up failures exit 1 with a message on stderr', () => {
  /** Runs the module against the test broker, so a config wrongly accepted would keep it running (and fail the test). */
  const run = (options: Omit<ModuleOptions, 'brokerUrl'>) => runModuleToExit({ brokerUrl: broker.url, ...options }, 10_000);

  it('a missing config file', async () => {
    const missing = '/nonexistent/reservation-config.yaml';
    const result = await run({ args: ['--config', missing] });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(missing);
    expect(result.stderr).toMatch(/no such file|ENOENT|not found|cannot read/i);
  });

  it('a config file that is not valid YAML', async () => {
    const result = await run({ configDocument: 'active_modules:\n  reservation: {module: Reservation, config_module: [unclosed\n' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/config file .*config\.yaml/);
  });

  it('a module id that is not in active_modules', async () => {
    const result = await run({ moduleId: 'res_missing', configDocument: { active_modules: { reservation: { module: 'Reservation' } } } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('res_missing');
    expect(result.stderr).toContain('active_modules');
  });

  it('an unknown config_module key', async () => {
    const result = await run({ configModule: { connectors: 2, reserve_connecter_zero_supported: true } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('reserve_connecter_zero_supported');
  });

  it('a config_module value of the wrong type', async () => {
    const result = await run({ configModule: { connectors: 'two' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connectors');
    expect(result.stderr).toMatch(/integer/);
  });

  it.each(['no-trailing-slash', 'a/+/', 'a/#/', '/'])('a bad --prefix %j', async (prefix) => {
    const result = await run({ prefix });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('prefix');
    expect(result.stderr).toContain(JSON.stringify(prefix));
  });

  it('a broker that does not answer, naming the broker', async () => {
    const port = await freePort();
    const result = await runModuleToExit({ brokerUrl: `mqtt://127.0.0.1:${port}`, prefix: uniquePrefix(), args: ['--connect-timeout', '1'] }, 15_000);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`127.0.0.1:${port}`);
  });

  it('never publishes ModuleReady when start-up fails', async () => {
    const prefix = uniquePrefix();
    const watcher = await Probe.connect(broker.url, { prefix, origin: 'watcher' });
    const everything = await watcher.collect(`${prefix}#`);
    const result = await run({ prefix, configModule: { connectors: 0 } });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('connectors');
    expect(everything.messages).toEqual([]);
  });
});

describe('the EVerest config file', () => {
  it('takes connectors: 3 from config_module: connector 3 is accepted, connector 4 rejected', async () => {
    const station = await startStation(broker, { configModule: { connectors: 3 } });
    expect(await station.reserveNow(4, reservation(4))).toBe('Rejected');
    expect(await station.reserveNow(3, reservation(3))).toBe('Accepted');
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect((await station.list()).map((r) => r.connector_id)).toEqual([1, 3]);
  });

  it('reads only its own entry of active_modules', async () => {
    const station = await startStation(broker, {
      moduleId: 'res_b',
      configDocument: {
        active_modules: {
          res_a: { module: 'Reservation', config_module: { connectors: 1 } },
          res_b: { module: 'Reservation', config_module: { connectors: 2, reservations_enabled: true } },
          ocpp: { module: 'OCPP', config_module: { something: 'else' } },
        },
      },
    });
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
  });
});

describe('broker restarts', () => {
  it('reconnects after its broker restarts on the same port, says online again and serves', async () => {
    const ownBroker = await startBroker();
    const station = await startStation(ownBroker);
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    const port = ownBroker.port;

    await ownBroker.restart();
    expect(ownBroker.port).toBe(port);

    // persistence is off in the test broker: the retained status is gone until the module says online again.
    const watcher = await Probe.connect(ownBroker.url, { prefix: station.prefix, origin: 'watcher' });
    const status = await watcher.collect(`${station.prefix}modules/reservation/status`);
    await status.waitFor((p) => p === 'online', 20_000);
    // The probe's client reconnects and resubscribes by itself; the module still holds its reservation.
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([1]);
    expect(station.module.child.exitCode).toBeNull();
  });
});
