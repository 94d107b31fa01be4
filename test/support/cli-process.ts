// reservation-cli as a process (node dist/bin/cli.js), as people and scripts run it; killed after the test.
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from './module-process';
import { sleep, track, trackChild } from './teardown';

export const CLI_JS = path.join(REPO_ROOT, 'dist', 'bin', 'cli.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout has a line matching `pattern`; rejects after timeoutMs. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<CliRun>;
}

/** Starts the client with `args` (and `env` on top of this process's, without MQTT_URL / EVEREST_PREFIX). */
export function spawnCli(args: string[], env: Record<string, string | undefined> = {}): CliProcess {
  const child = spawn(process.execPath, [CLI_JS, ...args], { cwd: REPO_ROOT, env: { ...process.env, MQTT_URL: undefined, EVEREST_PREFIX: undefined, ...env } });
  trackChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliRun>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  track('reservation-cli', async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async waitForLine(pattern, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const line = stdout.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return line;
        if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`);
        await sleep(50);
      }
    },
  };
}
