// One registry for everything the integration harness starts (brokers, module processes,
// probes): whatever a test starts is cleaned up after that test, whatever a beforeAll starts
// after the file, and every child process is SIGKILLed if the worker exits anyway.
//
// Importing this module (every support module does) installs root-level jest hooks in the
// importing test file, so a test file needs no teardown code of its own.
import type { ChildProcess } from 'node:child_process';

export type Scope = 'test' | 'file';

interface Entry {
  label: string;
  scope: Scope;
  cleanup: () => Promise<void> | void;
}

const entries: Entry[] = [];
const children = new Set<ChildProcess>();
let inTest = false;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`'s value, or `undefined` once `ms` have passed (the timer never outlives the race). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The scope a resource created now belongs to: 'test' inside a test or beforeEach, else 'file'. */
export function currentScope(): Scope {
  return inTest ? 'test' : 'file';
}

/**
 * Registers a cleanup to run after the current test (or after the file, when called from
 * beforeAll). Returns a function that unregisters it (for a resource stopped explicitly).
 */
export function track(label: string, cleanup: () => Promise<void> | void, scope: Scope = currentScope()): () => void {
  const entry: Entry = { label, scope, cleanup };
  entries.push(entry);
  return () => {
    const index = entries.indexOf(entry);
    if (index >= 0) entries.splice(index, 1);
  };
}

/** A child process to SIGKILL if the worker exits while it still runs. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Runs the cleanups of `scope` ('file' runs every one), newest first; reports every failure. */
export async function cleanup(scope: Scope): Promise<void> {
  const due = entries.filter((e) => scope === 'file' || e.scope === 'test').reverse();
  for (const entry of due) entries.splice(entries.indexOf(entry), 1);
  const failures: string[] = [];
  for (const entry of due) {
    try {
      await entry.cleanup();
    } catch (err) {
      failures.push(`${entry.label}: ${(err as Error).message}`);
    }
  }
  if (failures.length > 0) throw new Error(`teardown failed:\n  ${failures.join('\n  ')}`);
}

process.once('exit', () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

if (typeof beforeEach === 'function' && typeof afterEach === 'function' && typeof afterAll === 'function') {
  beforeEach(() => {
    inTest = true;
  });
  afterEach(async () => {
    inTest = false;
    await cleanup('test');
  });
  afterAll(async () => {
    await cleanup('file');
  });
}
