// The baseline: a bare MQTT responder with the module's request/response pattern (subscribe
// at QoS 2, answer at QoS 2 on .../response/<origin>) and nothing else: no validation, no logic,
// no logging. Run as its own process, like the module, so both pay the same costs.
import type net from 'node:net';
import mqtt from 'mqtt';

const [url, prefix, moduleId] = process.argv.slice(2);
if (url === undefined || prefix === undefined || moduleId === undefined) {
  process.stderr.write('usage: echo-responder <url> <prefix> <module id>\n');
  process.exit(2);
}

const client = mqtt.connect(url, { clientId: `bench-echo-${process.pid}`, protocolVersion: 4, clean: true });
client.on('connect', () => (client.stream as net.Socket).setNoDelay?.(true));
client.on('message', (topic, payload) => {
  const { data } = JSON.parse(payload.toString('utf8')) as { data: { id: string; origin: string } };
  const answer = { msg_type: 'CmdResult', data: { type: 'result', data: { id: data.id, retval: 'Accepted', origin: moduleId } } };
  client.publish(`${topic}/response/${data.origin}`, JSON.stringify(answer), { qos: 2 });
});
client.once('connect', () => {
  client.subscribe(`${prefix}modules/${moduleId}/impl/main/cmd/+`, { qos: 2 }, () => process.stdout.write('ready\n'));
});
process.on('SIGTERM', () => client.end(false, () => process.exit(0)));
