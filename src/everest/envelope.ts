// EVerest's MQTT envelopes (spec/everest-mqtt.md): decoding what arrives, encoding what we send.
import { CmdError, errorObject, parseErrorObject } from './errors';
import { isPlainTopicLevel } from './topics';

/** Deeper JSON is refused before anything reads it: no EVerest payload nests this far. */
export const MAX_JSON_DEPTH = 32;
/** Keys that could reach an object's prototype when a payload is merged or spread. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_CALL_ID_LENGTH = 256;

type JsonObject = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a parsed JSON value must not be used (forbidden key, too deep), or undefined if it is fine. */
export function unsafeJsonReason(value: unknown): string | undefined {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
    for (const key of Object.keys(node)) {
      if (FORBIDDEN_KEYS.has(key)) return `forbidden key "${key}"`;
      stack.push([(node as JsonObject)[key], depth + 1]);
    }
  }
  return undefined;
}

/** JSON.parse that refuses forbidden keys and deep nesting; throws with the reason. */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const unsafe = unsafeJsonReason(value);
  if (unsafe) throw new Error(unsafe);
  return value;
}

/** parseJson, or undefined for a payload that is not safe JSON (answers and events we only read). */
export function parseJsonPayload(payload: Buffer): unknown {
  try {
    return parseJson(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}

export interface CmdCall {
  id: string;
  origin: string;
  args: JsonObject;
}

export type DecodedCmd =
  /** A call to run. */
  | { kind: 'call'; call: CmdCall }
  /** A call that can be answered, but only with this error. */
  | { kind: 'reject'; id: string; origin: string; error: CmdError }
  /** Nothing to answer to: no usable id or origin. */
  | { kind: 'drop'; reason: string };

function usableId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CALL_ID_LENGTH;
}

/** Decodes a Cmd envelope, in the framework's order: JSON, id and origin, then the call's shape. */
export function decodeCmd(payload: Buffer): DecodedCmd {
  let message: unknown;
  try {
    message = JSON.parse(payload.toString('utf8'));
  } catch {
    return { kind: 'drop', reason: 'payload is not JSON' };
  }
  const data = isObject(message) ? message.data : undefined;
  if (!isObject(data)) return { kind: 'drop', reason: 'payload has no data object' };
  if (!usableId(data.id)) return { kind: 'drop', reason: `call id is missing or not a string of 1..${MAX_CALL_ID_LENGTH} characters` };
  if (!isPlainTopicLevel(data.origin)) return { kind: 'drop', reason: 'origin is missing or not a plain topic level' };
  const { id, origin } = data;
  const reject = (reason: string): DecodedCmd => ({ kind: 'reject', id, origin, error: new CmdError('MessageParsingError', reason) });
  const unsafe = unsafeJsonReason(message);
  if (unsafe) return reject(`payload refused: ${unsafe}`);
  if ((message as JsonObject).msg_type !== 'Cmd') return reject('msg_type is not "Cmd"');
  if (!isObject(data.args)) return reject('args is missing or not an object');
  return { kind: 'call', call: { id, origin, args: data.args } };
}

export function encodeCmd(id: string, args: JsonObject, origin: string): string {
  return JSON.stringify({ msg_type: 'Cmd', data: { id, args, origin } });
}

export function encodeResult(id: string, origin: string, retval: unknown): string {
  return JSON.stringify({ msg_type: 'CmdResult', data: { type: 'result', data: { id, retval, origin } } });
}

export function encodeError(id: string, origin: string, error: CmdError): string {
  return JSON.stringify({ msg_type: 'CmdResult', data: { type: 'result', data: { id, origin, error: errorObject(error) } } });
}

/** The outcome of a command call: its result, or the error it was answered with. */
export type CallResult = { ok: true; retval: unknown } | { ok: false; error: CmdError };
export type DecodedResult = CallResult & { id: string };

/** Decodes a CmdResult (an answer to a call we made); undefined if it is not one. */
export function decodeResult(payload: Buffer): DecodedResult | undefined {
  const message = parseJsonPayload(payload);
  if (!isObject(message) || message.msg_type !== 'CmdResult' || !isObject(message.data)) return undefined;
  const result = message.data.data;
  if (!isObject(result) || !usableId(result.id)) return undefined;
  if ('error' in result) {
    const error = parseErrorObject(result.error);
    return error ? { id: result.id, ok: false, error } : undefined;
  }
  if (!('retval' in result)) return undefined;
  return { id: result.id, ok: true, retval: result.retval };
}

export function encodeVar(value: unknown): string {
  return JSON.stringify({ msg_type: 'Var', data: { data: value } });
}

/** The value of a Var envelope; undefined if it is not one. */
export function decodeVar(payload: Buffer): { value: unknown } | undefined {
  const message = parseJsonPayload(payload);
  if (!isObject(message) || message.msg_type !== 'Var' || !isObject(message.data) || !('data' in message.data)) return undefined;
  return { value: message.data.data };
}

/** A RaiseError / ClearError envelope: whether it raises, and its data; undefined if it is neither. */
export function decodeErrorEvent(payload: Buffer): { raised: boolean; data: unknown } | undefined {
  const message = parseJsonPayload(payload);
  if (!isObject(message) || (message.msg_type !== 'RaiseError' && message.msg_type !== 'ClearError')) return undefined;
  return { raised: message.msg_type === 'RaiseError', data: message.data };
}

export function encodeModuleReady(): string {
  return JSON.stringify({ msg_type: 'ModuleReady', data: true });
}

/** `{"msg_type":"<ModuleReady or GlobalReady>","data":true}` exactly. */
export function isReadyMessage(payload: Buffer, msgType: 'ModuleReady' | 'GlobalReady'): boolean {
  const message = parseJsonPayload(payload);
  return isObject(message) && message.msg_type === msgType && message.data === true;
}
