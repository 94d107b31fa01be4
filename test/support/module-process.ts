// The module under test as a real process: `node dist/main.js ...`, as an operator runs it.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import { track, trackChild, within } from './teardown';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The built module; RESERVATION_MAIN_JS points the harness at another build (e.g. a mutant). */
export const MAIN_JS = process.env.RESERVATION_MAIN_JS ?? path.join(REPO_ROOT, 'dist', 'main.js');

const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ModuleOptions {
  /** mqtt://127.0.0.1:<port>; passed as --mqtt-url unless undefined. */
  brokerUrl?: string;
  /** Topic prefix (--prefix); a fresh `test-<random>/` by default. */
  prefix?: string;
  /** --module; default `reservation`. */
  moduleId?: string;
  /** `config_module` of the module's entry in a generated EVerest config file (passed as --config). */
  configModule?: Record<string, unknown>;
  /** `connections` of the module's entry in the generated config file. */
  connections?: Record<string, unknown>;
  /** A whole EVerest config document to write instead (as YAML), or raw YAML text. */
  configDocument?: unknown;
  /** Skip --config (no file) even if configModule/connections are given. */
  noConfig?: boolean;
  /** Extra command-line arguments, after the generated ones. */
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Start with exactly `env` (as the EVerest manager gives it), not the test's environment plus `env`. */
  exactEnv?: boolean;
  /** Only `args`: no generated --config, --mqtt-url, --prefix, --module (brokerUrl then only watches ModuleReady). */
  bareArgs?: boolean;
  /** The script to run instead of dist/main.js (e.g. a generated EVerest module folder's index.js). */
  entry?: string;
  /** Options for node itself, before the script. */
  nodeArgs?: string[];
  /** Wait for ModuleReady (default true). */
  waitReady?: boolean;
  readyTimeoutMs?: number;
}

export interface ModuleProcess {
  child: ChildProcess;
  moduleId: string;
  prefix: string;
  /** The config file given with --config, if any. */
  configPath: string | undefined;
  /** The parsed ModuleReady message (when waitReady). */
  readyMessage: unknown;
  /** Parsed JSON log lines written to stdout so far. */
  lines(): LogLine[];
  /** stdout lines that are not JSON (there should be none). */
  otherStdout(): string[];
  stderr(): string;
  /** The first log line (already written or later) satisfying predicate; rejects after timeoutMs. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends `signal` (SIGKILL after 10 s) and resolves with the exit. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<Exit>;
  exited: Promise<Exit>;
}

/** A private prefix; under everest/ on an external broker, whose ACL grants that tree. */
export function uniquePrefix(): string {
  const unique = `test-${randomUUID().slice(0, 8)}/`;
  return process.env.TEST_MQTT_URL === undefined ? unique : `everest/${unique}`;
}

function requireBuild(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` before the integration tests`);
}

interface Prepared {
  /** node's arguments: its options, the script, the script's arguments. */
  argv: string[];
  args: string[];
  env: NodeJS.ProcessEnv;
  moduleId: string;
  prefix: string;
  configPath: string | undefined;
  cleanupFiles(): void;
}

function prepare(options: ModuleOptions): Prepared {
  if (options.entry === undefined) requireBuild();
  const moduleId = options.moduleId ?? 'reservation';
  const prefix = options.prefix ?? uniquePrefix();
  let dir: string | undefined;
  let configPath: string | undefined;
  const wantsConfig = options.configDocument !== undefined || options.configModule !== undefined || options.connections !== undefined;
  if (wantsConfig && !options.noConfig) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-config-'));
    configPath = path.join(dir, 'config.yaml');
    const document =
      options.configDocument ??
      ({
        active_modules: {
          [moduleId]: {
            module: 'Reservation',
            ...(options.configModule !== undefined ? { config_module: options.configModule } : {}),
            ...(options.connections !== undefined ? { connections: options.connections } : {}),
          },
        },
      } as const);
    writeFileSync(configPath, typeof document === 'string' ? document : stringify(document));
  }
  const args = options.bareArgs ? [...(options.args ?? [])] : [
    ...(configPath !== undefined ? ['--config', configPath] : []),
    ...(options.brokerUrl !== undefined ? ['--mqtt-url', options.brokerUrl] : []),
    '--prefix',
    prefix,
    '--module',
    moduleId,
    ...(options.args ?? []),
  ];
  const env: NodeJS.ProcessEnv = options.exactEnv ? {} : { ...process.env, LOG_LEVEL: 'debug' };
  // The module must see only what the test says, not the developer's shell.
  // LOG_FORMAT too: the harness reads the JSON lines a module writes into a pipe.
  for (const name of ['MQTT_URL', 'EVEREST_PREFIX', 'MQTT_USERNAME', 'MQTT_PASSWORD', 'MQTT_CA_FILE', 'MQTT_CERT_FILE', 'MQTT_KEY_FILE', 'LOG_FORMAT']) delete env[name];
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return {
    argv: [...(options.nodeArgs ?? []), options.entry ?? MAIN_JS, ...args],
    args,
    env,
    moduleId,
    prefix,
    configPath,
    cleanupFiles: () => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function exitPromise(child: ChildProcess): Promise<Exit> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Subscribes to the module's ready topic; resolves with a waiter once the broker acknowledged. */
async function listenForReady(brokerUrl: string, topic: string): Promise<{ ready: Promise<unknown>; close(): void }> {
  const client = mqtt.connect(brokerUrl, { clientId: `ready-watch-${randomUUID().slice(0, 8)}`, protocolVersion: 4, clean: true, reconnectPeriod: 200 });
  client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
  client.on('error', () => undefined);
  const close = (): void => void client.end(true);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cannot connect to ${brokerUrl} to watch ${topic}`)), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const ready = new Promise<unknown>((resolve) => {
      client.on('message', (t, payload) => {
        if (t !== topic) return;
        try {
          resolve(JSON.parse(payload.toString('utf8')));
        } catch {
          resolve(payload.toString('utf8'));
        }
      });
    });
    await client.subscribeAsync(topic, { qos: 2 });
    return { ready, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** Spawns the module; by default resolves once it published ModuleReady. Stopped after the test. */
export async function startModule(options: ModuleOptions): Promise<ModuleProcess> {
  const prepared = prepare(options);
  const waitReady = options.waitReady ?? true;
  if (waitReady && options.brokerUrl === undefined) throw new Error('startModule: waitReady needs brokerUrl');
  const readyTopic = `${prepared.prefix}modules/${prepared.moduleId}/ready`;
  const readyWatch = waitReady ? await listenForReady(options.brokerUrl as string, readyTopic) : undefined;

  const child = spawn(process.execPath, prepared.argv, { cwd: options.exactEnv ? os.tmpdir() : REPO_ROOT, env: prepared.env, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const exited = exitPromise(child);
  const logLines: LogLine[] = [];
  const other: string[] = [];
  let stderr = '';
  let partial = '';
  let logWaiters: Array<() => void> = [];
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      if (text.trim() === '') continue;
      try {
        logLines.push(JSON.parse(text) as LogLine);
      } catch {
        other.push(text);
      }
    }
    const waiters = logWaiters;
    logWaiters = [];
    for (const wake of waiters) wake();
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });

  let stopping: Promise<Exit> | undefined;
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const finished = await within(exited, STOP_TIMEOUT_MS);
        if (!finished) {
          child.kill('SIGKILL');
        }
      }
      const exit = await exited;
      prepared.cleanupFiles();
      return exit;
    })();
    return stopping;
  };
  track(`module ${prepared.moduleId} (${prepared.prefix})`, async () => {
    // A module that exited while nobody asked it to (a crash) fails the test that ran it.
    const unexpected = stopping === undefined && (child.exitCode !== null || child.signalCode !== null);
    const exit = await stop('SIGTERM');
    if (unexpected) {
      throw new Error(`module exited unexpectedly (code ${exit.code}, signal ${exit.signal})\nstderr: ${stderr}\nlast log lines:\n${logLines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}`);
    }
  });
  let stdoutClosed = false;
  child.stdout?.once('close', () => {
    stdoutClosed = true;
    for (const wake of logWaiters.splice(0)) wake();
  });

  const waitForLog = async (predicate: (line: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logLines.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0 || stdoutClosed) {
        const why = stdoutClosed ? 'the module closed stdout' : `none within ${timeoutMs} ms`;
        throw new Error(`no matching log line (${why}); last lines:\n${logLines.slice(-10).map((l) => JSON.stringify(l)).join('\n')}\nstderr: ${stderr}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        logWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };

  const handle: ModuleProcess = {
    child,
    moduleId: prepared.moduleId,
    prefix: prepared.prefix,
    configPath: prepared.configPath,
    readyMessage: undefined,
    lines: () => logLines.slice(),
    otherStdout: () => other.slice(),
    stderr: () => stderr,
    waitForLog,
    stop,
    exited,
  };

  if (readyWatch) {
    const timeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    try {
      const outcome =
        (await within(
          Promise.race([
            readyWatch.ready.then((message) => ({ kind: 'ready' as const, message })),
            exited.then((exit) => ({ kind: 'exited' as const, exit })),
          ]),
          timeoutMs,
        )) ?? ({ kind: 'timeout' } as const);
      if (outcome.kind === 'exited') {
        throw new Error(`module exited (${outcome.exit.code ?? outcome.exit.signal}) before ModuleReady\nstderr: ${stderr}\nstdout: ${logLines.map((l) => JSON.stringify(l)).join('\n')}`);
      }
      if (outcome.kind === 'timeout') {
        await stop('SIGKILL');
        throw new Error(`no ModuleReady on ${readyTopic} within ${timeoutMs} ms\nstderr: ${stderr}\nstdout: ${logLines.map((l) => JSON.stringify(l)).join('\n')}`);
      }
      handle.readyMessage = outcome.message;
    } finally {
      readyWatch.close();
    }
  }
  return handle;
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
  /** Parsed JSON lines of stdout. */
  lines: LogLine[];
}

/** Runs the module until it exits by itself (start-up errors); SIGKILLs it after timeoutMs. */
export async function runModuleToExit(options: ModuleOptions, timeoutMs = 15_000): Promise<RunResult> {
  const prepared = prepare(options);
  const child = spawn(process.execPath, prepared.argv, { cwd: options.exactEnv ? os.tmpdir() : REPO_ROOT, env: prepared.env, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  const untrack = track(`module run ${prepared.moduleId}`, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = exitPromise(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await exited;
  clearTimeout(timer);
  // 'exit' can come before the pipes are drained.
  await Promise.all([child.stdout, child.stderr].map((s) => (s && !s.readableEnded ? new Promise((resolve) => s.once('close', resolve)) : undefined)));
  untrack();
  prepared.cleanupFiles();
  const lines: LogLine[] = [];
  for (const text of stdout.split('\n')) {
    try {
      if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
    } catch {
      // not a log line
    }
  }
  return { ...exit, stdout, stderr, lines };
}
