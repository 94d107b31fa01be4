// The module loads only the transport its broker URL names; a WebSocket URL, which takes MQTT.js's
// full connect(), still works end to end (mosquitto with a websockets listener).
import { type Broker, freePort, startBroker } from '../support/broker';
import { reservation } from '../support/harness';
import { startModule, uniquePrefix } from '../support/module-process';
import { Probe } from '../support/probe';

let broker: Broker;
let wsPort: number;

beforeAll(async () => {
  wsPort = await freePort();
  broker = await startBroker([`listener ${wsPort} 127.0.0.1`, 'protocol websockets']);
});

it('serves over a ws:// broker URL', async () => {
  const prefix = uniquePrefix();
  const module = await startModule({
    brokerUrl: broker.url,
    prefix,
    bareArgs: true,
    args: ['--mqtt-url', `ws://127.0.0.1:${wsPort}`, '--prefix', prefix, '--module', 'reservation'],
  });
  const probe = await Probe.connect(broker.url, { prefix, origin: 'ocpp' });
  try {
    expect(await probe.invoke('reservation', 'reserve_now', { connector_id: 1, reservation: reservation(1) })).toBe('Accepted');
    expect(module.lines().some((line) => line.msg === 'connected to broker' && String(line.url).startsWith('ws://'))).toBe(true);
  } finally {
    await probe.close();
    expect(await module.stop()).toMatchObject({ code: 0 });
  }
});
