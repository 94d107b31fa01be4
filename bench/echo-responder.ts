// The anchors: bare MQTT responders with the module's request/response pattern (subscribe at
// QoS 2, answer at QoS 2 on .../response/<origin>) and nothing else: no validation, no logic,
// no logging. Run as their own processes, like the module, so all pay the same costs.
// `events` mode is the fair anchor: for each cancel_reservation it also publishes a
// reservation_end-sized var at QoS 2 before answering, as the module does.
import type net from 'node:net';
import mqtt from 'mqtt';
import { cmdTopic, MAIN_IMPL_ID, STATUS_IMPL_ID, varTopic } from '../src/everest/topics';

const [url, prefix, moduleId, mode = 'bare'] = process.argv.slice(2);
if (url === undefined || prefix === undefined || moduleId === undefined || !['bare', 'events'].includes(mode)) {
  process.stderr.write('usage: echo-responder <url> <prefix> <module id> [bare|events]\n');
  process.exit(2);
}
const withEvents = mode === 'events';
const endTopic = varTopic(prefix, moduleId, STATUS_IMPL_ID, 'reservation_end');

const client = mqtt.connect(url, { clientId: `bench-echo-${mode}-${process.pid}`, protocolVersion: 4, clean: true, keepalive: 10 });
client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
client.on('message', (topic, payload) => {
  const { data } = JSON.parse(payload.toString('utf8')) as { data: { id: string; origin: string; args: { reservation_id?: number } } };
  if (withEvents && topic.endsWith('/cancel_reservation')) {
    const end = { msg_type: 'Var', data: { data: { reservation_id: data.args.reservation_id, reason: 'Cancelled' } } };
    client.publish(endTopic, JSON.stringify(end), { qos: 2 });
  }
  const answer = { msg_type: 'CmdResult', data: { type: 'result', data: { id: data.id, retval: 'Accepted', origin: moduleId } } };
  client.publish(`${topic}/response/${data.origin}`, JSON.stringify(answer), { qos: 2 });
});
client.once('connect', () => {
  client.subscribe(cmdTopic(prefix, moduleId, MAIN_IMPL_ID, '+'), { qos: 2 }, () => process.stdout.write('ready\n'));
});
process.on('SIGTERM', () => client.end(false, () => process.exit(0)));
