// Logs a person can read: pino-pretty on a terminal, JSON lines into pipes, LOG_FORMAT forcing either;
// and the JSON path never loads pino-pretty.
import { spawn, spawnSync } from 'node:child_process';
import { type Broker, startBroker } from '../support/broker';
import { MAIN_JS, REPO_ROOT, startModule, uniquePrefix } from '../support/module-process';
import { trackChild, within } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const ANSI = /\u001b\[[0-9;]*m/g;
const PRETTY_READY = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] INFO: module ready \{"module_id":"reservation",.*"connectors":1/m;
const PRETTY_COMPONENT = /^\[[^\]]+\] INFO: \[mqtt\] connected to broker \{"url":"mqtt:\/\/127\.0\.0\.1:\d+\/?"\}/m;

/** Runs the module under `script`, which gives it a pseudo-terminal as stdout; resolves with what it printed once ready. */
async function underTerminal(env: Record<string, string>): Promise<string> {
  const command = `exec node ${MAIN_JS} --mqtt-url ${broker.url} --prefix ${uniquePrefix()}`;
  const childEnv: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info', ...env };
  if (env.LOG_FORMAT === undefined) delete childEnv.LOG_FORMAT;
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: REPO_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let output = '';
  child.stdout.setEncoding('utf8');
  const ready = new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (output.includes('module ready')) resolve();
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const seen = await within(Promise.race([ready.then(() => true), exited.then(() => false)]), 15_000);
  child.kill('SIGTERM');
  await within(exited, 10_000);
  if (seen !== true) throw new Error(`the module printed no 'module ready' within 15 s:\n${output}`);
  return output.replace(ANSI, '').replace(/\r/g, '');
}

describe('log format', () => {
  it('prints pino-pretty lines (time, level, [component] message, fields) when stdout is a terminal', async () => {
    const output = await underTerminal({});
    expect(output).toMatch(PRETTY_READY);
    expect(output).toMatch(PRETTY_COMPONENT);
    expect(output).not.toMatch(/^\{"level"/m);
  });

  it('prints JSON lines on a terminal when LOG_FORMAT=json', async () => {
    const output = await underTerminal({ LOG_FORMAT: 'json' });
    const ready = output.split('\n').find((line) => line.includes('module ready'));
    expect(JSON.parse(ready as string)).toMatchObject({ level: 30, module: 'reservation', msg: 'module ready' });
  });

  it('prints JSON lines into a pipe, and pretty ones there when LOG_FORMAT=pretty', async () => {
    const piped = await startModule({ brokerUrl: broker.url });
    await piped.waitForLog((line) => line.msg === 'module ready');
    expect(piped.otherStdout()).toEqual([]);

    const pretty = await startModule({ brokerUrl: broker.url, env: { LOG_FORMAT: 'pretty' } });
    const deadline = Date.now() + 10_000;
    while (!pretty.otherStdout().some((line) => line.includes('module ready')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pretty.lines()).toEqual([]);
    expect(pretty.otherStdout().join('\n')).toMatch(PRETTY_READY);
  });

  it('refuses a LOG_FORMAT it does not know at start-up', () => {
    const run = spawnSync(process.execPath, [MAIN_JS, '--mqtt-url', broker.url], { env: { ...process.env, LOG_FORMAT: 'colour' }, encoding: 'utf8', timeout: 20_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('LOG_FORMAT "colour" is not one of json, pretty');
  });

  it('does not load pino-pretty for JSON logs (start-up cost), and does for pretty ones', () => {
    const loaded = (format: string): string => {
      const script = `const { createLogger } = require(${JSON.stringify(`${REPO_ROOT}/dist/log.js`)});
        createLogger('info', undefined, ${JSON.stringify(format)}).info('hello');
        process.stderr.write(String(Object.keys(require.cache).some((file) => file.includes('/pino-pretty/'))));`;
      return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 }).stderr;
    };
    expect(loaded('json')).toBe('false');
    expect(loaded('pretty')).toBe('true');
  });
});
