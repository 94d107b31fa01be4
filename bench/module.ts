// The module as the bench runs it: started as the service runs it (its environment, its config
// file, LOG_LEVEL info) and timed to ModuleReady, and the reserve_now and cancel_reservation calls
// every row family sends it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { stringify } from 'yaml';
import type { Broker } from '../test/support/broker';
import { track, trackChild } from '../test/support/teardown';
import type { Call } from './caller';

export const ROOT = path.resolve(__dirname, '..');
export const MODULE_ID = 'reservation';
export const HOUR_MS = 3_600_000;
/** Calls in flight at once where a row measures throughput. */
export const IN_FLIGHT_WINDOW = 64;

export interface Process {
  child: ChildProcess;
  pid: number;
}

/**
 * The environment systemd gives the service (deploy/systemd), not this shell's: a shell's
 * NODE_EXTRA_CA_CERTS, say, makes node parse a CA bundle at every start (+100 ms, +2.4 MB here).
 * The module and the anchors run in the same one.
 */
export const SERVICE_ENV: NodeJS.ProcessEnv = Object.fromEntries(
  ['PATH', 'LANG', 'TZ', 'BENCH_PROFILE', 'RESERVATION_OPTIMIZE_FOR'].filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]),
);

function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}): Process {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...SERVICE_ENV, ...env } });
  trackChild(child);
  if (child.pid === undefined) throw new Error(`could not start ${args.join(' ')}`);
  return { child, pid: child.pid };
}

export async function stopProcess({ child }: Process): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let waiters = 0;

/** Resolves when a message arrives on `topic`; the subscription is made before `start` runs. */
async function waitForMessage(url: string, topic: string, start: () => void, timeoutMs = 15_000): Promise<void> {
  // A counter, not the time: two waits started in one millisecond would share a client id, and the broker drops the first.
  const client = await mqtt.connectAsync(url, { clientId: `bench-wait-${process.pid}-${++waiters}`, protocolVersion: 4 });
  try {
    await client.subscribeAsync(topic, { qos: 1 });
    const arrived = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing on ${topic} within ${timeoutMs} ms`)), timeoutMs);
      client.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    start();
    await arrived;
  } finally {
    await client.endAsync();
  }
}

/** A config file with the module's entry (config_module, connections). */
export function moduleConfig(entry: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-bench-'));
  track('bench config', () => rmSync(dir, { recursive: true, force: true }), 'file');
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, stringify({ active_modules: { [MODULE_ID]: { module: 'Reservation', ...entry } } }));
  return file;
}

/** Starts the module (LOG_LEVEL info, as deployed; logs to /dev/null) and the time to ModuleReady. */
export async function startModule(broker: Broker, prefix: string, config: string, entry = 'dist/main.js'): Promise<{ proc: Process; readyMs: number }> {
  let proc: Process | undefined;
  const begin = process.hrtime.bigint();
  await waitForMessage(broker.url, `${prefix}modules/${MODULE_ID}/ready`, () => {
    // BENCH_PROFILE=1 writes a V8 CPU profile of each module process to bench/results/profile/.
    const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', path.join(ROOT, 'bench', 'results', 'profile')] : [];
    proc = spawnNode([...profile, entry, '--config', config, '--mqtt-url', broker.url, '--prefix', prefix, '--module', MODULE_ID], { LOG_LEVEL: 'info' });
  });
  const readyMs = Number(process.hrtime.bigint() - begin) / 1e6;
  return { proc: proc as Process, readyMs };
}

function reservationArgs(id: number, connectorId: number, expiresAtMs: number): Record<string, unknown> {
  return { connector_id: connectorId, reservation: { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: new Date(expiresAtMs).toISOString() } };
}

/** reserve_now for ids [firstId, firstId+count) on connectors [firstConnector, ...). */
export function reserveCalls(firstId: number, firstConnector: number, count: number, expiresAtMs: number): Call[] {
  return Array.from({ length: count }, (_, i) => ({ cmd: 'reserve_now', args: reservationArgs(firstId + i, firstConnector + i, expiresAtMs), expect: 'Accepted' }));
}

export function cancelCalls(firstId: number, count: number): Call[] {
  return Array.from({ length: count }, (_, i) => ({ cmd: 'cancel_reservation', args: { reservation_id: firstId + i }, expect: true }));
}
