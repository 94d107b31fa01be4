// Readiness by the EVerest manager's rules (spec/everest-manager.md §3): subscribe to GlobalReady
// before saying ModuleReady, say it once per run of the manager, and hold vars and calls to other
// modules until the system is ready. Started without a manager, the module is ready at once.
import { encodeModuleReady } from '../everest/envelope';
import { globalReadyTopic, moduleNamesTopic, readyTopic } from '../everest/topics';
import type { Logger } from '../log';
import type { MqttConnection } from '../mqtt/connection';
import { isGlobalReady } from './protocol';

export interface ReadinessOptions {
  prefix: string;
  moduleId: string;
  underManager: boolean;
  /** False for a standalone module restarted under a manager that keeps running (it counted us already). */
  sendModuleReady: boolean;
}

export class SystemReadiness {
  private ready: boolean;
  private readonly listeners: Array<() => void> = [];
  private waiters: Array<() => void> = [];

  constructor(
    private readonly options: ReadinessOptions,
    private readonly log: Logger,
  ) {
    this.ready = !options.underManager;
  }

  /** True once vars may be published and other modules called. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Called each time the system becomes ready. */
  onReady(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Resolves at once when ready, else at the next GlobalReady. */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Announces the module on `connection`, once it serves. */
  async announce(connection: MqttConnection): Promise<void> {
    const { prefix, moduleId, underManager, sendModuleReady } = this.options;
    const sayReady = (): Promise<boolean> => connection.publish(readyTopic(prefix, moduleId), encodeModuleReady(), 2);
    if (!underManager) {
      await sayReady();
      return;
    }
    // Subscribed first: if this module is the last one, GlobalReady follows ModuleReady at once.
    await connection.subscribe(globalReadyTopic(prefix), 2, (payload) => {
      if (!isGlobalReady(payload)) return;
      if (this.ready) {
        this.log.debug({ module_id: moduleId }, 'GlobalReady again; already ready');
        return;
      }
      this.log.info({ module_id: moduleId }, 'GlobalReady: the system is ready; publishing events and calling EVSE managers from now on');
      this.becomeReady();
    });
    // A manager that starts again publishes module_names again and counts its modules anew.
    await connection.subscribe(moduleNamesTopic(prefix), 2, (payload) => {
      if (payload.length === 0 || !this.ready) return;
      this.log.info({ module_id: moduleId }, 'the EVerest manager started a new run: sending ModuleReady for it and holding events until its GlobalReady');
      this.ready = false;
      void sayReady();
    });
    if (sendModuleReady) {
      await sayReady();
      this.log.info({ module_id: moduleId }, 'ModuleReady sent; holding events and calls to EVSE managers until GlobalReady');
      return;
    }
    this.log.info(
      { module_id: moduleId },
      'the EVerest manager already runs (no retained module_names): not sending ModuleReady again, which would make it publish a second GlobalReady that stops its C++ modules; treating the system as ready',
    );
    this.becomeReady();
  }

  private becomeReady(): void {
    this.ready = true;
    for (const wake of this.waiters.splice(0)) wake();
    for (const listener of this.listeners) listener();
  }
}
