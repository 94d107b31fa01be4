// `npm run demo [-- --interface evse]`: an embedded broker, the module and two simulated EVSE
// managers, playing a short story through the module's real MQTT interface, in either EVerest
// reservation interface (connector-story.ts, evse-story.ts).
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createReservationModule } from '../app';
import { ModuleSession } from '../client/session';
import { decodeEnd, decodeSnapshot, decodeUpdate } from '../client/format';
import { loadConfig } from '../config/load';
import { startEmbeddedBroker } from '../embedded-broker';
import type { Evse } from '../generated/types';
import { createLogger } from '../log';
import type { WireInterface } from '../module/reservation-wire';
import { MqttConnection } from '../mqtt/connection';
import { connectorStory } from './connector-story';
import { EvseSimulator } from './evse-simulator';
import { evseStory } from './evse-story';
import type { Stage } from './stage';

const PREFIX = 'everest/';
const MODULE_ID = 'reservation';
const quiet = createLogger('silent');

const say = (line: string): void => console.log(line);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Per interface: the example config, what each simulated EVSE manager answers to get_evse, and the story. */
const SETUPS: Record<WireInterface, { config: string; evses: [Evse, Evse]; story: (stage: Stage) => Promise<void>; intro: string }> = {
  connector: {
    config: 'two-connectors.yaml',
    evses: [
      { id: 1, connectors: [{ id: 1, type: 'Unknown' }] },
      { id: 2, connectors: [{ id: 1, type: 'Unknown' }] },
    ],
    story: connectorStory,
    intro: 'reservation module ready (connector interface): 2 connectors, connector 1 = evse_manager_1, connector 2 = evse_manager_2',
  },
  evse: {
    config: 'two-evses.yaml',
    evses: [
      { id: 1, connectors: [{ id: 1, type: 'cCCS2' }, { id: 2, type: 'cType2' }] },
      { id: 2, connectors: [{ id: 1, type: 'cCCS2' }] },
    ],
    story: evseStory,
    intro: 'reservation module ready (evse interface): evse_manager_1 and evse_manager_2 answer get_evse',
  },
};

const USAGE = 'usage: npm run demo [-- --interface connector|evse]';

/** The interface asked for, or undefined after saying what is wrong with the arguments. */
function chosenInterface(argv: string[]): WireInterface | undefined {
  let wanted: string | undefined;
  try {
    wanted = parseArgs({ args: argv, options: { interface: { type: 'string', default: 'connector' } }, strict: true }).values.interface;
  } catch (err) {
    console.error(`demo: ${(err as Error).message}\n${USAGE}`);
    return undefined;
  }
  if (wanted === 'connector' || wanted === 'evse') return wanted;
  console.error(`demo: --interface ${JSON.stringify(wanted)} is neither connector nor evse\n${USAGE}`);
  return undefined;
}

/** Resolves once the module's snapshot shows every EVSE with the types its EVSE manager gave (the evse interface learns them after start). */
function described(session: ModuleSession, expected: Evse[]): Promise<string> {
  const shown = (evses: Evse[]): string => evses.map((e) => `EVSE ${e.id}: ${e.connectors.map((c) => c.type).join(', ')}`).join('; ');
  return new Promise((resolve) => {
    void session.onSnapshot((payload) => {
      const evses = decodeSnapshot(payload)?.evses ?? [];
      const now = shown(evses.map((e) => ({ id: e.evse_id, connectors: e.connectors.map((c) => ({ id: c.connector_id, type: c.type as Evse['connectors'][number]['type'] })) })));
      if (now === shown(expected)) resolve(now);
    });
  });
}

async function main(): Promise<void> {
  const wire = chosenInterface(process.argv.slice(2));
  if (wire === undefined) {
    process.exitCode = 2;
    return;
  }
  const setup = SETUPS[wire];
  const broker = await startEmbeddedBroker('127.0.0.1', 0);
  say(`embedded MQTT broker on ${broker.url}`);
  const config = loadConfig({ config: join(__dirname, '..', '..', 'examples', setup.config), mqttUrl: broker.url, prefix: PREFIX, module: MODULE_ID, help: false }, {});
  const evseConnection = await MqttConnection.open({ url: broker.url, clientId: 'demo-evse-managers', statusTopic: 'demo/evse-managers/status', connectTimeoutMs: 5000 }, quiet);
  const simulators = ['evse_manager_1', 'evse_manager_2'].map(
    (id, index) => new EvseSimulator(evseConnection, PREFIX, id, 'evse', (cmd, args) => say(`    ${id} <- ${cmd}(${JSON.stringify(args)})`), quiet, setup.evses[index]),
  );
  await Promise.all(simulators.map((evse) => evse.start()));

  // The module's callers (OCPP, an authorisation module) as a client session: the same envelopes.
  const session = await ModuleSession.open({ mqtt: { url: broker.url, urlGiven: true }, prefix: PREFIX, moduleId: MODULE_ID, timeoutMs: 5000, caller: 'ocpp' }, quiet);
  const learnt = wire === 'evse' ? described(session, setup.evses) : undefined;
  const module = createReservationModule({ config, log: createLogger(process.env.LOG_LEVEL ?? 'silent') });
  await module.start();
  say(setup.intro);
  if (learnt) say(`the module learnt its EVSEs: ${await learnt}`);
  say('');
  if (wire === 'connector') {
    await session.onVar('reservation_end', wire, (value) => {
      const end = decodeEnd(value);
      if (end) say(`    reservation_end: reservation ${end.reservation_id} ${end.reason}`);
    });
  } else {
    // What OCPP 2.0.1 listens to in this interface.
    await session.onVar('reservation_update', wire, (value) => {
      const update = decodeUpdate(value);
      if (update) say(`    reservation_update: reservation ${update.reservation_id} ${update.reservation_status}`);
    });
  }
  const call = async (cmd: string, args: Record<string, unknown>): Promise<unknown> => {
    const answer = await session.call(cmd, args, wire);
    return answer.ok ? answer.retval : `${answer.error.type}: ${answer.error.message}`;
  };

  await setup.story({ wire, call, evses: simulators as [EvseSimulator, EvseSimulator], say, pause });

  await Promise.all(simulators.map((evse) => evse.stop()));
  await Promise.all([session.close(), evseConnection.close()]);
  await module.stop();
  await broker.close();
  say('\ndemo finished');
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
