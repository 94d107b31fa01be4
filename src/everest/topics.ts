// EVerest topic names. Every topic built from received data goes through isPlainTopicLevel first.

/** Longer levels are refused: EVerest module ids are short, and MQTT.js throws on huge topics. */
export const MAX_TOPIC_LEVEL_LENGTH = 256;

// mosquitto drops the connection on topics with these: wildcards, the level separator,
// NUL and other control characters, and Unicode non-characters.
const FORBIDDEN_IN_LEVEL = /[/+#\u0000-\u001f\u007f-\u009f\ufdd0-\ufdef\ufffe\uffff]|[\u{1fffe}\u{1ffff}\u{2fffe}\u{2ffff}\u{3fffe}\u{3ffff}\u{4fffe}\u{4ffff}\u{5fffe}\u{5ffff}\u{6fffe}\u{6ffff}\u{7fffe}\u{7ffff}\u{8fffe}\u{8ffff}\u{9fffe}\u{9ffff}\u{afffe}\u{affff}\u{bfffe}\u{bffff}\u{cfffe}\u{cffff}\u{dfffe}\u{dffff}\u{efffe}\u{effff}\u{ffffe}\u{fffff}\u{10fffe}\u{10ffff}]/u;

/** True if `level` can stand as one level of a topic we publish to. */
export function isPlainTopicLevel(level: unknown): level is string {
  return (
    typeof level === 'string' &&
    level.length > 0 &&
    level.length <= MAX_TOPIC_LEVEL_LENGTH &&
    level.isWellFormed() &&
    !FORBIDDEN_IN_LEVEL.test(level)
  );
}

/** A prefix is empty or plain levels each followed by '/', like EVerest's default `everest/`. */
export function isValidPrefix(prefix: string): boolean {
  if (prefix === '') return true;
  if (!prefix.endsWith('/')) return false;
  return prefix.slice(0, -1).split('/').every(isPlainTopicLevel);
}

/** MQTT topic filter matching: `+` one level, `#` the rest (the parent level included). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The module id in a topic under `{prefix}modules/{id}/`, or undefined. */
export function moduleIdOf(prefix: string, topic: string): string | undefined {
  const head = `${prefix}modules/`;
  if (!topic.startsWith(head)) return undefined;
  const id = topic.slice(head.length).split('/', 1)[0];
  return id === undefined || id === '' ? undefined : id;
}

/** EVerest's `reservation` interface (manifest `provides.main`): reserve_now, cancel_reservation. */
export const MAIN_IMPL_ID = 'main';
/** This module's own `reservation_status` interface: exists_reservation, list_reservations, var reservation_end. */
export const STATUS_IMPL_ID = 'status';
/** The token path (manifest provides): the gate's auth_token_provider, and the auth_token_validator in front of the real validators. */
export const TOKEN_PROVIDER_IMPL_ID = 'token_provider';
export const TOKEN_VALIDATOR_IMPL_ID = 'token_validator';

export function moduleTopic(prefix: string, moduleId: string): string {
  return `${prefix}modules/${moduleId}`;
}

export function implTopic(prefix: string, moduleId: string, implId: string): string {
  return `${moduleTopic(prefix, moduleId)}/impl/${implId}`;
}

export function cmdTopic(prefix: string, moduleId: string, implId: string, cmd: string): string {
  return `${implTopic(prefix, moduleId, implId)}/cmd/${cmd}`;
}

/** Where a provider answers a call from `origin`; origin must have passed isPlainTopicLevel. */
export function responseTopic(commandTopic: string, origin: string): string {
  return `${commandTopic}/response/${origin}`;
}

export function varTopic(prefix: string, moduleId: string, implId: string, name: string): string {
  return `${implTopic(prefix, moduleId, implId)}/var/${name}`;
}

export function errorTopic(prefix: string, moduleId: string, implId: string, errorType: string): string {
  return `${implTopic(prefix, moduleId, implId)}/error/${errorType}`;
}

export function readyTopic(prefix: string, moduleId: string): string {
  return `${moduleTopic(prefix, moduleId)}/ready`;
}

/** Retained online/offline status, with the MQTT last will saying offline. */
export function statusTopic(prefix: string, moduleId: string): string {
  return `${moduleTopic(prefix, moduleId)}/status`;
}

/** Retained operator snapshot of reservations and connector states (not an EVerest topic). */
export function snapshotTopic(prefix: string, moduleId: string): string {
  return `${moduleTopic(prefix, moduleId)}/snapshot`;
}

/** One event per token the token path narrowed or refused, for operators (not an EVerest topic, not retained). */
export function tokenEventsTopic(prefix: string, moduleId: string): string {
  return `${moduleTopic(prefix, moduleId)}/token_events`;
}

// The EVerest manager's topics (spec/everest-manager.md).

/** Where a module asks the manager for its config (framework >= 0.19). */
export function configRequestTopic(prefix: string): string {
  return `${prefix}config/request`;
}

/** Where the manager answers a module's config request. */
export function configResponseTopic(prefix: string, moduleId: string): string {
  return `${moduleTopic(prefix, moduleId)}/response`;
}

/** GlobalReady: every module of the manager's run is ready. */
export function globalReadyTopic(prefix: string): string {
  return `${prefix}ready`;
}

/** Retained by the manager while it boots, cleared after GlobalReady (module id -> module name). */
export function moduleNamesTopic(prefix: string): string {
  return `${prefix}module_names`;
}
