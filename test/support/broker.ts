// A private mosquitto for one test file, on a free loopback port.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { BrokerDir } from './broker-dir';
import { sleep, track, trackChild, within } from './teardown';

export type { BrokerDir } from './broker-dir';

/**
 * Extra mosquitto.conf lines; or a function of the broker's own directory that returns them, for
 * lines naming a file the broker reads (`dir.copy(file)`) or writes (`dir.join(name)`).
 */
export type BrokerConfig = readonly string[] | ((dir: BrokerDir) => readonly string[]);

export interface Broker {
  port: number;
  /** mqtt://127.0.0.1:<port> */
  url: string;
  /** What mosquitto wrote on stderr (its log), most recent part. */
  log(): string;
  /** SIGTERM (or `signal`, e.g. SIGKILL for a crash), then waits for mosquitto to exit. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Stops (with `signal`, SIGTERM by default) and starts again on the same port, same config (for fault injection). */
  restart(signal?: NodeJS.Signals): Promise<void>;
}

const MOSQUITTO = process.env.MOSQUITTO_BIN ?? 'mosquitto';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_LOG_CHARS = 64 * 1024;
const BIND_ATTEMPTS = 5;

/** A port nothing listens on right now (bound to 0 on 127.0.0.1, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

class MosquittoBroker implements Broker {
  private child: ChildProcess | undefined;
  private stderr = '';
  private readonly dir = new BrokerDir();
  private readonly extraConfigLines: readonly string[];

  constructor(
    public port: number,
    config: BrokerConfig,
  ) {
    this.extraConfigLines = typeof config === 'function' ? config(this.dir) : config;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  log(): string {
    return this.stderr;
  }

  /** Starts mosquitto on this.port; rejects if it exits or does not accept connections in time. */
  async launch(): Promise<void> {
    const confPath = this.dir.join('mosquitto.conf');
    writeFileSync(
      confPath,
      [
        `listener ${this.port} 127.0.0.1`,
        'allow_anonymous true',
        // mosquitto 2.0.11 strands QoS 2 messages beyond 20 in flight (broker-facts #6).
        'max_inflight_messages 0',
        'set_tcp_nodelay true',
        'persistence false',
        'log_dest stderr',
        ...this.extraConfigLines,
        '',
      ].join('\n'),
    );
    const child = spawn(MOSQUITTO, ['-c', confPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    trackChild(child);
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-MAX_LOG_CHARS);
    });
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (spawnError) throw new Error(`cannot start ${MOSQUITTO}: ${spawnError.message}`);
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`mosquitto on port ${this.port} exited (${child.exitCode ?? child.signalCode}) during start-up:\n${this.stderr}`);
      }
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`mosquitto on port ${this.port} did not accept connections within ${READY_TIMEOUT_MS} ms:\n${this.stderr}`);
      }
      await sleep(25);
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      const exited = await within(exitOf(child).then(() => true), STOP_TIMEOUT_MS);
      if (!exited) {
        child.kill('SIGKILL');
        await exitOf(child);
      }
    }
    this.child = undefined;
  }

  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    // The port may linger for a moment; mosquitto sets SO_REUSEADDR, but retry to be sure.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launch();
        return;
      } catch (err) {
        if (attempt >= BIND_ATTEMPTS) throw err;
        await sleep(200);
      }
    }
  }

  removeDir(): void {
    this.dir.remove();
  }
}

/**
 * TEST_MQTT_URL names an external broker (e.g. the compose file's mosquitto, with credentials in
 * the URL) that every test file then shares under unique topic prefixes instead of starting its own.
 */
export const EXTERNAL_BROKER_URL = process.env.TEST_MQTT_URL;

function needsOwnBroker(why: string): Error {
  return new Error(`this test ${why}, so it needs a broker of its own: unset TEST_MQTT_URL (and have Debian's mosquitto installed) to run it`);
}

class ExternalBroker implements Broker {
  readonly port: number;

  constructor(readonly url: string) {
    this.port = Number(new URL(url).port || 1883);
  }

  log(): string {
    return `(external broker ${this.url}: its log is not available here)`;
  }

  async stop(): Promise<void> {
    throw needsOwnBroker('stops its broker');
  }

  async restart(): Promise<void> {
    throw needsOwnBroker('restarts its broker');
  }
}

/**
 * Starts a private mosquitto, stopped after the test (or the file, from beforeAll); or, with
 * TEST_MQTT_URL set, the shared external broker (which cannot take extra configuration).
 */
export async function startBroker(config: BrokerConfig = []): Promise<Broker> {
  if (EXTERNAL_BROKER_URL !== undefined) {
    if (typeof config === 'function') throw needsOwnBroker('hands its broker files');
    if (config.length > 0) throw needsOwnBroker(`configures its broker (${config.join('; ')})`);
    return new ExternalBroker(EXTERNAL_BROKER_URL);
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    const broker = new MosquittoBroker(await freePort(), config);
    try {
      await broker.launch();
    } catch (err) {
      // Most likely another process took the port between freePort() and mosquitto's bind.
      lastError = err;
      await broker.stop();
      broker.removeDir();
      continue;
    }
    track(`mosquitto :${broker.port}`, async () => {
      await broker.stop();
      broker.removeDir();
    });
    return broker;
  }
  throw lastError;
}
