// A double of the EVerest manager, written from spec/everest-manager.md: it publishes the
// retained definition topics, answers config requests of the modules it knows, counts ModuleReady,
// publishes GlobalReady once all modules are ready (and again for every later ModuleReady, as the
// real one does), then clears the retained topics. Plain MQTT.js, no jest: `npm run manager-double`
// runs it by hand too.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse } from 'yaml';

const REPO_ROOT = path.join(__dirname, '..', '..');

interface ReceivedMessage {
  topic: string;
  raw: Buffer;
  payload: unknown;
  receivedAt: number;
}

export interface ManagedModule {
  /** `module:` of the config entry, e.g. Reservation. */
  moduleName: string;
  /** `config_module` values; the double merges in the manifest's defaults, as the manager does. */
  configModule?: Record<string, unknown>;
  connections?: Record<string, Array<{ module_id: string; implementation_id: string }>>;
  standalone?: boolean;
  /** Counted as ready from the start (a module the test does not run). */
  alreadyReady?: boolean;
}

export interface ManagerOptions {
  prefix: string;
  modules: Record<string, ManagedModule>;
  /** As the manager's --retain-topics: keep the retained topics after GlobalReady. */
  retainTopics?: boolean;
  /** The Reservation module's manifest.yaml as installed in the tree (default: this checkout's). */
  manifestFile?: string;
}

interface Manifest {
  config: Record<string, { type: string; default: unknown }>;
  provides: Record<string, unknown>;
}

function manifestOf(options: ManagerOptions): Manifest {
  return parse(readFileSync(options.manifestFile ?? path.join(REPO_ROOT, 'manifest.yaml'), 'utf8')) as Manifest;
}

const DATATYPE: Record<string, string> = { boolean: 'bool', integer: 'integer', number: 'number', string: 'string' };

export class ManagerDouble {
  /** Every ModuleReady received: module id and the raw payload. */
  readonly moduleReadies: Array<{ moduleId: string; raw: string; at: number }> = [];
  /** Times GlobalReady was published. */
  globalReadyCount = 0;
  private readonly ready = new Set<string>();
  private readonly manifest: Manifest;

  private constructor(
    private readonly client: MqttClient,
    private readonly options: ManagerOptions,
    private readonly log: (line: string) => void,
  ) {
    for (const [id, module] of Object.entries(options.modules)) if (module.alreadyReady) this.ready.add(id);
    this.manifest = manifestOf(options);
  }

  /** Connects to `url` (anonymously, MQTT 3.1.1, clean session, as the manager) and starts serving. */
  static async start(url: string, options: ManagerOptions, log: (line: string) => void = () => undefined): Promise<ManagerDouble> {
    const client = await mqtt.connectAsync(url, { clientId: `manager-double-${randomUUID().slice(0, 8)}`, protocolVersion: 4, clean: true, reconnectPeriod: 200 });
    (client.stream as net.Socket).setNoDelay?.(true);
    client.on('error', () => undefined);
    const double = new ManagerDouble(client, options, log);
    const { prefix } = options;
    // As the manager: the definitions first, retained, before any module can ask.
    for (const [topic, data] of ManagerDouble.definitions(options)) {
      await double.publish(`${prefix}${topic}`, JSON.stringify({ msg_type: 'GetConfigResponse', data }), 2, true);
    }
    client.on('message', (topic, raw) => {
      const message: ReceivedMessage = { topic, raw, payload: parseOrUndefined(raw), receivedAt: Date.now() };
      if (topic === `${prefix}config/request`) void double.answer(message);
      else if (topic.endsWith('/ready') && topic.startsWith(`${prefix}modules/`)) void double.moduleReady(message);
    });
    await client.subscribeAsync([`${prefix}config/request`, `${prefix}modules/+/ready`], { qos: 2 });
    log(`manager double on ${url}, prefix ${prefix}: waiting for ${Object.keys(options.modules).join(', ')}`);
    return double;
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }

  private async publish(topic: string, payload: string, qos: 0 | 2, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos, retain });
  }

  private static definitions(options: ManagerOptions): Array<[string, unknown]> {
    const moduleNames = Object.fromEntries(Object.entries(options.modules).map(([id, m]) => [id, m.moduleName]));
    return [
      ['interfaces', ['reservation', 'reservation_status', 'evse_manager']],
      ['types', ['reservation', 'reservation_status', 'evse_manager']],
      ['settings', { prefix: options.prefix, retain_topics: options.retainTopics === true }],
      ['manifests/Reservation', manifestOf(options)],
      ['module_names', moduleNames],
    ];
  }

  /** Marks a module the test does not run as ready (GlobalReady follows once all are). */
  async markReady(moduleId: string): Promise<void> {
    this.ready.add(moduleId);
    await this.maybeGlobalReady();
  }

  get retainedTopics(): string[] {
    return ManagerDouble.definitions(this.options).map(([topic]) => `${this.options.prefix}${topic}`);
  }

  /** The answer to a config request, as spec/everest-manager.md §2 shows it. */
  private async answer(message: ReceivedMessage): Promise<void> {
    const request = message.payload as { msg_type?: string; data?: { type?: string; origin?: string; request?: { type?: string } } };
    const moduleId = request.data?.origin;
    if (request.msg_type !== 'GetConfig' || request.data?.type !== 'Get' || request.data.request?.type !== 'Module') return;
    const module = moduleId === undefined ? undefined : this.options.modules[moduleId];
    if (moduleId === undefined || module === undefined) return; // the real manager answers unknown origins with nothing
    const values = { ...Object.fromEntries(Object.entries(this.manifest.config).map(([name, p]) => [name, p.default])), ...module.configModule };
    const parameter = (name: string, value: unknown): unknown => ({
      name,
      value,
      characteristics: { datatype: DATATYPE[this.manifest.config[name]?.type ?? ''] ?? 'string', mutability: 'ReadOnly' },
    });
    const connections = Object.fromEntries(
      Object.entries(module.connections ?? {}).map(([req, list]) => [req, list.map((c) => ({ ...c, requirement: { id: req } }))]),
    );
    const response = {
      type: 'Get',
      status: 'Ok',
      status_info: '',
      response: {
        type: 'Module',
        data: {
          module_config: {
            module_id: moduleId,
            module_name: module.moduleName,
            standalone: module.standalone === true,
            telemetry_enabled: false,
            configuration_parameters: {
              '!module': Object.entries(values).map(([name, value]) => parameter(name, value)),
              ...Object.fromEntries(Object.keys(this.manifest.provides).map((impl) => [impl, []])),
            },
            connections,
            mapping: null,
            access: null,
          },
          mappings: Object.fromEntries(Object.keys(this.options.modules).map((id) => [id, null])),
        },
      },
    };
    this.log(`answered the config request of ${moduleId}`);
    await this.publish(`${this.options.prefix}modules/${moduleId}/response`, JSON.stringify({ msg_type: 'GetConfigResponse', data: response }), 2);
  }

  private async moduleReady(message: ReceivedMessage): Promise<void> {
    const moduleId = message.topic.slice(`${this.options.prefix}modules/`.length, -'/ready'.length);
    this.moduleReadies.push({ moduleId, raw: message.raw.toString(), at: message.receivedAt });
    this.log(`ModuleReady from ${moduleId}: ${message.raw.toString()}`);
    const payload = message.payload as { msg_type?: unknown; data?: unknown };
    if (payload.msg_type !== 'ModuleReady' || payload.data !== true) return;
    const allWereReady = this.allReady();
    this.ready.add(moduleId);
    // The real manager publishes GlobalReady again for a ModuleReady after all were ready.
    if (allWereReady) await this.publishGlobalReady();
    else await this.maybeGlobalReady();
  }

  private allReady(): boolean {
    return Object.keys(this.options.modules).every((id) => this.ready.has(id));
  }

  private async maybeGlobalReady(): Promise<void> {
    if (!this.allReady() || this.globalReadyCount > 0) return;
    await this.publishGlobalReady();
    if (!this.options.retainTopics) {
      for (const topic of this.retainedTopics) await this.publish(topic, '', 0, true);
    }
  }

  private async publishGlobalReady(): Promise<void> {
    this.globalReadyCount++;
    this.log(`GlobalReady (${this.globalReadyCount})`);
    await this.publish(`${this.options.prefix}ready`, JSON.stringify({ msg_type: 'GlobalReady', data: true }), 2);
  }
}

function parseOrUndefined(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The modules of an EVerest config file's active_modules, as the double takes them. */
export function modulesOfConfig(document: unknown): Record<string, ManagedModule> {
  const active = (document as { active_modules?: Record<string, Record<string, unknown>> }).active_modules ?? {};
  return Object.fromEntries(
    Object.entries(active).map(([id, entry]) => [
      id,
      {
        moduleName: String(entry.module),
        ...(entry.config_module !== undefined ? { configModule: entry.config_module as Record<string, unknown> } : {}),
        ...(entry.connections !== undefined ? { connections: entry.connections as ManagedModule['connections'] & object } : {}),
        standalone: entry.standalone === true,
      },
    ]),
  );
}
