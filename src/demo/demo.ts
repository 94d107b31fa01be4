// `npm run demo`: an embedded broker, the module and two simulated EVSE managers, playing a
// short story through the module's real MQTT interface.
import { join } from 'node:path';
import { loadConfig } from '../config/load';
import { createReservationModule } from '../app';
import { startEmbeddedBroker } from '../embedded-broker';
import { decodeVar } from '../everest/envelope';
import { varTopic } from '../everest/topics';
import { implOfCmd, implOfVar } from '../generated/manifest';
import { createLogger } from '../log';
import { CommandCaller } from '../mqtt/caller';
import { MqttConnection } from '../mqtt/connection';
import { EvseSimulator } from './evse-simulator';

const PREFIX = 'everest/';
const MODULE_ID = 'reservation';
const quiet = createLogger('silent');

function inSeconds(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
}

const say = (line: string): void => console.log(line);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const broker = await startEmbeddedBroker('127.0.0.1', 0);
  say(`embedded MQTT broker on ${broker.url}`);
  const config = loadConfig(
    { config: join(__dirname, '..', '..', 'examples', 'two-connectors.yaml'), mqttUrl: broker.url, prefix: PREFIX, module: MODULE_ID, help: false },
    {},
  );
  const module = createReservationModule({ config, log: createLogger(process.env.LOG_LEVEL ?? 'silent') });
  await module.start();
  say(`reservation module ready: 2 connectors, connector 1 = evse_manager_1, connector 2 = evse_manager_2\n`);

  const connect = (clientId: string): Promise<MqttConnection> =>
    MqttConnection.open({ url: broker.url, clientId, statusTopic: `demo/${clientId}/status`, connectTimeoutMs: 5000 }, quiet);
  const evseConnection = await connect('demo-evse-managers');
  const evses = ['evse_manager_1', 'evse_manager_2'].map(
    (id) => new EvseSimulator(evseConnection, PREFIX, id, 'evse', (cmd, args) => say(`    ${id} <- ${cmd}(${JSON.stringify(args)})`), quiet),
  );
  await Promise.all(evses.map((evse) => evse.start()));
  const [evse1, evse2] = evses as [EvseSimulator, EvseSimulator];

  const ocpp = await connect('demo-ocpp');
  const caller = new CommandCaller(ocpp, { prefix: PREFIX, origin: 'ocpp', timeoutMs: 5000 }, quiet);
  const implOf = (cmd: string): string => implOfCmd[cmd] as string;
  await Promise.all(Object.keys(implOfCmd).map((cmd) => caller.prepare(MODULE_ID, implOf(cmd), cmd)));
  await ocpp.subscribe(varTopic(PREFIX, MODULE_ID, implOfVar.reservation_end as string, 'reservation_end'), 2, (payload) => {
    const end = decodeVar(payload)?.value as { reservation_id: number; reason: string };
    say(`    reservation_end: reservation ${end.reservation_id} ${end.reason}`);
  });
  const call = async (cmd: string, args: Record<string, unknown>): Promise<unknown> => {
    const answer = await caller.call(MODULE_ID, implOf(cmd), cmd, args);
    return answer.ok ? answer.retval : `${answer.error.type}: ${answer.error.message}`;
  };
  const reserve = async (connector: number, id: number, token: string, seconds: number): Promise<void> => {
    const result = await call('reserve_now', { connector_id: connector, reservation: { reservation_id: id, id_token: token, expiry_time: inSeconds(seconds) } });
    say(`> reserve connector ${connector} for ${token} for ${seconds} s (reservation ${id}): ${String(result)}`);
  };
  const exists = async (connector: number, token: string): Promise<void> => {
    say(`> may ${token} charge on connector ${connector}? ${String(await call('exists_reservation', { request: { connector_id: connector, id_token: token } }))}`);
  };

  say('1. A driver reserves connector 1 from the app.');
  await reserve(1, 1, 'ALICE', 60);
  await pause(300);
  say('\n2. Someone else tries to charge there: the reservation stands in the way.');
  await exists(1, 'BOB');
  await exists(1, 'alice');
  say('\n3. Alice arrives and starts charging with her card (tokens compare case-insensitively).');
  await evse1.sessionEvent({ event: 'SessionStarted' });
  await evse1.transactionStarted('alice');
  await pause(500);
  say('\n4. A reservation nobody uses expires.');
  await reserve(2, 2, 'CAROL', 2);
  await pause(3000);
  say('\n5. A connector faults: its reservation is cancelled and it cannot be reserved.');
  await reserve(2, 3, 'DAVE', 60);
  await pause(300);
  await evse2.inoperative(true);
  await pause(500);
  await reserve(2, 4, 'ERIN', 60);
  say(`> reservations held: ${JSON.stringify(await call('list_reservations', {}))}`);

  await Promise.all(evses.map((evse) => evse.stop()));
  caller.stop();
  await Promise.all([ocpp.close(), evseConnection.close()]);
  await module.stop();
  await broker.close();
  say('\ndemo finished');
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
