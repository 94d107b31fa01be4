// What a charger controller runs: the single-file bundle with no node_modules, and a module whose
// start loads only what serving needs (timing and memory targets are in npm run bench).
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Broker, startBroker } from '../support/broker';
import { isoIn, reservation, startStation } from '../support/harness';
import { REPO_ROOT } from '../support/module-process';

const BUNDLE = path.join(REPO_ROOT, 'dist', 'bundle', 'reservation.js');

let broker: Broker;
let tmp: string;

beforeAll(async () => {
  broker = await startBroker();
});
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'reservation-deploy-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** Every node_modules folder node would search from `dir` upwards. */
function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'node_modules'))) found.push(path.join(d, 'node_modules'));
    if (path.dirname(d) === d) return found;
  }
}

describe('the bundle (npm run bundle)', () => {
  it('runs with plain node and no node_modules: reaches ModuleReady, answers, persists and ends reservations', async () => {
    expect(existsSync(BUNDLE)).toBe(true);
    const copy = path.join(tmp, 'reservation.js');
    copyFileSync(BUNDLE, copy);
    expect(nodeModulesAbove(tmp)).toEqual([]);
    const persistence = path.join(tmp, 'reservations.json');
    const station = await startStation(broker, { entry: copy, configModule: { connectors: 2, persistence_file: persistence } });
    const r = reservation(7, { expiry_time: isoIn(60_000) });
    expect(await station.reserveNow(2, r)).toBe('Accepted');
    expect(await station.list()).toEqual([{ ...r, connector_id: 2 }]);
    expect(JSON.parse(readFileSync(persistence, 'utf8'))).toMatchObject({ reservations: [{ reservation_id: 7, connector_id: 2 }] });
    expect(await station.cancel(7)).toBe(true);
    await station.ends.waitFor(() => true, 5000);
    expect(station.endEvents()).toEqual([{ reservation_id: 7, reason: 'Cancelled' }]);
    expect(station.module.stderr()).toBe('');
  });

  it('validates calls as the module does (the compiled validators are in it)', async () => {
    const copy = path.join(tmp, 'reservation.js');
    copyFileSync(BUNDLE, copy);
    const station = await startStation(broker, { entry: copy });
    const result = await station.call('reserve_now', { connector_id: 1, reservation: { ...reservation(1), expiry_time: 'tomorrow' } });
    expect(result.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(result.error?.__everest__error_msg).toContain('expiry_time');
  });
});

describe("the module's start", () => {
  it('loads neither the client, the demo, the embedded broker, the generator, ajv\'s compiler, a date library nor a transport it does not use', async () => {
    const trace = path.join(tmp, 'required.txt');
    const station = await startStation(broker, {
      configModule: { connectors: 2 },
      env: { NODE_OPTIONS: `--require ${path.join(REPO_ROOT, 'test', 'fixtures', 'require-trace.js')}`, REQUIRE_TRACE_FILE: trace },
    });
    // Serving, but no date to read yet: luxon comes with the first expiry_time.
    expect(await station.list()).toEqual([]);
    expect(await station.module.stop()).toMatchObject({ code: 0 });
    const loaded = readFileSync(trace, 'utf8').split('\n');
    expect(loaded).toContainEqual(expect.stringContaining(`${path.sep}mqtt${path.sep}`));
    const unwanted = [
      /node_modules\/aedes\//,
      /node_modules\/commander\//,
      /node_modules\/luxon\//,
      // An mqtt:// broker: no WebSocket (ws, with node's http, https and zlib) and no TLS transport.
      /node_modules\/ws\//,
      /node_modules\/mqtt\/build\/lib\/connect\/(ws|tls|index)\.js$/,
      /node_modules\/ajv\/dist\/(core|ajv|compile\/index)\.js$/,
      /node_modules\/(typescript|ts-node|esbuild)\//,
      /\/dist\/(client|bin|demo|dashboard)\//,
      /\/scripts\//,
    ];
    expect(loaded.filter((file) => unwanted.some((pattern) => pattern.test(file)))).toEqual([]);
  });
});
