// Asking the EVerest manager for the module's config (spec/everest-manager.md §2), and telling a
// manager that is booting from one that already runs (§3: the retained module_names).
import type { ManagerEntry } from '../config/load';
import { configRequestTopic, configResponseTopic, moduleNamesTopic } from '../everest/topics';
import type { Logger } from '../log';
import type { MqttConnection } from '../mqtt/connection';
import { decodeConfigResponse, encodeConfigRequest } from './protocol';

/** The request is not retained: one sent before the manager subscribed is lost, so it is sent again. */
export const CONFIG_REQUEST_INTERVAL_MS = 2000;
/** How long after the answer a retained module_names may still arrive. */
export const BOOT_CHECK_MS = 1000;

export interface ManagerHandshake {
  entry: ManagerEntry;
  /** The manager is booting (module_names retained): ModuleReady is due. False: it already runs. */
  managerBooting: boolean;
}

export interface HandshakeOptions {
  prefix: string;
  moduleId: string;
  requestIntervalMs?: number;
  bootCheckMs?: number;
}

export async function requestManagerConfig(connection: MqttConnection, options: HandshakeOptions, log: Logger): Promise<ManagerHandshake> {
  const { prefix, moduleId, requestIntervalMs = CONFIG_REQUEST_INTERVAL_MS, bootCheckMs = BOOT_CHECK_MS } = options;
  let managerBooting = false;
  let sawModuleNames: () => void = () => undefined;
  const moduleNamesSeen = new Promise<void>((resolve) => {
    sawModuleNames = resolve;
  });
  // The manager clears it with an empty retained payload: only a non-empty one says it is booting.
  await connection.subscribe(moduleNamesTopic(prefix), 2, (payload) => {
    if (payload.length === 0) return;
    managerBooting = true;
    sawModuleNames();
  });

  let answered: (entry: ManagerEntry) => void = () => undefined;
  const answer = new Promise<ManagerEntry>((resolve) => {
    answered = resolve;
  });
  const refusals = new Set<string>();
  await connection.subscribe(configResponseTopic(prefix, moduleId), 2, (payload) => {
    const response = decodeConfigResponse(payload);
    if (response.kind === 'answer') answered(response.entry);
    else if (!refusals.has(response.reason)) {
      refusals.add(response.reason);
      log.warn({ module_id: moduleId, reason: response.reason }, 'message on the config response topic is no config answer; still waiting');
    }
  });

  const request = encodeConfigRequest(moduleId);
  const send = (): void => void connection.publish(configRequestTopic(prefix), request, 2);
  send();
  log.info({ module_id: moduleId, prefix, resend_ms: requestIntervalMs }, 'waiting for the EVerest manager to answer the config request');
  const resend = setInterval(send, requestIntervalMs);
  let entry: ManagerEntry;
  try {
    entry = await answer;
  } finally {
    clearInterval(resend);
    await connection.unsubscribe(configResponseTopic(prefix, moduleId));
  }
  if (!managerBooting) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([moduleNamesSeen, new Promise<void>((resolve) => (timer = setTimeout(resolve, bootCheckMs)))]);
    clearTimeout(timer);
  }
  await connection.unsubscribe(moduleNamesTopic(prefix));
  log.info({ module_id: moduleId, manager_booting: managerBooting }, 'config received from the EVerest manager');
  return { entry, managerBooting };
}
