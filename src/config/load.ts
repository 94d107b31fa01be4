// One function turns CLI options, env, the EVerest config file and the manifest's defaults
// into a frozen ModuleConfig, reporting every problem in one message.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { isObject } from '../everest/envelope';
import { isPlainTopicLevel, isValidPrefix } from '../everest/topics';
import { configSchema, manifest } from '../generated/manifest';
import type { ModuleConfigValues } from '../generated/types';
import { LOG_LEVELS, type LogFormat, logFormatSetting } from '../log';
import { closestName } from './closest';
import { OPTIMIZE_FOR_ENV, OPTIMIZE_FOR_VALUES } from './optimize-for';
import { createAjv, describeErrors } from '../schema/validate';
import type { CliOptions } from './cli';

export interface EvseManagerConnection {
  moduleId: string;
  implId: string;
}

export interface MqttSettings {
  url: string;
  /** False when the URL is the built-in default (npm start may then bring its own broker). */
  urlGiven: boolean;
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
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
  /** Connector N is evseManagers[N-1]. */
  evseManagers: EvseManagerConnection[];
  /** Connectors managed: one per EVSE manager, else the `connectors` parameter. */
  connectorCount: number;
}

export class ConfigError extends Error {}

export const DEFAULT_MQTT_URL = 'mqtt://127.0.0.1:1883';
export const DEFAULT_PREFIX = 'everest/';
export const DEFAULT_MODULE_ID = 'reservation';
const MQTT_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:']);

export type Env = Record<string, string | undefined>;


export function loadConfig(cli: CliOptions, env: Env): ModuleConfig {
  const problems: string[] = [];
  const { moduleId, prefix } = moduleAddress(cli, env, problems);
  const optimizeFor = env[OPTIMIZE_FOR_ENV];
  if (optimizeFor !== undefined && !(OPTIMIZE_FOR_VALUES as readonly string[]).includes(optimizeFor)) {
    problems.push(`${OPTIMIZE_FOR_ENV} ${JSON.stringify(optimizeFor)} is not one of ${OPTIMIZE_FOR_VALUES.join(', ')}`);
  }
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) problems.push(`LOG_LEVEL ${JSON.stringify(logLevel)} is not one of ${LOG_LEVELS.join(', ')}`);
  const logFormat = logFormatSetting(env.LOG_FORMAT, problems);
  const connectTimeoutS = cli.connectTimeout === undefined ? 30 : Number(cli.connectTimeout);
  if (!(connectTimeoutS > 0 && connectTimeoutS <= 3600)) problems.push(`--connect-timeout ${cli.connectTimeout} must be a number of seconds in (0, 3600]`);

  const mqtt = mqttSettings(cli, env, problems);
  const entry = cli.config === undefined ? {} : moduleEntry(cli.config, moduleId, problems);
  const values = configValues(entry.config_module, cli.config, problems) as unknown as ModuleConfigValues;
  const evseManagers = evseConnections(entry.connections, cli.config, problems);

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
    connectorCount: evseManagers.length > 0 ? evseManagers.length : values.connectors,
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

/** A problem found in the config file, naming the file (only the file's sections can have them). */
function inFile(file: string | undefined, problem: string): string {
  return file === undefined ? problem : `config file ${file}: ${problem}`;
}

function configValues(configModule: unknown, file: string | undefined, problems: string[]): Record<string, unknown> {
  const values = configModule === undefined || configModule === null ? {} : configModule;
  if (!isObject(values)) {
    problems.push(`config file ${file}: config_module must be a mapping`);
    return {};
  }
  const copy = { ...values };
  const validate = createAjv({ allErrors: true, useDefaults: true }).compile(configSchema);
  if (!validate(copy)) {
    for (const error of validate.errors ?? []) {
      if (error.keyword === 'additionalProperties' && error.instancePath === '') {
        problems.push(inFile(file, unknownParameter(String(error.params.additionalProperty))));
        continue;
      }
      const problem = describeErrors([error]);
      problems.push(inFile(file, `config_module${problem.startsWith('/') ? '' : ' '}${problem}`));
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

function evseConnections(connections: unknown, file: string | undefined, problems: string[]): EvseManagerConnection[] {
  if (connections === undefined || connections === null) return [];
  if (!isObject(connections)) {
    problems.push(`config file ${file}: connections must be a mapping`);
    return [];
  }
  for (const requirement of Object.keys(connections)) {
    if (!(requirement in manifest.requires)) problems.push(inFile(file, `connections.${requirement}: the manifest requires no ${requirement}`));
  }
  const list = connections.evse_manager ?? [];
  if (!Array.isArray(list)) {
    problems.push(inFile(file, 'connections.evse_manager must be a list'));
    return [];
  }
  const { min_connections: min, max_connections: max } = manifest.requires.evse_manager;
  if (list.length < min || list.length > max) problems.push(inFile(file, `connections.evse_manager has ${list.length} entries; the manifest allows ${min} to ${max}`));
  const seen = new Set<string>();
  return list.flatMap((item: unknown, index): EvseManagerConnection[] => {
    const moduleId = isObject(item) ? item.module_id : undefined;
    const implId = isObject(item) ? item.implementation_id : undefined;
    if (!isPlainTopicLevel(moduleId) || !isPlainTopicLevel(implId)) {
      problems.push(inFile(file, `connections.evse_manager[${index}] needs module_id and implementation_id, each a plain topic level`));
      return [];
    }
    // One EVSE manager per connector: two connectors cannot share one manager's events.
    if (seen.has(`${moduleId}/${implId}`)) problems.push(inFile(file, `connections.evse_manager[${index}] repeats ${moduleId}/${implId}`));
    seen.add(`${moduleId}/${implId}`);
    return [{ moduleId, implId }];
  });
}
