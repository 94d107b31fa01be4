// npm run bench's hub: the module in the evse interface with 128 EVSE managers (one simulator,
// bench/hub-simulator.ts) on the station bench/guarantee.ts measures the engine on, filled with
// as many station-wide reservations of mixed types as it accepts (up to 100); then each command,
// and each EVSE event followed by a check_start, timed one at a time at QoS 2 (EVerest's).
import type net from 'node:net';
import mqtt from 'mqtt';
import { MAIN_IMPL_ID, snapshotTopic, varTopic } from '../src/everest/topics';
import type { SessionEvent } from '../src/generated/types';
import type { Snapshot } from '../src/module/snapshot';
import type { Broker } from '../test/support/broker';
import { type Answer, BenchCaller, type Call, percentile } from './caller';
import { fmt, table } from './format';
import { fill, HUB_MAX_HELD, HUB_TYPES, hubStation, typeOrders } from './guarantee';
import { HubSimulator } from './hub-simulator';
import { measureTokenPath, type TokenPathResult, TokenPeers } from './token-path';
import { HOUR_MS, MODULE_ID } from './module';
import { cpuMs, rssMb } from './proc';

/** Rounds of each phase measured, after WARM_UP_ROUNDS unrecorded. */
const ROUNDS = 500;
/** A station-wide cancel and reserve again each set off calls to most EVSE managers: tens of ms a round. */
const STATION_WIDE_ROUNDS = 200;
const WARM_UP_ROUNDS = 50;
const SETUP_TIMEOUT_MS = 30_000;
/** A driver who reserved nothing. */
const WALK_IN = 'WALK-IN-1';

/** The table's rows, in its order. */
const ROW = {
  specificAccepted: 'reserve_now, EVSE-specific, accepted (waits for reserve)',
  specificRefused: 'reserve_now, EVSE-specific, refused (its EVSE is needed)',
  stationWideAccepted: 'reserve_now, station-wide, accepted (after a cancel)',
  stationWideRefused: 'reserve_now, station-wide, refused (station full)',
  specificCancel: 'cancel_reservation, EVSE-specific',
  stationWideCancel: 'cancel_reservation, station-wide',
  checkStart: 'check_start alone',
  unfollowed: 'a QoS 2 var nobody follows, then check_start',
  sessionStarted: 'SessionStarted (car plugged in), then check_start',
  transactionStarted: 'TransactionStarted, then check_start',
  sessionFinished: 'SessionFinished, then check_start',
} as const;
const CHECK_START_PHASE = 'check_start';
const EVENTS_PHASE = 'unfollowed var, SessionStarted, TransactionStarted, SessionFinished, each + check_start';

export interface HubRow {
  what: string;
  calls: number;
  /** Each answer and how often it came. */
  answers: Record<string, number>;
  /** One caller, one call at a time: 1 / the mean round trip. */
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

export interface HubResult {
  evses: number;
  connectors: number;
  occupied: number;
  disabledConnectors: number;
  /** Station-wide reservations held after the fill, and by type. */
  held: number;
  heldByType: Record<string, number>;
  /** What the engine alone accepts on the same station in the same order (bench/guarantee.ts). */
  engineHeld: number;
  /** Free EVSEs that accept an EVSE-specific reservation with the station full. */
  acceptingEvses: number;
  rows: HubRow[];
  /** Module CPU per round of each phase, µs. */
  cpuUsPerRound: Record<string, number>;
  /** reserve and cancel_reservation calls the EVSE managers got per round of each phase (the module keeping what they show in line). */
  evseCallsPerRound: Record<string, number>;
  /** Module CPU per EVSE event, µs: an event round less its four check_starts at the check_start phase's cost. */
  cpuUsPerEvent: number;
  /** Station-wide reservations held at the end (list_reservations), and reservation_update statuses seen while measuring. */
  heldAtEnd: number;
  updates: Record<string, number>;
  rssMb: number;
  errors: number;
  seconds: number;
  /** A card through the module's gate and validate_token through it, on the full hub (bench/token-path.ts). */
  tokenPath: TokenPathResult;
}

export interface HubDeps {
  broker: Broker;
  prefix: string;
  /** Starts the module on `prefix` with this module entry (config_module, connections), and waits for ModuleReady. */
  startModule(prefix: string, entry: Record<string, unknown>): Promise<{ pid: number; stop(): Promise<void> }>;
}

/** Resolves with the first retained-or-new snapshot that satisfies `done`. */
async function snapshotWhere(url: string, topic: string, done: (snapshot: Snapshot) => boolean): Promise<void> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-hub-snapshot-${process.pid}`, protocolVersion: 4 });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the hub's snapshot did not show the expected station within ${SETUP_TIMEOUT_MS} ms`)), SETUP_TIMEOUT_MS);
      client.on('message', (_topic, payload) => {
        if (!done(JSON.parse(payload.toString('utf8')) as Snapshot)) return;
        clearTimeout(timer);
        resolve();
      });
      void client.subscribeAsync(topic, { qos: 1 });
    });
  } finally {
    await client.endAsync();
  }
}

const key = (answer: Answer): string => (answer.error !== undefined ? `error ${JSON.stringify(answer.error)}` : JSON.stringify(answer.retval));

/** A session_event as EVerest's EvseManager sends it (with the fields the module ignores). */
function sessionEvent(event: string, details: Record<string, unknown> = {}): SessionEvent & Record<string, unknown> {
  return { event, uuid: `bench-${event}`, timestamp: new Date().toISOString(), ...details };
}

export async function measureHubModule(deps: HubDeps): Promise<HubResult> {
  const began = Date.now();
  const { broker, prefix } = deps;
  const evses = hubStation();
  const expiry = new Date(Date.now() + HOUR_MS).toISOString();
  const simulator = await HubSimulator.start(broker.url, prefix, evses);
  const peers = await TokenPeers.start(broker.url, prefix, MODULE_ID);
  const module = await deps.startModule(prefix, {
    config_module: { reservation_interface: 'evse', reserve_connector_zero_supported: true },
    connections: { evse_manager: simulator.connections, ...TokenPeers.connections },
  });
  const caller = await BenchCaller.connect(broker.url, prefix, 'bench-hub', 2);
  const updates: Record<string, number> = {};
  const watcher = await mqtt.connectAsync(broker.url, { clientId: `bench-hub-updates-${process.pid}`, protocolVersion: 4 });
  (watcher.stream as net.Socket).setNoDelay?.(true);
  let counting = false;
  watcher.on('message', (_topic, payload) => {
    const status = (JSON.parse(payload.toString('utf8')) as { data: { data: { reservation_status: string } } }).data.data.reservation_status;
    if (counting) updates[status] = (updates[status] ?? 0) + 1;
  });
  await watcher.subscribeAsync(varTopic(prefix, MODULE_ID, MAIN_IMPL_ID, 'reservation_update'), { qos: 2 });

  try {
    // Every EVSE described by get_evse, then the cars and disabled connectors of the hub.
    const snapshot = snapshotTopic(prefix, MODULE_ID);
    const typesOf = (position: number): string => (evses[position - 1]?.connectors ?? []).map((c) => c.type).join(',');
    await snapshotWhere(broker.url, snapshot, (s) => (s.evses ?? []).length === evses.length && (s.evses ?? []).every((e) => e.connectors.map((c) => c.type).join(',') === typesOf(e.evse_id)));
    const occupied = evses.flatMap((e, i) => (e.occupied ? [i + 1] : []));
    const disabled = evses.flatMap((e, i) => e.connectors.flatMap((c, at) => (c.available ? [] : [{ position: i + 1, connectorId: at + 1 }])));
    for (const position of occupied) await simulator.sessionEvent(position, sessionEvent('SessionStarted', { session_started: { reason: 'EVConnected' } }));
    for (const { position, connectorId } of disabled) await simulator.sessionEvent(position, sessionEvent('Disabled', { connector_id: connectorId }));
    // As the snapshot names them: an EVSE with every connector disabled is Unavailable, car or not.
    const stateOf = (position: number): string => {
      const evse = evses[position - 1];
      return !evse?.connectors.some((c) => c.available) ? 'Unavailable' : evse.occupied ? 'Occupied' : 'Available';
    };
    await snapshotWhere(
      broker.url,
      snapshot,
      (s) =>
        (s.evses ?? []).every((e) => e.state === stateOf(e.evse_id)) &&
        (s.evses ?? []).flatMap((e) => e.connectors).filter((c) => c.state === 'Unavailable').length === disabled.length,
    );

    const one = async (call: Call): Promise<{ ms: number; answer: Answer }> => {
      const { latenciesMs, answers } = await caller.timed(MODULE_ID, [call], 1);
      return { ms: latenciesMs[0] as number, answer: answers[0] as Answer };
    };
    const reserve = (reservationId: number, connectorType: string, evseId?: number): Call => ({
      cmd: 'reserve_now',
      args: { request: { reservation_id: reservationId, id_token: `TOKEN-${reservationId}`, expiry_time: expiry, connector_type: connectorType, ...(evseId !== undefined ? { evse_id: evseId } : {}) } },
      expect: 'Accepted',
    });
    const cancel = (reservationId: number): Call => ({ cmd: 'cancel_reservation', args: { reservation_id: reservationId }, expect: true });
    const checkStart = (evseId: number): Call => ({ cmd: 'check_start', impl: 'status', args: { request: { evse_id: evseId, id_token: WALK_IN } }, expect: { allowed: true } });

    // Station-wide reservations in the order bench/guarantee.ts fills the same station, until every type is refused.
    const held: Array<{ id: number; type: string }> = [];
    const nextOrder = typeOrders();
    let nextId = 1;
    while (held.length < HUB_MAX_HELD) {
      let accepted = false;
      for (const type of nextOrder()) {
        const id = nextId++;
        if ((await one(reserve(id, type))).answer.retval === 'Accepted') {
          held.push({ id, type });
          accepted = true;
          break;
        }
      }
      if (!accepted) break;
    }
    const heldByType: Record<string, number> = {};
    for (const { type } of held) heldByType[type] = (heldByType[type] ?? 0) + 1;

    // The free EVSEs an EVSE-specific reservation can take with the station full, and those it cannot.
    const firstAvailable = (position: number): string => evses[position - 1]?.connectors.find((c) => c.available)?.type as string;
    const free = evses.flatMap((e, i) => (!e.occupied && e.connectors.some((c) => c.available) ? [i + 1] : []));
    const accepting: number[] = [];
    const refusing: number[] = [];
    for (const position of free) {
      const id = nextId++;
      if ((await one(reserve(id, firstAvailable(position), position))).answer.retval === 'Accepted') {
        accepting.push(position);
        await one(cancel(id));
      } else refusing.push(position);
    }
    if (accepting.length === 0) throw new Error('no free EVSE of the full hub accepts an EVSE-specific reservation');

    const samples = new Map<string, { ms: number[]; answers: Answer[]; expected: unknown[] }>();
    const record = (what: string, ms: number, answer: Answer, expected: unknown): void => {
      const row = samples.get(what) ?? { ms: [], answers: [], expected: [] };
      row.ms.push(ms);
      row.answers.push(answer);
      row.expected.push(expected);
      samples.set(what, row);
    };
    /** Runs `calls` one at a time and records each under the name `names[i]` gives it. */
    const sequence = async (calls: Call[], names: string[], recorded: boolean): Promise<void> => {
      const { latenciesMs, answers } = await caller.timed(MODULE_ID, calls, 1);
      if (recorded) calls.forEach((call, i) => record(names[i] as string, latenciesMs[i] as number, answers[i] as Answer, call.expect));
    };
    /** From the EVSE manager's QoS 2 publish to check_start's answer. */
    const afterEvent = async (what: string, publish: () => Promise<void>, position: number, recorded: boolean): Promise<void> => {
      const begin = process.hrtime.bigint();
      await publish(); // once the broker has it, the module gets it before check_start (one queue per client)
      const { answer } = await one(checkStart(position));
      if (recorded) record(what, Number(process.hrtime.bigint() - begin) / 1e6, answer, { allowed: true });
    };
    const cpuUsPerRound: Record<string, number> = {};
    const evseCallsPerRound: Record<string, number> = {};
    const evseCalls = (): number => simulator.served.reserve + simulator.served.cancel_reservation;
    const phase = async (name: string, run: (rounds: number, recorded: boolean) => Promise<void>, rounds = ROUNDS): Promise<void> => {
      await run(WARM_UP_ROUNDS, false);
      const [cpuBefore, callsBefore] = [cpuMs(module.pid), evseCalls()];
      await run(rounds, true);
      cpuUsPerRound[name] = ((cpuMs(module.pid) - cpuBefore) * 1000) / rounds;
      evseCallsPerRound[name] = (evseCalls() - callsBefore) / rounds;
    };

    counting = true;
    await phase('EVSE-specific reserve_now + cancel_reservation', async (rounds, recorded) => {
      const calls = Array.from({ length: rounds }, (_, i) => {
        const position = accepting[i % accepting.length] as number;
        const id = nextId++;
        return [reserve(id, firstAvailable(position), position), cancel(id)];
      }).flat();
      await sequence(calls, calls.map((c) => (c.cmd === 'reserve_now' ? ROW.specificAccepted : ROW.specificCancel)), recorded);
    });
    if (refusing.length > 0) {
      await phase('EVSE-specific reserve_now refused', async (rounds, recorded) => {
        const calls = Array.from({ length: rounds }, (_, i) => {
          const position = refusing[i % refusing.length] as number;
          return { ...reserve(nextId++, firstAvailable(position), position), expect: 'Occupied' };
        });
        await sequence(calls, calls.map(() => ROW.specificRefused), recorded);
      });
    }
    await phase('station-wide reserve_now refused', async (rounds, recorded) => {
      const calls = Array.from({ length: rounds }, (_, i) => ({ ...reserve(nextId++, HUB_TYPES[i % HUB_TYPES.length] as string), expect: 'Occupied' }));
      await sequence(calls, calls.map(() => ROW.stationWideRefused), recorded);
    });
    await phase('station-wide cancel_reservation + reserve_now', async (rounds, recorded) => {
      // Each held one cancelled and its type reserved again under a new id: the station stays full.
      const calls = Array.from({ length: rounds }, (_, i) => {
        const slot = held[i % held.length] as { id: number; type: string };
        const cancelled = slot.id;
        slot.id = nextId++;
        return [cancel(cancelled), reserve(slot.id, slot.type)];
      }).flat();
      await sequence(calls, calls.map((c) => (c.cmd === 'reserve_now' ? ROW.stationWideAccepted : ROW.stationWideCancel)), recorded);
    }, STATION_WIDE_ROUNDS);
    await phase(CHECK_START_PHASE, async (rounds, recorded) => {
      const calls = Array.from({ length: rounds }, (_, i) => checkStart(accepting[i % accepting.length] as number));
      await sequence(calls, calls.map(() => ROW.checkStart), recorded);
    });
    await phase(EVENTS_PHASE, async (rounds, recorded) => {
      for (let i = 0; i < rounds; i++) {
        // A car comes and goes at a free EVSE the station-wide reservations can spare: nothing ends.
        const position = accepting[i % accepting.length] as number;
        await afterEvent(ROW.unfollowed, () => simulator.unfollowedVar(position), position, recorded);
        await afterEvent(ROW.sessionStarted, () => simulator.sessionEvent(position, sessionEvent('SessionStarted', { session_started: { reason: 'EVConnected' } })), position, recorded);
        const idTag = { id_token: { value: WALK_IN, type: 'ISO14443' }, authorization_status: 'Accepted' };
        await afterEvent(ROW.transactionStarted, () => simulator.sessionEvent(position, sessionEvent('TransactionStarted', { transaction_started: { id_tag: idTag, meter_value: { energy_Wh_import: { total: 0 } } } })), position, recorded);
        await afterEvent(ROW.sessionFinished, () => simulator.sessionEvent(position, sessionEvent('SessionFinished')), position, recorded);
      }
    });
    counting = false;
    const tokenPath = await measureTokenPath({
      peers,
      caller,
      moduleId: MODULE_ID,
      positions: accepting,
      evseCount: evses.length,
      moduleCpuMs: () => cpuMs(module.pid),
      carAt: (position, plugged) => simulator.sessionEvent(position, plugged ? sessionEvent('SessionStarted', { session_started: { reason: 'EVConnected' } }) : sessionEvent('SessionFinished')),
    });

    const list = await one({ cmd: 'list_reservations', impl: 'status', args: {}, expect: undefined });
    const heldAtEnd = Array.isArray(list.answer.retval) ? list.answer.retval.length : Number.NaN;
    let errors = heldAtEnd === held.length ? 0 : 1;
    const order: string[] = Object.values(ROW);
    const rank = (what: string): number => order.indexOf(what);
    const rows: HubRow[] = [...samples].sort((a, b) => rank(a[0]) - rank(b[0])).map(([what, { ms, answers, expected }]) => {
      const counts: Record<string, number> = {};
      answers.forEach((answer, i) => {
        counts[key(answer)] = (counts[key(answer)] ?? 0) + 1;
        if (key(answer) !== JSON.stringify(expected[i])) errors++;
      });
      const sorted = ms.slice().sort((a, b) => a - b);
      return { what, calls: ms.length, answers: counts, callsPerSecond: (1000 * ms.length) / ms.reduce((a, b) => a + b, 0), p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    });
    return {
      evses: evses.length,
      connectors: evses.reduce((n, e) => n + e.connectors.length, 0),
      occupied: occupied.length,
      disabledConnectors: disabled.length,
      held: held.length,
      heldByType,
      engineHeld: fill(hubStation(), HUB_MAX_HELD).length,
      acceptingEvses: accepting.length,
      rows,
      cpuUsPerRound,
      evseCallsPerRound,
      cpuUsPerEvent: ((cpuUsPerRound[EVENTS_PHASE] as number) - 4 * (cpuUsPerRound[CHECK_START_PHASE] as number)) / 3,
      heldAtEnd,
      updates,
      rssMb: rssMb(module.pid),
      errors: errors + tokenPath.errors + Object.entries(updates).filter(([status]) => status !== 'Placed' && status !== 'Cancelled').reduce((n, [, count]) => n + count, 0),
      seconds: (Date.now() - began) / 1000,
      tokenPath,
    };
  } finally {
    await peers.close();
    await watcher.endAsync();
    await caller.close();
    await module.stop();
    await simulator.close();
  }
}

/** The hub's rows and what they mean, as npm run bench prints them. */
export function hubSection(hub: HubResult): string[] {
  const byType = Object.entries(hub.heldByType)
    .map(([type, n]) => `${n} ${type}`)
    .join(', ');
  return [
    `## Hub: ${hub.evses} EVSE managers, evse interface (dist/main.js, QoS 2, one call at a time)`,
    '',
    `${hub.evses} EVSEs with ${hub.connectors} connectors of four types, ${hub.occupied} with a car, ${hub.disabledConnectors} connectors disabled; ` +
      `${hub.held} station-wide reservations held when the station refused every type (${byType}; the engine alone accepts ${hub.engineHeld} in the same order); ` +
      `${hub.acceptingEvses} free EVSEs still take an EVSE-specific one. The EVSE managers are one simulator answering as EVerest's EvseManager does.`,
    '',
    table(
      ['what', 'calls', 'answers', 'per s, one at a time', 'p50 ms', 'p99 ms'],
      hub.rows.map((r) => [
        r.what,
        String(r.calls),
        Object.entries(r.answers)
          .map(([answer, n]) => `${answer} x${n}`)
          .join(', '),
        fmt(r.callsPerSecond),
        fmt(r.p50Ms, 2),
        fmt(r.p99Ms, 2),
      ]),
    ),
    '',
    `Per round of each phase, module CPU and reserve / cancel_reservation calls to the EVSE managers: ${Object.entries(hub.cpuUsPerRound)
      .map(([phase, us]) => `${phase}: ${fmt(us)} µs, ${fmt(hub.evseCallsPerRound[phase] ?? Number.NaN, 1)} calls`)
      .join('; ')}. So ~${fmt(hub.cpuUsPerEvent)} µs of module CPU per EVSE event.`,
    `Held at the end: ${hub.heldAtEnd}; reservation_update while measuring: ${Object.entries(hub.updates)
      .map(([status, n]) => `${status} x${n}`)
      .join(', ')}. Module RSS after: ${fmt(hub.rssMb)} MB. The hub took ${fmt(hub.seconds)} s.`,
    '',
  ];
}
