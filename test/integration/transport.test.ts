// The module loads only the transport its broker URL names; a WebSocket URL, which takes MQTT.js's
// full connect(), still works end to end (mosquitto with a websockets listener); a listener on
// the packets MQTT.js parses cannot break it.
import { createLogger } from '../../src/log';
import { MqttConnection } from '../../src/mqtt/connection';
import { type Broker, freePort, startBroker } from '../support/broker';
import { reservation } from '../support/harness';
import { startModule, uniquePrefix } from '../support/module-process';
import { Probe } from '../support/probe';
import { within } from '../support/teardown';

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

it('keeps delivering messages when a packet listener throws', async () => {
  const lines: string[] = [];
  const log = createLogger('error', { write: (line: string) => void lines.push(line) });
  const connection = await MqttConnection.open({ url: broker.url, clientId: `throwing-${process.pid}`, connectTimeoutMs: 10_000 }, log);
  try {
    connection.onPacketReceived(() => {
      throw new Error('listener broke');
    });
    const received: string[] = [];
    let bothArrived: (arrived: true) => void = () => undefined;
    const both = new Promise<true>((resolve) => {
      bothArrived = resolve;
    });
    await connection.subscribe('transport-test/echo', 1, (payload) => {
      received.push(payload.toString());
      if (received.length === 2) bothArrived(true);
    });
    expect(await connection.publish('transport-test/echo', 'first', 1)).toBe(true);
    expect(await connection.publish('transport-test/echo', 'second', 1)).toBe(true);
    expect(await within(both, 10_000)).toBe(true);
    expect(received).toEqual(['first', 'second']);
    expect(lines.some((line) => line.includes('packet listener failed') && line.includes('listener broke'))).toBe(true);
  } finally {
    await connection.close();
  }
});
