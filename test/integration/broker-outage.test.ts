// Fault injection on the broker connection (issue 4, docs/reliability.md): the broker goes away
// and comes back, the module dies without a word. Every test has a broker of its own, since it
// stops or restarts it.
import { startBroker } from '../support/broker';
import { endOf, type Reservation, reservation, startStation } from '../support/harness';
import { startModule } from '../support/module-process';
import { Probe } from '../support/probe';
import { sleep } from '../support/teardown';

/** Retained status messages on the module's status topic, as a fresh watcher sees them. */
async function watchStatus(url: string, prefix: string, moduleId = 'reservation') {
  const watcher = await Probe.connect(url, { prefix, origin: 'watcher' });
  return watcher.collect(`${prefix}modules/${moduleId}/status`);
}

describe('broker outages', () => {
  it('a reservation_end that fell due while the broker was down reaches a subscriber that was cut off too, exactly once', async () => {
    const broker = await startBroker();
    const station = await startStation(broker);
    // A dashboard of its own: clean session, MQTT.js reconnects and resubscribes it by itself.
    const hmi = await Probe.connect(broker.url, { prefix: station.prefix, origin: 'hmi' });
    let hmiReconnects = 0;
    hmi.client.on('connect', () => hmiReconnects++);
    const ends = await hmi.collect(hmi.varTopic(station.moduleId, 'reservation_end'));

    const expiresAt = Date.now() + 2500;
    expect(await station.reserveNow(1, reservation(1, { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    await broker.stop();
    // Back just before the module's attempt 3.5 s into the outage (0.5 s, doubling), to keep the test short.
    await sleep(expiresAt - Date.now() + 500);
    expect(ends.entries).toEqual([]);
    await broker.restart();

    const first = await ends.waitFor((p) => endOf(p).reservation_id === 1, 20_000);
    expect(endOf(first.payload)).toEqual({ reservation_id: 1, reason: 'Expired' });
    expect(hmiReconnects).toBeGreaterThanOrEqual(1);
    // No copy follows, neither from the module's own redelivery nor from MQTT.js replays.
    await sleep(3000);
    expect(ends.messages.map(endOf)).toEqual([{ reservation_id: 1, reason: 'Expired' }]);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'Expired' }]);
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([]);
  }, 60_000);

  it('survives a 15 s outage: the process stays up, backs off to 8 s, keeps its reservations and answers a command retried after the outage', async () => {
    const broker = await startBroker();
    const station = await startStation(broker, { configModule: { connectors: 3 } });
    const status = await watchStatus(broker.url, station.prefix);
    expect(await station.reserveNow(1, reservation(1, { id_token: 'Alice', parent_id_token: 'Fleet' }))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(2, { id_token: 'Bob' }))).toBe('Accepted');
    const before = await station.list();

    // The caller's answer topic is subscribed before the outage, as an EVerest caller would have it.
    const third: Reservation = reservation(3, { id_token: 'Carol' });
    const cmdTopic = station.probe.cmdTopic(station.moduleId, 'reserve_now');
    const answers = await station.probe.collect(`${cmdTopic}/response/ocpp`);

    await broker.stop();
    await sleep(1000);
    // Published while the broker is down: MQTT.js queues it; whether it arrives before the module
    // is back is a race, so the caller retries once the module is online again.
    const offlineCall = { msg_type: 'Cmd', data: { id: 'call-during-outage', args: { connector_id: 3, reservation: third }, origin: 'ocpp' } };
    void station.probe.publishRaw(cmdTopic, JSON.stringify(offlineCall)).catch(() => undefined);
    // Back just before the module's attempt 15.5 s into the outage (0.5 s, doubling up to 8 s).
    await sleep(13_700);
    const restartedAt = Date.now();
    await broker.restart();

    // persistence is off in the test broker: only the module's own publish makes the status online again.
    await status.waitFor((p, m) => p === 'online' && m.receivedAt >= restartedAt, 20_000);
    expect(station.module.child.exitCode).toBeNull();
    const backoffs = station.module
      .lines()
      .filter((l) => l.msg === 'reconnecting to the broker')
      .map((l) => l.next_attempt_in_ms as number);
    expect(Math.max(...backoffs)).toBe(8000);

    const held = await station.list();
    expect(held.filter((r) => r.reservation_id !== 3)).toEqual(before);
    expect(await station.reserveNow(3, third)).toBe('Accepted');
    expect((await station.list()).map((r) => [r.reservation_id, r.connector_id])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    // If the queued call got through after all, it was answered as any other.
    for (const answer of answers.messages) {
      const result = (answer as { data: { data: { id: string; retval?: unknown } } }).data.data;
      if (result.id === offlineCall.data.id) expect(result.retval).toBe('Accepted');
    }
    expect(await station.exists({ connector_id: 1, id_token: 'Mallory' })).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(await station.cancel(2)).toBe(true);
    await station.ends.waitFor((p) => endOf(p).reservation_id === 2, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 2, reason: 'Cancelled' }]);
  }, 60_000);

  it('keeps the retained status online while connected and offline through its last will after SIGKILL', async () => {
    const broker = await startBroker();
    const module = await startModule({ brokerUrl: broker.url });
    const status = await watchStatus(broker.url, module.prefix);
    const online = await status.next(5000);
    expect(online.payload).toBe('online');
    expect(online.retain).toBe(true);

    // SIGKILL: no clean disconnect, so only the broker's last will can say offline.
    expect(await module.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    await status.waitFor((p) => p === 'offline', 10_000);

    const late = await watchStatus(broker.url, module.prefix);
    const retained = await late.next(5000);
    expect(retained.payload).toBe('offline');
    expect(retained.retain).toBe(true);
  });

  it('answers reserve_now calls in flight across a broker restart: every Accepted reservation is held, once, and retried calls are answered', async () => {
    const broker = await startBroker();
    const count = 20;
    const station = await startStation(broker, { configModule: { connectors: count } });
    const ids = Array.from({ length: count }, (_, i) => i + 1);
    const requests = new Map(ids.map((id) => [id, reservation(id)]));

    // Calls spread over ~0.5 s; the broker restarts after the fifth, so some are answered
    // before, some are queued by MQTT.js during the restart and some are lost with it.
    const outcomes = Promise.all(
      ids.map(async (id) => {
        await sleep((id - 1) * 25);
        try {
          return await station.reserveNow(id, requests.get(id) as Reservation, { timeoutMs: 5000 });
        } catch {
          return 'no answer';
        }
      }),
    );
    await sleep(110);
    await broker.restart();
    const firstTry = await outcomes;
    // The answers that did come are right: each reservation has a connector of its own.
    for (const outcome of firstTry) expect(['Accepted', 'no answer']).toContain(outcome);

    // Whatever was lost is retried, as a caller whose call timed out would; a call that did get
    // through is simply replaced by its retry.
    for (const id of ids) {
      if (firstTry[id - 1] === 'no answer') expect(await station.reserveNow(id, requests.get(id) as Reservation, { timeoutMs: 20_000 })).toBe('Accepted');
    }
    const held = await station.list();
    expect(held.map((r) => [r.reservation_id, r.connector_id])).toEqual(ids.map((id) => [id, id]));
    expect(held.map((r) => r.id_token)).toEqual(ids.map((id) => `TOKEN-${id}`));
    // A replacement does not end anything.
    await sleep(1000);
    expect(station.endEvents()).toEqual([]);
  }, 60_000);
});
