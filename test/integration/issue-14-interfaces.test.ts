// Issue 14: EVerest's reservation interface is served unchanged on impl main; this module's
// additions (exists_reservation, list_reservations, var reservation_end) live on impl status only.
import { randomUUID } from 'node:crypto';
import { type Broker, startBroker } from '../support/broker';
import { isoIn, reservation, startStation } from '../support/harness';
import { sleep, within } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const call = (args: unknown, id: string): string => JSON.stringify({ msg_type: 'Cmd', data: { id, origin: 'ocpp', args } });

describe('the two implementations', () => {
  it('serves reserve_now and cancel_reservation on impl/main, the additions on impl/status', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const base = `${station.prefix}modules/reservation/impl`;
    const answers = await station.probe.collect(`${base}/+/cmd/+/response/ocpp`);
    const ends = await station.probe.collect(`${base}/+/var/+`);
    const send = async (topic: string, args: unknown): Promise<unknown> => {
      const id = randomUUID();
      await station.probe.publishRaw(topic, call(args, id), 2);
      const answer = await answers.waitFor((p) => (p as { data: { data: { id: string } } }).data.data.id === id, 10_000);
      expect(answer.topic).toBe(`${topic}/response/ocpp`);
      return (answer.payload as { data: { data: { retval: unknown } } }).data.data.retval;
    };

    expect(await send(`${base}/main/cmd/reserve_now`, { connector_id: 1, reservation: reservation(7, { expiry_time: isoIn(3_600_000) }) })).toBe('Accepted');
    expect(await send(`${base}/status/cmd/exists_reservation`, { request: { connector_id: 1, id_token: 'TOKEN-7' } })).toBe('ReservedForToken');
    expect(await send(`${base}/status/cmd/list_reservations`, {})).toEqual([expect.objectContaining({ reservation_id: 7, connector_id: 1 })]);
    expect(await send(`${base}/main/cmd/cancel_reservation`, { reservation_id: 7 })).toBe(true);

    const end = await ends.next(10_000);
    expect(end.topic).toBe(`${base}/status/var/reservation_end`);
    expect(end.payload).toEqual({ msg_type: 'Var', data: { data: { reservation_id: 7, reason: 'Cancelled' } } });
  });

  it('answers nothing on the old impl/main topics of the moved commands, and publishes no var on impl/main', async () => {
    const station = await startStation(broker, { configModule: { connectors: 1 } });
    const main = `${station.prefix}modules/reservation/impl/main`;
    const mainTraffic = await station.probe.collect(`${main}/#`);
    for (const cmd of ['exists_reservation', 'list_reservations']) {
      await station.probe.publishRaw(`${main}/cmd/${cmd}`, call(cmd === 'list_reservations' ? {} : { request: { connector_id: 1, id_token: 'X' } }, randomUUID()), 2);
    }
    expect(await station.reserveNow(1, reservation(8))).toBe('Accepted');
    expect(await station.cancel(8)).toBe(true);
    await station.ends.waitFor(() => true, 10_000);
    await sleep(1000);
    // The moved commands get no answer there, and no var appears on impl main.
    expect(mainTraffic.entries.map((m) => m.topic).sort()).toEqual(
      [
        `${main}/cmd/cancel_reservation`,
        `${main}/cmd/cancel_reservation/response/ocpp`,
        `${main}/cmd/exists_reservation`,
        `${main}/cmd/list_reservations`,
        `${main}/cmd/reserve_now`,
        `${main}/cmd/reserve_now/response/ocpp`,
      ].sort(),
    );
    expect(await within(station.list(), 10_000)).toEqual([]);
  });
});
