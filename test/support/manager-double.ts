// A test double of the EVerest manager, written from spec/everest-manager.md: it publishes the
// retained definition topics, answers config requests of the modules it knows, counts ModuleReady,
// publishes GlobalReady once all modules are ready (and again for every later ModuleReady, as the
// real one does), then clears the retained topics.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { Broker } from './broker';
import { REPO_ROOT } from './module-process';
import { type Collector, Probe, type ReceivedMessage } from './probe';

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
}

const MANIFEST = parse(readFileSync(path.join(REPO_ROOT, 'manifest.yaml'), 'utf8')) as {
  config: Record<string, { type: string; default: unknown }>;
  provides: Record<string, unknown>;
};
const DATATYPE: Record<string, string> = { boolean: 'bool', integer: 'integer', number: 'number', string: 'string' };

export class ManagerDouble {
  /** Every ModuleReady received: module id and the raw payload. */
  readonly moduleReadies: Array<{ moduleId: string; raw: string; at: number }> = [];
  /** Times GlobalReady was published. */
  globalReadyCount = 0;
  /** When each config answer went out, per module id. */
  readonly answeredAt: Array<{ moduleId: string; at: number }> = [];
  readonly configRequests: Collector;
  private readonly ready = new Set<string>();

  private constructor(
    readonly probe: Probe,
    private readonly options: ManagerOptions,
    configRequests: Collector,
  ) {
    this.configRequests = configRequests;
    for (const [id, module] of Object.entries(options.modules)) if (module.alreadyReady) this.ready.add(id);
  }

  static async start(broker: Broker, options: ManagerOptions): Promise<ManagerDouble> {
    const probe = await Probe.connect(broker.url, { prefix: options.prefix, origin: 'manager' });
    const { prefix } = options;
    // As the manager: the definitions first, retained, before any module can ask.
    for (const [topic, data] of ManagerDouble.definitions(options)) {
      await probe.publishRaw(`${prefix}${topic}`, JSON.stringify({ msg_type: 'GetConfigResponse', data }), 2, true);
    }
    let double: ManagerDouble | undefined;
    const pending: ReceivedMessage[] = [];
    const requests = await probe.collect(`${prefix}config/request`, 2, (message) => (double ? void double.answer(message) : pending.push(message)));
    double = new ManagerDouble(probe, options, requests);
    await probe.collect(`${prefix}modules/+/ready`, 2, (message) => void double?.moduleReady(message));
    for (const message of pending) await double.answer(message);
    return double;
  }

  private static definitions(options: ManagerOptions): Array<[string, unknown]> {
    const moduleNames = Object.fromEntries(Object.entries(options.modules).map(([id, m]) => [id, m.moduleName]));
    return [
      ['interfaces', ['reservation', 'reservation_status', 'evse_manager']],
      ['types', ['reservation', 'reservation_status', 'evse_manager']],
      ['settings', { prefix: options.prefix, retain_topics: options.retainTopics === true }],
      ['manifests/Reservation', MANIFEST],
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
    const values = { ...Object.fromEntries(Object.entries(MANIFEST.config).map(([name, p]) => [name, p.default])), ...module.configModule };
    const parameter = (name: string, value: unknown): unknown => ({
      name,
      value,
      characteristics: { datatype: DATATYPE[MANIFEST.config[name]?.type ?? ''] ?? 'string', mutability: 'ReadOnly' },
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
              ...Object.fromEntries(Object.keys(MANIFEST.provides).map((impl) => [impl, []])),
            },
            connections,
            mapping: null,
            access: null,
          },
          mappings: Object.fromEntries(Object.keys(this.options.modules).map((id) => [id, null])),
        },
      },
    };
    this.answeredAt.push({ moduleId, at: Date.now() });
    await this.probe.publishRaw(`${this.options.prefix}modules/${moduleId}/response`, JSON.stringify({ msg_type: 'GetConfigResponse', data: response }), 2);
  }

  private async moduleReady(message: ReceivedMessage): Promise<void> {
    const moduleId = message.topic.slice(`${this.options.prefix}modules/`.length, -'/ready'.length);
    this.moduleReadies.push({ moduleId, raw: message.raw.toString(), at: message.receivedAt });
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
      for (const topic of this.retainedTopics) await this.probe.publishRaw(topic, '', 0, true);
    }
  }

  private async publishGlobalReady(): Promise<void> {
    this.globalReadyCount++;
    await this.probe.publishRaw(`${this.options.prefix}ready`, JSON.stringify({ msg_type: 'GlobalReady', data: true }), 2);
  }
}
