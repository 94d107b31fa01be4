// The EVerest manager's messages (spec/everest-manager.md §2, §3), as pure functions.
import type { ManagerEntry } from '../config/load';
import { isObject, isReadyMessage, parseJsonPayload } from '../everest/envelope';

/** `{p}config/request`: the module asks for its own config. */
export function encodeConfigRequest(moduleId: string): string {
  return JSON.stringify({ msg_type: 'GetConfig', data: { type: 'Get', origin: moduleId, request: { type: 'Module' } } });
}

export type ConfigResponse = { kind: 'answer'; entry: ManagerEntry } | { kind: 'not-an-answer'; reason: string };

/**
 * The module's entry from a GetConfigResponse: `configuration_parameters["!module"]` as config_module
 * and `connections` as they are. Only `type` Get with `status` Ok is an answer.
 */
export function decodeConfigResponse(payload: Buffer): ConfigResponse {
  const message = parseJsonPayload(payload);
  if (!isObject(message) || message.msg_type !== 'GetConfigResponse' || !isObject(message.data)) {
    return { kind: 'not-an-answer', reason: 'not a GetConfigResponse envelope' };
  }
  const { type, status, status_info: statusInfo, response } = message.data;
  if (type !== 'Get' || status !== 'Ok') {
    return { kind: 'not-an-answer', reason: `type ${JSON.stringify(type)}, status ${JSON.stringify(status)}${statusInfo ? ` (${String(statusInfo)})` : ''}` };
  }
  const moduleConfig = isObject(response) && isObject(response.data) ? response.data.module_config : undefined;
  if (!isObject(moduleConfig)) return { kind: 'not-an-answer', reason: 'response.data.module_config is missing' };

  const problems: string[] = [];
  const parameters = isObject(moduleConfig.configuration_parameters) ? moduleConfig.configuration_parameters : {};
  const config_module = parameterValues(parameters['!module'], 'configuration_parameters["!module"]', problems);
  // This module's implementations take no parameters of their own.
  for (const [implId, list] of Object.entries(parameters)) {
    if (implId === '!module') continue;
    for (const name of Object.keys(parameterValues(list, `configuration_parameters.${implId}`, problems))) {
      problems.push(`unknown parameter ${name} of implementation ${implId}: its implementations take none`);
    }
  }
  return { kind: 'answer', entry: { config_module, connections: moduleConfig.connections ?? undefined, problems } };
}

/** `[{name, value, characteristics}]` as `{name: value}`. */
function parameterValues(list: unknown, where: string, problems: string[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  if (list === undefined || list === null) return values;
  if (!Array.isArray(list)) {
    problems.push(`${where} must be a list of {name, value}`);
    return values;
  }
  list.forEach((item: unknown, index) => {
    if (!isObject(item) || typeof item.name !== 'string' || !('value' in item)) {
      problems.push(`${where}[${index}] needs a name and a value`);
    } else if (Object.hasOwn(values, item.name)) {
      problems.push(`${where} names ${item.name} twice`);
    } else {
      // Defined, not assigned: a parameter named __proto__ stays a parameter (and is refused as unknown).
      Object.defineProperty(values, item.name, { value: item.value, enumerable: true, writable: true, configurable: true });
    }
  });
  return values;
}

/** `{"msg_type":"GlobalReady","data":true}` exactly. */
export function isGlobalReady(payload: Buffer): boolean {
  return isReadyMessage(payload, 'GlobalReady');
}
