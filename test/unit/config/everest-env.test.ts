// Issue 14: what the EVerest manager hands a module (EV_* environment, a config answer over MQTT)
// turned into the module's config, with options given by hand still winning.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { CliOptions } from '../../../src/config/cli';
import { parseCli } from '../../../src/config/cli';
import { ConfigError, configSource, loadConfig } from '../../../src/config/load';
import { decodeConfigResponse, encodeConfigRequest, isGlobalReady } from '../../../src/manager/protocol';

const cli = (options: Partial<CliOptions> = {}): CliOptions => ({ help: false, ...options });
const spawned = { EV_MODULE: 'res_1', EV_MQTT_EVEREST_PREFIX: 'ev/', EV_MQTT_BROKER_HOST: 'broker.local', EV_MQTT_BROKER_PORT: '1884' };

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'everest-env-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the manager\'s environment', () => {
  it('gives the module id, prefix and broker; the config comes from the manager', () => {
    const config = loadConfig(cli(), spawned);
    expect([config.moduleId, config.prefix, config.mqtt.url, config.source, config.underManager]).toEqual(['res_1', 'ev/', 'mqtt://broker.local:1884', { kind: 'manager' }, true]);
  });

  it('prefers the Unix socket, then EV_MQTT_BROKER_HOST, then MQTT_SERVER_ADDRESS / MQTT_SERVER_PORT', () => {
    expect(loadConfig(cli(), { ...spawned, EV_MQTT_BROKER_SOCKET_PATH: '/run/mosquitto.sock' }).mqtt.url).toBe('mqtt+unix:///run/mosquitto.sock');
    expect(loadConfig(cli(), { EV_MODULE: 'r', MQTT_SERVER_ADDRESS: '10.0.0.2', MQTT_SERVER_PORT: '1885' }).mqtt.url).toBe('mqtt://10.0.0.2:1885');
    expect(loadConfig(cli(), { EV_MODULE: 'r', MQTT_SERVER_ADDRESS: '::1' }).mqtt.url).toBe('mqtt://[::1]:1883');
    expect(() => loadConfig(cli(), { ...spawned, EV_MQTT_BROKER_PORT: 'eighty' })).toThrow(/EV_MQTT_BROKER_PORT "eighty" is not a TCP port/);
  });

  it('loses to options given on the command line', () => {
    const config = loadConfig(cli({ module: 'mine', prefix: 'p/', mqttUrl: 'mqtt://127.0.0.1:2000' }), spawned);
    expect([config.moduleId, config.prefix, config.mqtt.url]).toEqual(['mine', 'p/', 'mqtt://127.0.0.1:2000']);
  });

  it('is ignored without EV_MODULE: a module started by hand keeps its own defaults', () => {
    const config = loadConfig(cli(), { MQTT_SERVER_ADDRESS: 'elsewhere', EV_MQTT_BROKER_HOST: 'elsewhere' });
    expect([config.mqtt.url, config.source, config.underManager]).toEqual(['mqtt://127.0.0.1:1883', { kind: 'defaults' }, false]);
  });

  it('with EV_CONF_FILE (framework 0.18 and older): the entry is read from that file, under the manager\'s readiness rules', () => {
    const file = path.join(tmp, 'config.yaml');
    writeFileSync(file, stringify({ active_modules: { res_1: { module: 'Reservation', config_module: { connectors: 5 } } } }));
    const config = loadConfig(cli(), { ...spawned, EV_CONF_FILE: file });
    expect([config.evseCount, config.source, config.underManager]).toEqual([5, { kind: 'file', file }, true]);
  });
});

describe('--everest', () => {
  it('asks the manager for the config and follows its readiness rules; with --config it is refused', () => {
    expect(parseCli(['--everest']).everest).toBe(true);
    expect(configSource(cli({ everest: true }), {})).toEqual({ kind: 'manager' });
    expect(loadConfig(cli({ everest: true }), {}).underManager).toBe(true);
    expect(() => loadConfig(cli({ everest: true, config: path.join(tmp, 'x.yaml') }), {})).toThrow(ConfigError);
    expect(loadConfig(cli(), {}).underManager).toBe(false);
  });
});

describe('the manager\'s config answer', () => {
  const answer = (moduleConfig: unknown, extra: Record<string, unknown> = {}): Buffer =>
    Buffer.from(JSON.stringify({ msg_type: 'GetConfigResponse', data: { type: 'Get', status: 'Ok', status_info: '', response: { type: 'Module', data: { module_config: moduleConfig } }, ...extra } }));
  const param = (name: string, value: unknown) => ({ name, value, characteristics: { datatype: 'integer', mutability: 'ReadOnly' } });

  it('is asked for exactly as the framework asks', () => {
    expect(JSON.parse(encodeConfigRequest('res_1'))).toEqual({ msg_type: 'GetConfig', data: { type: 'Get', origin: 'res_1', request: { type: 'Module' } } });
  });

  it('gives config_module from "!module" and the EVSE managers from connections, in order', () => {
    const connections = { evse_manager: [{ module_id: 'evse_b', implementation_id: 'evse' }, { module_id: 'evse_a', implementation_id: 'evse' }] };
    const decoded = decodeConfigResponse(answer({ configuration_parameters: { '!module': [param('reserve_connector_zero_supported', true)], main: [], status: [] }, connections }));
    if (decoded.kind !== 'answer') throw new Error(decoded.reason);
    const config = loadConfig(cli({ everest: true }), {}, decoded.entry);
    expect(config.values.reserve_connector_zero_supported).toBe(true);
    expect(config.evseManagers).toEqual([{ moduleId: 'evse_b', implId: 'evse' }, { moduleId: 'evse_a', implId: 'evse' }]);
  });

  it('names every problem at once: unknown and mistyped parameters, a parameter of an implementation', () => {
    const decoded = decodeConfigResponse(answer({ configuration_parameters: { '!module': [param('conectors', 2), param('connectors', 'two'), param('__proto__', 1)], main: [param('x', 1)] } }));
    if (decoded.kind !== 'answer') throw new Error(decoded.reason);
    let message = '';
    try {
      loadConfig(cli({ everest: true }), {}, decoded.entry);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('conectors');
    expect(message).toContain('/connectors must be integer');
    expect(message).toContain('__proto__');
    expect(message).toContain('unknown parameter x of implementation main');
    expect(message).toContain("the EVerest manager's config");
  });

  it('is only a Get with status Ok', () => {
    expect(decodeConfigResponse(answer({}, { status: 'Error', status_info: 'unknown module' }))).toEqual({ kind: 'not-an-answer', reason: 'type "Get", status "Error" (unknown module)' });
    expect(decodeConfigResponse(Buffer.from('')).kind).toBe('not-an-answer');
    expect(decodeConfigResponse(Buffer.from('{"msg_type":"GetConfigResponse","data":{"type":"Get","status":"Ok"}}')).kind).toBe('not-an-answer');
  });
});

describe('GlobalReady', () => {
  it('is the envelope with data true exactly', () => {
    expect(isGlobalReady(Buffer.from('{"msg_type":"GlobalReady","data":true}'))).toBe(true);
    expect(isGlobalReady(Buffer.from('{"msg_type":"GlobalReady","data":"true"}'))).toBe(false);
    expect(isGlobalReady(Buffer.from(''))).toBe(false);
  });
});
