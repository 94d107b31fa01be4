// deploy/systemd/: the service runs unprivileged and hardened, keeps its state where its config
// says, and its example settings are ones the module reads. .ci/run also runs
// `systemd-analyze verify` on the unit (deploy/systemd/verify.sh).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config/load';

const root = path.join(__dirname, '..', '..', '..');
const dir = path.join(root, 'deploy', 'systemd');
const read = (file: string): string => readFileSync(path.join(dir, file), 'utf8');

/** Each section's directives, in order; a directive given twice keeps both values. */
function parseUnit(text: string): Map<string, Array<[string, string]>> {
  const sections = new Map<string, Array<[string, string]>>();
  let current: Array<[string, string]> | undefined;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(trimmed);
    if (section) {
      current = [];
      sections.set(section[1] as string, current);
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (!current || eq < 0) throw new Error(`not a directive: ${line}`);
    current.push([trimmed.slice(0, eq), trimmed.slice(eq + 1)]);
  }
  return sections;
}

const unit = parseUnit(read('reservation.service'));
const values = (section: string, key: string): string[] => (unit.get(section) ?? []).filter(([k]) => k === key).map(([, v]) => v);
const value = (section: string, key: string): string | undefined => values(section, key).at(-1);

/** KEY=value lines of an environment file, comments and blank lines skipped. */
function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('reservation.service', () => {
  it('runs as its own unprivileged user', () => {
    expect(value('Service', 'DynamicUser') === 'yes' || (value('Service', 'User') ?? 'root') !== 'root').toBe(true);
    expect(value('Service', 'CapabilityBoundingSet')).toBe('');
  });

  it('is hardened: no privileges to gain, a read-only system, no homes, a private /tmp, network families only', () => {
    expect(value('Service', 'NoNewPrivileges')).toBe('yes');
    expect(value('Service', 'ProtectSystem')).toBe('strict');
    expect(value('Service', 'ProtectHome')).toBe('yes');
    expect(value('Service', 'PrivateTmp')).toBe('yes');
    expect(value('Service', 'RestrictAddressFamilies')?.split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    // V8 writes the machine code it runs: this one would stop node from starting.
    expect(value('Service', 'MemoryDenyWriteExecute')).toBeUndefined();
  });

  it('restarts on failure and starts after the broker', () => {
    expect(value('Service', 'Restart')).toBe('on-failure');
    expect(value('Unit', 'After')?.split(/\s+/)).toContain('mosquitto.service');
    expect(value('Unit', 'Wants')?.split(/\s+/)).toContain('mosquitto.service');
  });

  it('takes its settings from an EnvironmentFile and always names the broker (no embedded broker under systemd)', () => {
    expect(value('Service', 'EnvironmentFile')).toBe('/etc/everest-reservation/reservation.env');
    const exec = value('Service', 'ExecStart') ?? '';
    expect(exec).toMatch(/^\/usr\/bin\/node /);
    expect(exec).toContain('--mqtt-url ${MQTT_URL}');
    expect(exec).toContain('--config ${RESERVATION_CONFIG}');
  });

  it("keeps the example config's persistence_file in the StateDirectory, the only place it can write", () => {
    const stateDir = value('Service', 'StateDirectory');
    expect(stateDir).toBeDefined();
    const env = parseEnv(read('reservation.env'));
    const config = loadConfig({ config: path.join(dir, 'config.yaml'), module: env.RESERVATION_MODULE, help: false }, {});
    expect(path.dirname(config.values.persistence_file)).toBe(`/var/lib/${stateDir}`);
    expect(config.evseManagers).toHaveLength(2);
  });
});

describe('reservation.env', () => {
  it('sets only what the module or the unit reads', () => {
    const moduleReads = ['MQTT_URL', 'MQTT_USERNAME', 'MQTT_PASSWORD', 'MQTT_CA_FILE', 'MQTT_CERT_FILE', 'MQTT_KEY_FILE', 'EVEREST_PREFIX', 'LOG_LEVEL'];
    const unitReads = ['RESERVATION_CONFIG', 'RESERVATION_MODULE'];
    const mentioned = [...read('reservation.env').matchAll(/^#?([A-Z_]+)=/gm)].map((m) => m[1] as string);
    expect(mentioned.length).toBeGreaterThan(5);
    for (const key of mentioned) expect([...moduleReads, ...unitReads]).toContain(key);
    for (const key of unitReads) expect(value('Service', 'ExecStart')).toContain(`\${${key}}`);
  });

  it('holds settings the module accepts', () => {
    const env = parseEnv(read('reservation.env'));
    const config = loadConfig({ config: path.join(dir, 'config.yaml'), module: env.RESERVATION_MODULE, mqttUrl: env.MQTT_URL, help: false }, env);
    expect(config.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(config.prefix).toBe('everest/');
  });
});
