// A hub's EVSE managers for the bench, light: ONE MQTT client serves get_evse, reserve and
// cancel_reservation for every EVSE manager (wildcard subscriptions) in EVerest's envelopes,
// answers reserve as EVerest's EvseManager does (true, with ReservationStart; cancel_reservation
// publishes ReservationEnd), and publishes their session events on demand. 128 test doubles
// (test/support/evse-double.ts) would be 128 clients competing with the module for the CPU.
import type net from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { decodeCmd, encodeResult, encodeVar } from '../src/everest/envelope';
import { cmdTopic, moduleIdOf, responseTopic, varTopic } from '../src/everest/topics';
import type { ConnectorTypeEnum, Evse, SessionEvent } from '../src/generated/types';

const IMPL_ID = 'evse';

/** An EVSE of the hub: its id is its position (1-based), as its module id says. */
export interface HubEvse {
  connectors: ReadonlyArray<{ type: string }>;
}

export class HubSimulator {
  /** Per position (index 0 unused): the reservation id it was told (-1: station-wide), as EVerest's EvseManager keeps it. */
  private readonly reservedFor: Array<number | undefined>;
  private readonly described = new Set<number>();
  /** Calls served, by command. */
  readonly served = { get_evse: 0, reserve: 0, cancel_reservation: 0 };

  private constructor(
    private readonly client: MqttClient,
    private readonly prefix: string,
    private readonly evses: readonly HubEvse[],
  ) {
    this.reservedFor = new Array<number | undefined>(evses.length + 1).fill(undefined);
    client.on('message', (topic, payload) => this.serve(topic, payload));
  }

  static async start(url: string, prefix: string, evses: readonly HubEvse[]): Promise<HubSimulator> {
    const client = await mqtt.connectAsync(url, { clientId: `bench-hub-${process.pid}`, protocolVersion: 4, clean: true });
    (client.stream as net.Socket).setNoDelay?.(true);
    const simulator = new HubSimulator(client, prefix, evses);
    await client.subscribeAsync(cmdTopic(prefix, '+', IMPL_ID, '+'), { qos: 2 });
    return simulator;
  }

  static moduleId(position: number): string {
    return `evse_manager_${position}`;
  }

  /** The module's connections.evse_manager: position N is EVSE N. */
  get connections(): Array<{ module_id: string; implementation_id: string }> {
    return this.evses.map((_, index) => ({ module_id: HubSimulator.moduleId(index + 1), implementation_id: IMPL_ID }));
  }

  /** How many EVSE managers have answered get_evse. */
  get describedCount(): number {
    return this.described.size;
  }

  /** The EVSE manager at `position` publishes a session event (QoS 2, resolved once the broker has it); fields the module ignores may come along. */
  async sessionEvent(position: number, event: SessionEvent & Record<string, unknown>): Promise<void> {
    await this.client.publishAsync(this.sessionEventTopic(position), encodeVar(event), { qos: 2 });
  }

  private sessionEventTopic(position: number): string {
    return varTopic(this.prefix, HubSimulator.moduleId(position), IMPL_ID, 'session_event');
  }

  /** The same QoS 2 publish, of a var nobody subscribes to: what publishing an event costs before the module sees it. */
  async unfollowedVar(position: number): Promise<void> {
    await this.client.publishAsync(varTopic(this.prefix, HubSimulator.moduleId(position), IMPL_ID, 'bench_unfollowed'), encodeVar({ event: 'None' }), { qos: 2 });
  }

  async close(): Promise<void> {
    await this.client.endAsync();
  }

  /** Publishes without waiting for the broker's acknowledgement, as EVerest's framework does; one client keeps the order. */
  private send(topic: string, payload: string): void {
    this.client.publish(topic, payload, { qos: 2 });
  }

  private serve(topic: string, payload: Buffer): void {
    const moduleId = moduleIdOf(this.prefix, topic);
    const position = Number(moduleId?.slice('evse_manager_'.length));
    const evse = this.evses[position - 1];
    const decoded = decodeCmd(payload);
    if (moduleId === undefined || evse === undefined || decoded.kind !== 'call') return;
    const { id, origin, args } = decoded.call;
    const cmd = topic.slice(topic.lastIndexOf('/') + 1);
    let retval: unknown;
    if (cmd === 'get_evse') {
      this.served.get_evse++;
      this.described.add(position);
      retval = { id: position, connectors: evse.connectors.map((c, at) => ({ id: at + 1, type: c.type as ConnectorTypeEnum })) } satisfies Evse;
    } else if (cmd === 'reserve') {
      this.served.reserve++;
      const reservationId = args.reservation_id as number;
      const before = this.reservedFor[position];
      this.reservedFor[position] = reservationId;
      if (before === undefined || (before === -1 && reservationId !== -1)) this.send(this.sessionEventTopic(position), encodeVar({ event: 'ReservationStart' }));
      retval = true;
    } else if (cmd === 'cancel_reservation') {
      this.served.cancel_reservation++;
      const before = this.reservedFor[position];
      this.reservedFor[position] = undefined;
      if (before !== undefined) this.send(this.sessionEventTopic(position), encodeVar({ event: 'ReservationEnd' }));
      retval = null;
    } else return;
    this.send(responseTopic(topic, origin), encodeResult(id, moduleId, retval));
  }
}
