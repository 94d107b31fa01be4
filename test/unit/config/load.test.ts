// loadConfig: the EVerest config file's entry for the module, the manifest's defaults, the
// CLI and env; every problem reported in one ConfigError that names the file.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify, parse } from 'yaml';
import type { CliOptions } from '../../../src/config/cli';
import { ConfigError, DEFAULT_MQTT_URL, DEFAULT_PREFIX, type ModuleConfig, loadConfig } from '../../../src/config/load';
import { optimizesForSize } from '../../../src/config/optimize-for';

const root = path.join(__dirname, '..', '..', '..');
const fixture = (name: string): string => path.join(root, 'test', 'fixtures', 'configs', name);
const cli = (options: Partial<CliOptions> = {}): CliOptions => ({ help: false, ...options });

/** The defaults exactly as manifest.yaml declares them (read here, not from src/generated). */
const manifestDefaults = Object.fromEntries(
  Object.entries((parse(readFileSync(path.join(root, 'manifest.yaml'), 'utf8')) as { config: Record<string, { default: unknown }> }).config).map(
    ([name, parameter]) => [name, parameter.default],
  ),
);

/** The ConfigError message loadConfig throws; fails the test if it does not throw one. */
function configError(options: CliOptions, env: Record<string, string> = {}): string {
  try {
    loadConfig(options, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('loadConfig accepted the configuration');
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'config-load-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('defaults', () => {
  it('without a config file: the manifest defaults, module id reservation, prefix everest/, the default broker', () => {
    const config = loadConfig(cli(), {});
    expect(config.values).toEqual(manifestDefaults);
    expect(config).toMatchObject({ moduleId: 'reservation', prefix: DEFAULT_PREFIX, logLevel: 'info', evseManagers: [] });
    expect(config.mqtt).toEqual({ url: DEFAULT_MQTT_URL, urlGiven: false });
    expect(config.evseCount).toBe(manifestDefaults.connectors);
  });

  it('with an entry that names no config_module: the manifest defaults', () => {
    expect(loadConfig(cli({ config: fixture('valid_defaults.yaml') }), {}).values).toEqual(manifestDefaults);
  });

  it('returns a frozen configuration', () => {
    const config = loadConfig(cli({ config: fixture('valid_values.yaml') }), {});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.values)).toBe(true);
  });
});

describe('the config file', () => {
  it('takes config_module values over the defaults, and one connector per evse_manager connection, in order', () => {
    const config: ModuleConfig = loadConfig(cli({ config: fixture('valid_values.yaml') }), {});
    expect(config.values).toEqual({ ...manifestDefaults, reserve_connector_zero_supported: true, connectors: 7, evse_manager_call_timeout_ms: 2500 });
    expect(config.evseManagers).toEqual([
      { moduleId: 'evse_manager_1', implId: 'evse' },
      { moduleId: 'evse_manager_2', implId: 'evse' },
      { moduleId: 'evse_manager_3', implId: 'evse' },
    ]);
    // With connections, `connectors` is not used.
    expect(config.evseCount).toBe(3);
  });

  it('reads the entry of the module id given with --module, and only that one', () => {
    const config = loadConfig(cli({ config: fixture('valid_other_id.yaml'), module: 'reservation_b' }), {});
    expect(config.moduleId).toBe('reservation_b');
    expect(config.values).toMatchObject({ connectors: 5, reservations_enabled: false });
    expect(config.evseCount).toBe(5);
  });

  it('reports a wrong type, an out-of-range value and an unknown key together, naming the file', () => {
    const file = fixture('broken_values.yaml');
    const message = configError(cli({ config: file }));
    const problems = message.split('\n').slice(1);
    expect(problems).toHaveLength(4);
    for (const problem of problems) expect(problem).toContain(file);
    expect(message).toMatch(/reservations_enabled must be boolean/);
    expect(message).toMatch(/connectors must be >= 1/);
    expect(message).toMatch(/evse_manager_call_timeout_ms must be integer/);
    expect(message).toMatch(/unknown parameter reserve_connecter_zero_supported: did you mean reserve_connector_zero_supported\?/);
  });

  it.each([
    ['conectors', 'connectors'],
    ['Connectors', 'connectors'],
    ['reservation_enabled', 'reservations_enabled'],
    ['persistance_file', 'persistence_file'],
    ['evse_manager_call_timeout', 'evse_manager_call_timeout_ms'],
  ])('names the closest known parameter for a misspelt %s', (typo, meant) => {
    const file = path.join(tmp, `typo-${typo}.yaml`);
    writeFileSync(file, stringify({ active_modules: { reservation: { module: 'Reservation', config_module: { [typo]: 1 } } } }));
    expect(configError(cli({ config: file }))).toContain(`${file}: unknown parameter ${typo}: did you mean ${meant}?`);
  });

  it('lists the parameters when an unknown one is close to none of them', () => {
    const file = path.join(tmp, 'typo-colour.yaml');
    writeFileSync(file, stringify({ active_modules: { reservation: { module: 'Reservation', config_module: { colour: 'red' } } } }));
    const message = configError(cli({ config: file }));
    expect(message).toContain('unknown parameter colour (config_module takes reservations_enabled, reserve_connector_zero_supported, connectors,');
    expect(message).not.toContain('did you mean');
  });

  it('reports a module id the file has no entry for, naming the file and the id', () => {
    const file = fixture('missing_module.yaml');
    const message = configError(cli({ config: file }));
    expect(message).toContain(file);
    expect(message).toContain('active_modules has no entry for module id "reservation"');
  });

  it.each([
    ['has no active_modules', 'missing_active_modules.yaml', /has no active_modules mapping/],
    ['is not valid YAML', 'broken_yaml.yaml', /config file .*broken_yaml\.yaml: /],
    ['does not exist', 'no_such_file.yaml', /no_such_file\.yaml: ENOENT/],
  ])('reports a file that %s, naming it', (_what, name, pattern) => {
    expect(configError(cli({ config: fixture(name) }))).toMatch(pattern);
  });

  it('reports every bad evse_manager connection, and a requirement the manifest does not have', () => {
    const file = fixture('broken_connections.yaml');
    const problems = configError(cli({ config: file })).split('\n').slice(1);
    expect(problems).toEqual([
      expect.stringContaining('connections.auth: the manifest requires no auth'),
      expect.stringContaining('connections.evse_manager[1] repeats evse_manager_1/evse'),
      expect.stringContaining('connections.evse_manager[2] needs module_id and implementation_id, each a plain topic level'),
      expect.stringContaining('connections.evse_manager[3] needs module_id and implementation_id, each a plain topic level'),
    ]);
    for (const problem of problems) expect(problem).toContain(file);
  });

  it('reports an evse_manager connection that is not a list', () => {
    expect(configError(cli({ config: fixture('broken_connections_not_list.yaml') }))).toContain('connections.evse_manager must be a list');
  });

  it('accepts 128 EVSE managers and refuses 129, as the manifest allows', () => {
    const write = (count: number): string => {
      const file = path.join(tmp, `evse-${count}.yaml`);
      const evse_manager = Array.from({ length: count }, (_, i) => ({ module_id: `evse_${i + 1}`, implementation_id: 'evse' }));
      writeFileSync(file, stringify({ active_modules: { reservation: { module: 'Reservation', connections: { evse_manager } } } }));
      return file;
    };
    expect(loadConfig(cli({ config: write(128) }), {}).evseCount).toBe(128);
    expect(configError(cli({ config: write(129) }))).toContain('connections.evse_manager has 129 entries; the manifest allows 0 to 128');
  });

  it('reports problems of the file and of the command line in the same error', () => {
    const message = configError(cli({ config: fixture('broken_values.yaml'), prefix: 'no-slash', mqttCa: path.join(tmp, 'missing-ca.pem') }));
    expect(message.split('\n').slice(1)).toHaveLength(6);
  });
});

describe('MQTT settings', () => {
  it('reports TLS files that do not exist, naming each', () => {
    const ca = path.join(tmp, 'missing-ca.pem');
    const key = path.join(tmp, 'missing-key.pem');
    const message = configError(cli({ mqttUrl: 'mqtts://broker:8883', mqttCa: ca }), { MQTT_KEY_FILE: key });
    expect(message).toContain(`TLS ca file ${ca} cannot be read`);
    expect(message).toContain(`TLS key file ${key} cannot be read`);
  });

  it('reads the TLS files that exist', () => {
    const ca = path.join(tmp, 'ca.pem');
    writeFileSync(ca, 'not really a certificate');
    const config = loadConfig(cli({ mqttUrl: 'mqtts://broker:8883', mqttCa: ca }), {});
    expect(config.mqtt.tls?.ca?.toString()).toBe('not really a certificate');
  });

  it('prefers the command line over the environment, and user and password in the URL over MQTT_USERNAME / MQTT_PASSWORD', () => {
    const env = { MQTT_URL: 'mqtt://env-broker:1883', EVEREST_PREFIX: 'env/', MQTT_USERNAME: 'env-user', MQTT_PASSWORD: 'env-pass' };
    expect(loadConfig(cli(), env)).toMatchObject({ prefix: 'env/', mqtt: { url: 'mqtt://env-broker:1883', urlGiven: true, username: 'env-user', password: 'env-pass' } });
    const config = loadConfig(cli({ mqttUrl: 'mqtt://cli%20user:p%40ss@cli-broker:1883', prefix: 'cli/' }), env);
    expect(config).toMatchObject({ prefix: 'cli/', mqtt: { url: 'mqtt://cli%20user:p%40ss@cli-broker:1883', username: 'cli user', password: 'p@ss' } });
  });

  it.each([
    ['a URL that is not one', 'not a url'],
    ['another protocol', 'http://broker:80'],
  ])('reports %s', (_what, mqttUrl) => {
    expect(configError(cli({ mqttUrl }))).toContain('MQTT URL');
  });
});

describe('LOG_FORMAT', () => {
  it('is json or pretty when set, absent otherwise (main.ts then asks whether stdout is a terminal)', () => {
    expect(loadConfig(cli(), {}).logFormat).toBeUndefined();
    expect(loadConfig(cli(), { LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(loadConfig(cli(), { LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(configError(cli(), { LOG_FORMAT: 'text' })).toContain('LOG_FORMAT "text" is not one of json, pretty');
  });
});

describe('RESERVATION_OPTIMIZE_FOR', () => {
  it('takes size or speed, and names itself when it is anything else', () => {
    expect(() => loadConfig(cli(), { RESERVATION_OPTIMIZE_FOR: 'size' })).not.toThrow();
    expect(() => loadConfig(cli(), { RESERVATION_OPTIMIZE_FOR: 'speed' })).not.toThrow();
    expect(() => loadConfig(cli(), { RESERVATION_OPTIMIZE_FOR: 'fast' })).toThrow(/RESERVATION_OPTIMIZE_FOR "fast" is not one of size, speed/);
  });

  it("keeps V8's default flags unless size is asked for", () => {
    expect(optimizesForSize({})).toBe(false);
    expect(optimizesForSize({ RESERVATION_OPTIMIZE_FOR: 'speed' })).toBe(false);
    expect(optimizesForSize({ RESERVATION_OPTIMIZE_FOR: 'size' })).toBe(true);
  });
});

describe('the token path (issue 27)', () => {
  it('reads token_providers and token_validators in config order, and none when not connected', () => {
    const file = path.join(tmp, 'token-path.yaml');
    const connections = {
      token_providers: [
        { module_id: 'rfid_reader', implementation_id: 'main' },
        { module_id: 'ocpp', implementation_id: 'auth_provider' },
      ],
      token_validators: [{ module_id: 'ocpp', implementation_id: 'auth_validator' }],
    };
    writeFileSync(file, stringify({ active_modules: { reservation: { module: 'Reservation', connections } } }));
    const config = loadConfig(cli({ config: file }), {});
    expect(config.tokenProviders).toEqual([
      { moduleId: 'rfid_reader', implId: 'main' },
      { moduleId: 'ocpp', implId: 'auth_provider' },
    ]);
    expect(config.tokenValidators).toEqual([{ moduleId: 'ocpp', implId: 'auth_validator' }]);
    expect(loadConfig(cli(), {}).tokenProviders).toEqual([]);
  });

  it('refuses a provider named twice, or one without a plain module id, naming the requirement', () => {
    const file = path.join(tmp, 'token-path-bad.yaml');
    const reader = { module_id: 'rfid_reader', implementation_id: 'main' };
    writeFileSync(file, stringify({ active_modules: { reservation: { module: 'Reservation', connections: { token_providers: [reader, reader], token_validators: [{ module_id: 'a/b', implementation_id: 'x' }] } } } }));
    const message = configError(cli({ config: file }));
    expect(message).toContain('connections.token_providers[1] repeats rfid_reader/main');
    expect(message).toContain('connections.token_validators[0] needs module_id and implementation_id');
  });

  it('shows the wiring in examples/everest-token-path.yaml: every provider and validator to the module, Auth only to the module', () => {
    const file = path.join(root, 'examples', 'everest-token-path.yaml');
    const config = loadConfig(cli({ config: file }), {});
    expect(config.tokenProviders.map((c) => `${c.moduleId}.${c.implId}`)).toEqual(['rfid_reader.main', 'ocpp.auth_provider', 'evse_manager_1.token_provider', 'evse_manager_2.token_provider']);
    expect(config.tokenValidators.map((c) => `${c.moduleId}.${c.implId}`)).toEqual(['ocpp.auth_validator']);
    const modules = (parse(readFileSync(file, 'utf8')) as { active_modules: Record<string, { connections?: Record<string, Array<{ module_id: string; implementation_id: string }>> }> }).active_modules;
    const auth = modules.auth?.connections ?? {};
    expect(auth.token_provider).toEqual([{ module_id: 'reservation', implementation_id: 'token_provider' }]);
    expect(auth.token_validator).toEqual([{ module_id: 'reservation', implementation_id: 'token_validator' }]);
  });
});
