// One function turns CLI options, env, the EVerest config file and the manifest's defaults
// into a frozen ModuleConfig, reporting every problem in one message.
import { readFileSync } from 'node:fs';
import { isObject } from '../everest/envelope';
import { isPlainTopicLevel, isValidPrefix } from '../everest/topics';
import { validateConfig } from '../generated/config-validator';
import { configSchema, manifest } from '../generated/manifest';
import type { ModuleConfigValues } from '../generated/types';
import { LOG_LEVELS, type LogFormat, logFormatSetting } from '../log';
import { closestName } from './closest';
import { OPTIMIZE_FOR_ENV, OPTIMIZE_FOR_VALUES } from './optimize-for';
import { describeErrors } from '../schema/validate';
import type { CliOptions } from './cli';
import type { EvseLayout } from '../domain/types';
import { ConnectorTypeEnumValues } from '../generated/types';

/** One provider connected to a requirement of the module. */
export interface Connection {
  moduleId: string;
  implId: string;
}

export type EvseManagerConnection = Connection;

export interface MqttSettings {
  url: string;
  /** False when the URL is the built-in default (npm start may then bring its own broker). */
  urlGiven: boolean;
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
}

/** Where the module's entry (config_module, connections) comes from. */
export type ConfigSource = { kind: 'file'; file: string } | { kind: 'manager' } | { kind: 'defaults' };

/** A config answer of the EVerest manager, in the shape of a config file's module entry. */
export interface ManagerEntry {
  config_module: Record<string, unknown>;
  connections: unknown;
  /** What was malformed in the answer itself. */
  problems: string[];
}

export interface ModuleConfig {
  moduleId: string;
  prefix: string;
  logLevel: string;
  /** LOG_FORMAT, if set; otherwise main.ts picks pretty on a terminal and JSON elsewhere. */
  logFormat?: LogFormat;
  mqtt: MqttSettings;
  connectTimeoutMs: number;
  values: ModuleConfigValues;
  /** The EVSE at position N is evseManagers[N-1] (in the connector interface, connector N). */
  evseManagers: EvseManagerConnection[];
  /** The token path: the providers whose tokens pass the gate, in config order (none: not in the token path). */
  tokenProviders: Connection[];
  /** The token path: the validators validate_token asks, in config order (Auth's order). */
  tokenValidators: Connection[];
  /** EVSEs managed: one per EVSE manager, else one per layout of `evse_connector_types`, else the `connectors` parameter. */
  evseCount: number;
  /** Without EVSE managers, the EVSEs `evse_connector_types` describes (EVSE N at position N). */
  evseLayouts?: EvseLayout[];
  source: ConfigSource;
  /** Started by (or for) the EVerest manager: its readiness rules apply (spec/everest-manager.md §3). */
  underManager: boolean;
}

export class ConfigError extends Error {}

export const DEFAULT_MQTT_URL = 'mqtt://127.0.0.1:1883';
export const DEFAULT_PREFIX = 'everest/';
export const DEFAULT_MODULE_ID = 'reservation';
// mqtt+unix: a Unix socket path, as the EVerest manager may hand it (EV_MQTT_BROKER_SOCKET_PATH).
const MQTT_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:', 'mqtt+unix:']);

export type Env = Record<string, string | undefined>;


/**
 * --config, else EV_CONF_FILE (a module spawned by a manager of framework 0.18 or older), else the
 * manager's config answer (EV_MODULE without EV_CONF_FILE, or --everest), else the manifest's defaults.
 */
export function configSource(cli: Pick<CliOptions, 'config' | 'everest'>, env: Env): ConfigSource {
  if (cli.config !== undefined) return { kind: 'file', file: cli.config };
  if (env.EV_MODULE !== undefined && env.EV_CONF_FILE !== undefined) return { kind: 'file', file: env.EV_CONF_FILE };
  if (cli.everest || env.EV_MODULE !== undefined) return { kind: 'manager' };
  return { kind: 'defaults' };
}

/**
 * The broker the EVerest manager hands a spawned module (framework >= 0.19: EV_MQTT_BROKER_*), or the
 * manager's own MQTT_SERVER_ADDRESS / MQTT_SERVER_PORT, which its children inherit.
 */
export function managerBrokerUrl(env: Env, problems: string[]): string | undefined {
  if (env.EV_MODULE === undefined) return undefined;
  if (env.EV_MQTT_BROKER_SOCKET_PATH) return `mqtt+unix://${env.EV_MQTT_BROKER_SOCKET_PATH}`;
  const [host, port, names] = env.EV_MQTT_BROKER_HOST
    ? [env.EV_MQTT_BROKER_HOST, env.EV_MQTT_BROKER_PORT, 'EV_MQTT_BROKER_PORT']
    : [env.MQTT_SERVER_ADDRESS, env.MQTT_SERVER_PORT, 'MQTT_SERVER_PORT'];
  if (!host) return undefined;
  const portNumber = Number(port ?? 1883);
  if (!Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) {
    problems.push(`${names} ${JSON.stringify(port)} is not a TCP port`);
    return undefined;
  }
  return `mqtt://${host.includes(':') ? `[${host}]` : host}:${portNumber}`;
}

/** The module's config; `managerEntry` is the EVerest manager's answer when configSource says so. */
export function loadConfig(cli: CliOptions, env: Env, managerEntry?: ManagerEntry): ModuleConfig {
  const problems: string[] = [];
  // The manager names the module and its prefix; options given by hand still win.
  const { moduleId, prefix } = moduleAddress({ module: cli.module ?? env.EV_MODULE, prefix: cli.prefix ?? env.EV_MQTT_EVEREST_PREFIX }, env, problems);
  if (cli.everest && cli.config !== undefined) problems.push('--everest asks the EVerest manager for the config and --config reads a file: give one of them');
  const source = configSource(cli, env);
  const optimizeFor = env[OPTIMIZE_FOR_ENV];
  if (optimizeFor !== undefined && !(OPTIMIZE_FOR_VALUES as readonly string[]).includes(optimizeFor)) {
    problems.push(`${OPTIMIZE_FOR_ENV} ${JSON.stringify(optimizeFor)} is not one of ${OPTIMIZE_FOR_VALUES.join(', ')}`);
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = logFormatSetting(env.LOG_FORMAT, problems);
  const connectTimeoutS = cli.connectTimeout === undefined ? 30 : Number(cli.connectTimeout);
  if (!(connectTimeoutS > 0 && connectTimeoutS <= 3600)) problems.push(`--connect-timeout ${cli.connectTimeout} must be a number of seconds in (0, 3600]`);

  const mqtt = mqttSettings({ ...cli, mqttUrl: cli.mqttUrl ?? managerBrokerUrl(env, problems) }, env, problems);
  let where: string | undefined;
  let entry: Record<string, unknown> = {};
  if (source.kind === 'file') {
    where = `config file ${source.file}`;
    entry = moduleEntry(source.file, moduleId, problems);
  } else if (source.kind === 'manager' && managerEntry !== undefined) {
    where = "the EVerest manager's config";
    entry = { config_module: managerEntry.config_module, connections: managerEntry.connections };
    problems.push(...managerEntry.problems.map((problem) => `${where}: ${problem}`));
  }
  const values = configValues(entry.config_module, where, problems) as unknown as ModuleConfigValues;
  const connected = requiredConnections(entry.connections, where, problems);
  const evseManagers = connected.evse_manager;
  const evseLayouts = parseEvseConnectorTypes(values.evse_connector_types ?? '', (problem) => problems.push(inEntry(where, problem)));
  if (evseLayouts && evseManagers.length > 0) problems.push(inEntry(where, 'evse_connector_types describes EVSEs without EVSE managers; with evse_manager connections each get_evse tells'));

  if (problems.length > 0) throw new ConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return Object.freeze({
    moduleId,
    prefix,
    logLevel,
    ...(logFormat !== undefined ? { logFormat } : {}),
    mqtt,
    connectTimeoutMs: connectTimeoutS * 1000,
    values: Object.freeze(values),
    evseManagers,
    tokenProviders: connected.token_providers,
    tokenValidators: connected.token_validators,
    evseCount: evseManagers.length > 0 ? evseManagers.length : (evseLayouts?.length ?? values.connectors),
    ...(evseLayouts && evseManagers.length === 0 ? { evseLayouts } : {}),
    source,
    underManager: cli.everest === true || env.EV_MODULE !== undefined,
  });
}

/** The module's id and topic prefix from options and env: shared by the module and the client. */
export function moduleAddress(cli: Pick<CliOptions, 'module' | 'prefix'>, env: Env, problems: string[]): { moduleId: string; prefix: string } {
  const moduleId = cli.module ?? DEFAULT_MODULE_ID;
  if (!isPlainTopicLevel(moduleId)) problems.push(`--module ${JSON.stringify(moduleId)} is not a plain topic level`);
  const prefix = cli.prefix ?? env.EVEREST_PREFIX ?? DEFAULT_PREFIX;
  if (!isValidPrefix(prefix)) problems.push(`prefix ${JSON.stringify(prefix)} must be empty or plain topic levels each ending in '/', like everest/`);
  return { moduleId, prefix };
}

/** Broker URL, credentials and TLS files from options and env: shared by the module and the client. */
export function mqttSettings(cli: Pick<CliOptions, 'mqttUrl' | 'mqttCa' | 'mqttCert' | 'mqttKey'>, env: Env, problems: string[]): MqttSettings {
  const url = cli.mqttUrl ?? env.MQTT_URL ?? DEFAULT_MQTT_URL;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    problems.push(`MQTT URL ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed && !MQTT_PROTOCOLS.has(parsed.protocol)) problems.push(`MQTT URL protocol ${parsed.protocol} is not one of ${[...MQTT_PROTOCOLS].join(' ')}`);
  const username = parsed?.username ? decodeURIComponent(parsed.username) : env.MQTT_USERNAME;
  const password = parsed?.password ? decodeURIComponent(parsed.password) : env.MQTT_PASSWORD;
  const tls: NonNullable<MqttSettings['tls']> = {};
  const files = { ca: cli.mqttCa ?? env.MQTT_CA_FILE, cert: cli.mqttCert ?? env.MQTT_CERT_FILE, key: cli.mqttKey ?? env.MQTT_KEY_FILE };
  for (const [name, file] of Object.entries(files) as Array<[keyof typeof files, string | undefined]>) {
    if (file === undefined) continue;
    try {
      tls[name] = readFileSync(file);
    } catch (err) {
      problems.push(`TLS ${name} file ${file} cannot be read: ${(err as Error).message}`);
    }
  }
  return {
    url,
    urlGiven: cli.mqttUrl !== undefined || env.MQTT_URL !== undefined,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(Object.keys(tls).length > 0 ? { tls } : {}),
  };
}

function moduleEntry(file: string, moduleId: string, problems: string[]): Record<string, unknown> {
  let doc: unknown;
  try {
    // yaml is loaded only when there is a file to read.
    const { parse } = require('yaml') as typeof import('yaml');
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`config file ${file}: ${(err as Error).message.split('\n')[0]}`);
    return {};
  }
  const modules = isObject(doc) ? doc.active_modules : undefined;
  if (!isObject(modules)) {
    problems.push(`config file ${file}: has no active_modules mapping`);
    return {};
  }
  const entry = modules[moduleId];
  if (!isObject(entry)) {
    problems.push(`config file ${file}: active_modules has no entry for module id ${JSON.stringify(moduleId)}`);
    return {};
  }
  return entry;
}

/** A problem found in the module's entry, naming where the entry came from (a file or the manager). */
function inEntry(where: string | undefined, problem: string): string {
  return where === undefined ? problem : `${where}: ${problem}`;
}

function configValues(configModule: unknown, where: string | undefined, problems: string[]): Record<string, unknown> {
  const values = configModule === undefined || configModule === null ? {} : configModule;
  if (!isObject(values)) {
    problems.push(inEntry(where, 'config_module must be a mapping'));
    return {};
  }
  const copy = { ...values };
  if (!validateConfig(copy)) {
    for (const error of validateConfig.errors ?? []) {
      if (error.keyword === 'additionalProperties' && error.instancePath === '') {
        problems.push(inEntry(where, unknownParameter(String(error.params.additionalProperty))));
        continue;
      }
      const problem = describeErrors([error]);
      problems.push(inEntry(where, `config_module${problem.startsWith('/') ? '' : ' '}${problem}`));
    }
  }
  return copy;
}

/** `unknown parameter conectors: did you mean connectors?`, or the list of parameters when none is close. */
function unknownParameter(name: string): string {
  const known = Object.keys(configSchema.properties ?? {});
  const suggestion = closestName(name, known);
  return suggestion !== undefined
    ? `unknown parameter ${name}: did you mean ${suggestion}?`
    : `unknown parameter ${name} (config_module takes ${known.join(', ')})`;
}

type Requirement = keyof typeof manifest.requires;

/** Each requirement's connections in config order (an empty list where none is given), each checked against the manifest. */
function requiredConnections(connections: unknown, where: string | undefined, problems: string[]): Record<Requirement, Connection[]> {
  const requirements = Object.keys(manifest.requires) as Requirement[];
  const result = Object.fromEntries(requirements.map((requirement) => [requirement, [] as Connection[]])) as Record<Requirement, Connection[]>;
  if (connections === undefined || connections === null) return result;
  if (!isObject(connections)) {
    problems.push(inEntry(where, 'connections must be a mapping'));
    return result;
  }
  for (const requirement of Object.keys(connections)) {
    if (!(requirement in manifest.requires)) problems.push(inEntry(where, `connections.${requirement}: the manifest requires no ${requirement}`));
  }
  for (const requirement of requirements) result[requirement] = connectionList(connections, requirement, where, problems);
  return result;
}

function connectionList(connections: Record<string, unknown>, requirement: Requirement, where: string | undefined, problems: string[]): Connection[] {
  const list = connections[requirement] ?? [];
  if (!Array.isArray(list)) {
    problems.push(inEntry(where, `connections.${requirement} must be a list`));
    return [];
  }
  const { min_connections: min, max_connections: max } = manifest.requires[requirement];
  if (list.length < min || list.length > max) problems.push(inEntry(where, `connections.${requirement} has ${list.length} entries; the manifest allows ${min} to ${max}`));
  const seen = new Set<string>();
  return list.flatMap((item: unknown, index): Connection[] => {
    const moduleId = isObject(item) ? item.module_id : undefined;
    const implId = isObject(item) ? item.implementation_id : undefined;
    if (!isPlainTopicLevel(moduleId) || !isPlainTopicLevel(implId)) {
      problems.push(inEntry(where, `connections.${requirement}[${index}] needs module_id and implementation_id, each a plain topic level`));
      return [];
    }
    // One EVSE manager per EVSE, one subscription per provider: the same one twice would count its events twice.
    if (seen.has(`${moduleId}/${implId}`)) problems.push(inEntry(where, `connections.${requirement}[${index}] repeats ${moduleId}/${implId}`));
    seen.add(`${moduleId}/${implId}`);
    return [{ moduleId, implId }];
  });
}

/**
 * `evse_connector_types`: EVSEs separated by ';', their connectors' types by ',' (EVSE N, connector
 * M counting from 1). Undefined when empty.
 */
export function parseEvseConnectorTypes(text: string, problem: (message: string) => void): EvseLayout[] | undefined {
  if (text.trim() === '') return undefined;
  const evses = text.split(';').map((part) => part.split(',').map((type) => type.trim()));
  const most = manifest.requires.evse_manager.max_connections;
  if (evses.length > most) problem(`evse_connector_types describes ${evses.length} EVSEs; at most ${most}`);
  return evses.map((types, index) => {
    types.forEach((type, at) => {
      if (!(ConnectorTypeEnumValues as readonly string[]).includes(type)) {
        const known = closestName(type, ConnectorTypeEnumValues);
        problem(`evse_connector_types: EVSE ${index + 1} connector ${at + 1}: ${JSON.stringify(type)} is not a connector type${known ? ` (did you mean ${known}?)` : ''}`);
      }
    });
    return { id: index + 1, connectors: types.map((type, at) => ({ id: at + 1, type })) };
  });
}
