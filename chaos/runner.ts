// Runs one schedule against the built module on a real mosquitto (with persistence, restarted on
// the same port and config) and simulated EVSE managers (two in the connector interface; in the
// evse interface three that answer get_evse and keep a reservation as EVerest's EvseManager does),
// records everything it sees, and has the checker judge it at every checkpoint and at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { clientId } from '../src/app';
import { MAIN_IMPL_ID, varTopic } from '../src/everest/topics';
import { implOfVar } from '../src/generated/manifest';
import { startBroker } from '../test/support/broker';
import { EvseDouble } from '../test/support/evse-double';
import { type ModuleOptions, type ModuleProcess, startModule, uniquePrefix } from '../test/support/module-process';
import { sleep } from '../test/support/teardown';
import { CallerPeer } from './callers';
import { Checker, type Failure } from './checker';
import { describeEvent, type LogEvent } from './events';
import { EndListener } from './listener';
import { CALLERS, type Caller, type EvseEventName, type Overlapping, type Schedule, SOAK_EVSES, type Step } from './schedule';

/** How an EVSE-manager double says each event (a session by authorisation and a transaction carry a token, see execute). */
const PUBLISH: Readonly<Record<Exclude<EvseEventName, 'TransactionStarted' | 'SessionAuthorized'>, (evse: EvseDouble) => Promise<unknown>>> = {
  Enabled: (evse) => evse.enabled(),
  Disabled: (evse) => evse.disabled(),
  SessionStarted: (evse) => evse.sessionStarted(),
  SessionFinished: (evse) => evse.sessionFinished(),
  RaiseInoperative: (evse) => evse.raiseInoperative(),
  ClearInoperative: (evse) => evse.clearInoperative(),
};

const MODULE_ID = 'reservation';
/** After a restart or an outage: the module sends held ends 2 s after reconnecting; give it that and more. */
const RECOVERY_QUIET_MS = 3500;
const QUIET_MS = 1000;
const RECONNECT_TIMEOUT_MS = 30_000;

export interface RunOptions {
  /** The script run as the module (default dist/main.js); a test points it at a broken stand-in. */
  mainJs?: string;
  /** Progress lines (default: none). */
  progress?: (line: string) => void;
}

export interface RunResult {
  ok: boolean;
  failure?: Failure;
  stepsRun: number;
  durationMs: number;
  stats: Checker['stats'] & { events: number; ends: number; restarts: number; brokerRestarts: number; steps: number };
  /** The last events before the failure (or the end), for the report. */
  tail: string[];
}

/** mosquitto's complaints about the module's connection (a protocol error is a bug of ours). */
const PROTOCOL_ERROR = /disconnected due to (protocol error|malformed packet)|Protocol error|malformed/i;

/** Waits until the module has logged `count` lines with message `msg` (e.g. each EVSE manager described its EVSE). */
async function loggedAtLeast(module: ModuleProcess, msg: string, count: number, timeoutMs: number): Promise<void> {
  await module.waitForLog(() => module.lines().filter((l) => l.msg === msg).length >= count, timeoutMs);
}

export async function runSchedule(schedule: Schedule, options: RunOptions = {}): Promise<RunResult> {
  const iface = schedule.iface ?? 'connector';
  const started = Date.now();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reservation-chaos-'));
  const log: LogEvent[] = [];
  let stepIndex = -1;
  const record = (e: LogEvent): void => void log.push(e);
  const now = (): number => Date.now();
  const stepNow = (): number => stepIndex;
  const fail = (message: string): void => record({ k: 'failure', t: now(), step: stepIndex, message });

  const cleanups: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })];
  const counts = { restarts: 0, brokerRestarts: 0 };
  let checker: Checker | undefined;
  try {
    const broker = await startBroker((brokerDir) => ['persistence true', `persistence_location ${brokerDir.path}/`, 'autosave_interval 1']);
    cleanups.push(() => broker.stop());
    const prefix = uniquePrefix();
    const moduleClient = clientId(prefix, MODULE_ID);
    const listener = await EndListener.start(
      broker.url,
      {
        end: varTopic(prefix, MODULE_ID, implOfVar.reservation_end as string, 'reservation_end'),
        // reservation_update is a var of today's interface, served as impl main.
        ...(iface === 'evse' ? { update: varTopic(prefix, MODULE_ID, MAIN_IMPL_ID, 'reservation_update') } : {}),
      },
      `chaos-listener-${prefix.replace(/\W/g, '')}`,
      {
        end: (end) => record({ k: 'end', t: now(), step: stepIndex, id: end.id, reason: end.reason }),
        update: (update) => record({ k: 'update', t: now(), step: stepIndex, id: update.id, status: update.status }),
        away: (away) => record({ k: 'listener', t: now(), step: stepIndex, away }),
      },
    );
    cleanups.push(() => listener.close());
    const evse: EvseDouble[] = [];
    cleanups.push(() => Promise.all(evse.map((e) => e.probe.close())).then(() => undefined));
    if (iface === 'evse') {
      for (const [index, description] of SOAK_EVSES.entries()) {
        const double = await EvseDouble.start(broker, prefix, `evse_manager_${index + 1}`, { evse: { id: description.id, connectors: description.connectors.map((c) => ({ ...c })) } });
        double.answer({ kind: 'everest' });
        double.onServed = ({ cmd, reservationId, retval }) => record({ k: 'evse-call', t: now(), step: stepIndex, evse: index + 1, cmd, ...(reservationId !== undefined ? { reservationId } : {}), retval });
        evse.push(double);
      }
    } else {
      evse.push(await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2'));
    }
    const callers = new Map<Caller, CallerPeer>();
    for (const origin of CALLERS) callers.set(origin, await CallerPeer.start(broker.url, prefix, MODULE_ID, origin, record, stepNow));
    cleanups.push(() => Promise.all([...callers.values()].map((c) => c.close())).then(() => undefined));

    const moduleOptions: ModuleOptions = {
      brokerUrl: broker.url,
      prefix,
      moduleId: MODULE_ID,
      configModule: {
        persistence_file: path.join(dir, 'reservations.json'),
        reserve_connector_zero_supported: true,
        evse_manager_call_timeout_ms: 1000,
        ...(iface === 'evse' ? { reservation_interface: 'evse' } : {}),
      },
      connections: { evse_manager: evse.map((e) => e.connection) },
      env: { LOG_LEVEL: 'info' },
      ...(options.mainJs !== undefined ? { entry: options.mainJs } : {}),
    };
    let expectingExit = false;
    let module = undefined as unknown as ModuleProcess;
    const launch = async (): Promise<void> => {
      module = await startModule(moduleOptions);
      const current = module;
      void current.exited.then((exit) => {
        if (!expectingExit && current === module) fail(`[the module keeps running] it exited by itself (code ${exit.code}, signal ${exit.signal}); stderr: ${current.stderr().slice(-2000)}`);
      });
      // The model assumes the EVSEs' layouts known: get_evse is asked as soon as the module is ready.
      if (iface === 'evse') await loggedAtLeast(module, 'EVSE manager described its EVSE', evse.length, RECONNECT_TIMEOUT_MS);
    };
    checker = new Checker(now(), iface);
    await launch();
    cleanups.push(async () => {
      expectingExit = true;
      await module.stop('SIGTERM');
    });
    let lastRecovery = now();
    const protocolErrors = new Set<string>();
    const scanBrokerLog = (): void => {
      for (const line of broker.log().split('\n')) {
        if (line.includes(moduleClient) && PROTOCOL_ERROR.test(line) && !protocolErrors.has(line)) {
          protocolErrors.add(line);
          fail(`[no protocol error] mosquitto reports one from the module's client: ${line}`);
        }
      }
    };
    const connectedCount = (): number => module.lines().filter((l) => l.msg === 'connected to broker').length;
    const caller = (name: Caller): CallerPeer => callers.get(name) as CallerPeer;

    // The command sent around a crash, still running (wrapped: awaiting a bare promise would wait for it).
    type Running = { done: Promise<void> | undefined };
    const overlapBefore = async (o: Overlapping | undefined): Promise<Running> => {
      if (!o || o.afterMs >= 0) return { done: undefined };
      const done = caller(o.caller).run(o.command);
      await sleep(-o.afterMs);
      return { done };
    };
    const downtime = async (o: Overlapping | undefined, downMs: number, running: Running): Promise<Running> => {
      if (!o || o.afterMs < 0) {
        await sleep(downMs);
        return running;
      }
      await sleep(o.afterMs);
      const done = caller(o.caller).run(o.command);
      await sleep(Math.max(0, downMs - o.afterMs));
      return { done };
    };

    const execute = async (step: Step): Promise<void> => {
      switch (step.kind) {
        case 'call':
          return caller(step.caller).run(step.command);
        case 'evse': {
          const double = evse[step.evse - 1] as EvseDouble;
          const t0 = now();
          if (step.event !== 'TransactionStarted' && step.event !== 'SessionAuthorized') {
            await PUBLISH[step.event](double);
            record({ k: 'evse', t0, t: now(), step: stepIndex, evse: step.evse, event: step.event });
            return;
          }
          const who = { token: step.token as string, ...(step.parent !== undefined ? { parentToken: step.parent } : {}), ...(step.reservationId !== undefined ? { reservationId: step.reservationId } : {}) };
          // As published: an EVerest-like EVSE manager names the reservation it shows.
          const named = step.event === 'TransactionStarted' ? await double.transactionStarted(who) : await double.sessionStarted({ reason: 'Authorized', ...who });
          const tx = { token: who.token, ...(step.parent !== undefined ? { parent: step.parent } : {}), ...(named !== undefined ? { reservationId: named } : {}) };
          record({ k: 'evse', t0, t: now(), step: stepIndex, evse: step.evse, event: step.event, tx });
          return;
        }
        case 'evse-restart': {
          const double = evse[step.evse - 1] as EvseDouble;
          double.goDown();
          record({ k: 'evse-down', t: now(), step: stepIndex, evse: step.evse });
          await sleep(step.downMs);
          const t0 = now();
          const published = await double.comeUp();
          record({ k: 'evse-up', t: now(), step: stepIndex, evse: step.evse });
          for (const event of published) record({ k: 'evse', t0, t: now(), step: stepIndex, evse: step.evse, event });
          lastRecovery = now();
          return;
        }
        case 'module-crash': {
          const running = await overlapBefore(step.overlapping);
          expectingExit = true;
          record({ k: 'crash', t: now(), step: stepIndex, what: step.signal === 'SIGKILL' ? 'module-kill' : 'module-term' });
          const exit = await module.stop(step.signal);
          if (step.signal === 'SIGTERM' && exit.code !== 0) fail(`SIGTERM: the module exited with code ${exit.code}, signal ${exit.signal}, not 0`);
          const overlapping = await downtime(step.overlapping, step.downMs, running);
          record({ k: 'module-spawned', t: now(), step: stepIndex });
          await launch();
          expectingExit = false;
          record({ k: 'module-ready', t: now(), step: stepIndex });
          counts.restarts++;
          lastRecovery = now();
          await overlapping.done;
          return;
        }
        case 'broker-crash': {
          const before = connectedCount();
          const running = await overlapBefore(step.overlapping);
          record({ k: 'crash', t: now(), step: stepIndex, what: 'broker-kill' });
          await broker.stop('SIGKILL');
          const overlapping = await downtime(step.overlapping, step.downMs, running);
          await broker.restart();
          const deadline = now() + RECONNECT_TIMEOUT_MS;
          while (!(connectedCount() > before && [...callers.values()].every((c) => c.connected) && evse.every((e) => e.probe.client.connected))) {
            if (now() > deadline) {
              fail(`the module did not reconnect within ${RECONNECT_TIMEOUT_MS} ms after the broker restart`);
              break;
            }
            await sleep(50);
          }
          await sleep(500);
          record({ k: 'broker-up', t: now(), step: stepIndex });
          counts.brokerRestarts++;
          lastRecovery = now();
          await overlapping.done;
          return;
        }
        case 'listener-away':
          listener.away(step.ms);
          return;
        case 'evse-silent':
          evse[step.evse - 1]?.answer(step.silent ? { kind: 'silent' } : { kind: 'normal' });
          return;
        case 'wait':
          return sleep(step.ms);
        case 'checkpoint':
          return checkpoint(false);
      }
    };

    const checkpoint = async (final: boolean): Promise<void> => {
      await listener.back();
      const quiet = (final ? RECOVERY_QUIET_MS + QUIET_MS : QUIET_MS) + Math.max(0, RECOVERY_QUIET_MS - (now() - lastRecovery));
      await sleep(quiet);
      await caller('ocpp').run({ cmd: 'list_reservations' });
      await sleep(300);
      if (iface === 'evse') record({ k: 'shown', t: now(), step: stepIndex, shown: evse.map((e) => e.reservedFor ?? null) });
      record({ k: 'checkpoint', t: now(), step: stepIndex, final });
      scanBrokerLog();
    };

    for (const [i, step] of schedule.steps.entries()) {
      stepIndex = i;
      await sleep(step.gapMs);
      await execute(step);
      if (checker.feed(log)) break;
      if (i % 50 === 49) options.progress?.(`step ${i + 1}/${schedule.steps.length}, ${Math.round((now() - started) / 1000)} s, ${checker.worlds.length} possible state(s)`);
    }
    if (!checker.failure) {
      stepIndex = schedule.steps.length;
      if (iface === 'connector') evse.forEach((e) => e.answer({ kind: 'normal' }));
      await checkpoint(true);
      if (module.child.exitCode !== null || module.child.signalCode !== null) fail('[the module keeps running] it is not running at the end of the run');
      checker.feed(log);
    }
  } catch (err) {
    record({ k: 'failure', t: now(), step: stepIndex, message: `the runner could not go on: ${(err as Error).stack ?? String(err)}` });
    checker ??= new Checker(started, iface);
    checker.feed(log);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // best effort: the rest must still be cleaned up
      }
    }
  }
  const failure = checker.failure;
  const failedAt = failure ? log.findIndex((e) => e.step > failure.step) : -1;
  const end = failedAt < 0 ? log.length : failedAt;
  return {
    ok: failure === undefined,
    ...(failure ? { failure } : {}),
    stepsRun: Math.min(stepIndex + 1, schedule.steps.length),
    durationMs: Date.now() - started,
    stats: { ...checker.stats, events: log.length, ends: log.filter((e) => e.k === 'end').length, ...counts, steps: schedule.steps.length },
    tail: log.slice(Math.max(0, end - 40), end).map(describeEvent),
  };
}
