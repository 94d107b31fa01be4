// EVerest's own manager as a process of the test: `<EVEREST_PREFIX>/bin/manager --prefix <tree>
// --config <file>`, with a config whose settings name the test's broker. The manager and every
// module it spawns share its output (stdio inherited), which the test reads. Stopped with SIGTERM
// by its pid after the test; it stops the modules it started.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Broker } from '../../support/broker';
import type { Exit } from '../../support/module-process';
import { sleep, track, trackChild, within } from '../../support/teardown';
import { everestPrefix, PREFIX_PARTS } from './prefix';
import type { Tree } from './tree';

/** The line the manager prints once every module, spawned or standalone, said ModuleReady. */
export const ALL_READY = 'All modules are initialized';

const STOP_TIMEOUT_MS = 15_000;
/** The manager colours its lines (ESC [ ... m) even into a pipe. */
const ANSI_STYLE = /\x1b\[[0-9;]*m/g;
const MAX_OUTPUT_CHARS = 4 * 1024 * 1024;

export interface Connection {
  module_id: string;
  implementation_id: string;
}

/** One entry of the config's active_modules. */
export interface ModuleEntry {
  module: string;
  standalone?: boolean;
  config_module?: Record<string, unknown>;
  connections?: Record<string, Connection[]>;
}

export type ActiveModules = Record<string, ModuleEntry>;

export interface ManagerOptions {
  tree: Tree;
  broker: Broker;
  modules: ActiveModules;
  /** Module ids for the manager's --standalone option. */
  standalone?: string[];
}

/** The manager's config: the test's broker, no telemetry, and every message checked against the tree's schemas. */
function managerConfig(broker: Broker, modules: ActiveModules): string {
  return stringify(
    {
      settings: { mqtt_broker_host: '127.0.0.1', mqtt_broker_port: broker.port, telemetry_enabled: false, validate_schema: true },
      active_modules: modules,
    },
    // The manager's config schema takes no YAML aliases (one list of connections used twice).
    { aliasDuplicateObjects: false },
  );
}

export class EverestManager {
  private text = '';
  private waiters: Array<() => void> = [];
  private stopping: Promise<Exit> | undefined;
  readonly exited: Promise<Exit>;

  private constructor(
    readonly child: ChildProcess,
    readonly configFile: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        this.text = (this.text + chunk).slice(-MAX_OUTPUT_CHARS);
        for (const wake of this.waiters.splice(0)) wake();
      });
    }
    void this.exited.then(() => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Starts the manager on `options.tree` with a config written for it; stopped after the test. */
  static start(options: ManagerOptions): EverestManager {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'everest-config-'));
    const configFile = path.join(dir, 'config.yaml');
    writeFileSync(configFile, managerConfig(options.broker, options.modules));
    const args = ['--prefix', options.tree.prefix, '--config', configFile, ...(options.standalone ?? []).flatMap((id) => ['--standalone', id])];
    // Its own process group: should the worker die, the group (its modules too) goes with it.
    const child = spawn(path.join(everestPrefix(), PREFIX_PARTS.manager), args, {
      cwd: dir,
      // The manager's environment wins over what it sets for its modules (setenv without overwrite):
      // none of the test's own EV_* or MQTT_* variables may reach it.
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...(process.env.TMPDIR !== undefined ? { TMPDIR: process.env.TMPDIR } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    trackChild(child);
    const manager = new EverestManager(child, configFile);
    track(`EVerest manager ${child.pid}`, async () => {
      await manager.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    return manager;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Everything the manager and its modules printed so far, without the manager's terminal colours. */
  output(): string {
    return this.text.replace(ANSI_STYLE, '');
  }

  /**
   * Resolves once the output holds `text` (or satisfies it, given a function); rejects (with the
   * output) if the manager exits first or after timeoutMs.
   */
  async waitFor(text: string | RegExp | ((output: string) => boolean), timeoutMs = 60_000): Promise<void> {
    const found = (): boolean => {
      const output = this.output();
      return typeof text === 'string' ? output.includes(text) : text instanceof RegExp ? text.test(output) : text(output);
    };
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (found()) return;
      const exited = this.child.exitCode !== null || this.child.signalCode !== null;
      if (exited || Date.now() > deadline) {
        const why = exited ? `the manager exited (${this.child.exitCode ?? this.child.signalCode})` : `not within ${timeoutMs} ms`;
        throw new Error(`waiting for ${typeof text === 'function' ? 'a condition' : `"${String(text)}"`} in the manager's output: ${why}. Output:\n${this.output().slice(-20_000)}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(500, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once every module said ModuleReady and the manager published GlobalReady. */
  ready(timeoutMs?: number): Promise<void> {
    return this.waitFor(ALL_READY, timeoutMs);
  }

  /**
   * SIGTERM by pid, as systemd stops it; SIGKILL to its process group if it is not gone in 15 s, or
   * if a module it spawned outlives it. Idempotent.
   */
  stop(): Promise<Exit> {
    this.stopping ??= (async () => {
      if (this.child.exitCode === null && this.child.signalCode === null) {
        process.kill(this.pid, 'SIGTERM');
        if ((await within(this.exited, STOP_TIMEOUT_MS)) === undefined) killGroup(this.pid);
      }
      const exit = await this.exited;
      for (let waited = 0; groupAlive(this.pid) && waited < STOP_TIMEOUT_MS; waited += 100) await sleep(100);
      killGroup(this.pid);
      return exit;
    })();
    return this.stopping;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number): void {
  if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
}
