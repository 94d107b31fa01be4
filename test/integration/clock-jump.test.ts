// The expiry timer sleeps until the next expiry (at most a minute); a forward wall-clock jump is
// caught at the next packet from the broker instead. The module runs in this process with a
// clock the test moves, against a real mosquitto.
import { type ReservationModule, createReservationModule } from '../../src/app';
import { parseCli } from '../../src/config/cli';
import { loadConfig } from '../../src/config/load';
import { createLogger } from '../../src/log';
import type { Clock } from '../../src/module/scheduler';
import { type Broker, startBroker } from '../support/broker';
import { endOf, reservation } from '../support/harness';
import { uniquePrefix } from '../support/module-process';
import { Probe } from '../support/probe';
import { sleep } from '../support/teardown';

const HOUR_MS = 3_600_000;
/** The keepalive (10 s) brings a packet; the rest is for a loaded machine. */
const KEEPALIVE_WAIT_MS = 30_000;

let broker: Broker;
let reservationModule: ReservationModule | undefined;
let probe: Probe | undefined;

beforeAll(async () => {
  broker = await startBroker();
});

afterEach(async () => {
  await reservationModule?.stop();
  await probe?.close();
  reservationModule = undefined;
  probe = undefined;
});

/** A module whose wall clock is the real one plus `jump.ms`. */
async function startJumpable(): Promise<{ jump: { ms: number }; probe: Probe; ends: Awaited<ReturnType<Probe['collect']>> }> {
  const prefix = uniquePrefix();
  const jump = { ms: 0 };
  const clock: Clock = { now: () => Date.now() + jump.ms };
  const config = loadConfig(parseCli(['--mqtt-url', broker.url, '--prefix', prefix, '--module', 'reservation']), {});
  probe = await Probe.connect(broker.url, { prefix, origin: 'ocpp' });
  const ends = await probe.collect(probe.varTopic('reservation', 'reservation_end'));
  reservationModule = createReservationModule({ config, log: createLogger('silent'), clock });
  await reservationModule.start();
  return { jump, probe, ends };
}

describe('a forward wall-clock jump', () => {
  it('ends a reservation it made due when the next command arrives, before that command is answered', async () => {
    const { jump, probe, ends } = await startJumpable();
    const args = { connector_id: 1, reservation: reservation(1, { expiry_time: new Date(Date.now() + 2 * HOUR_MS).toISOString() }) };
    expect(await probe.invoke('reservation', 'reserve_now', args)).toBe('Accepted');

    jump.ms = 3 * HOUR_MS;
    expect(await probe.invoke('reservation', 'list_reservations', {})).toEqual([]);
    expect(endOf((await ends.next(5000)).payload)).toEqual({ reservation_id: 1, reason: 'Expired' });
  });

  it('ends a reservation it made due at the keepalive, with no command and long before the timer', async () => {
    const { jump, probe, ends } = await startJumpable();
    const args = { connector_id: 1, reservation: reservation(2, { expiry_time: new Date(Date.now() + 2 * HOUR_MS).toISOString() }) };
    expect(await probe.invoke('reservation', 'reserve_now', args)).toBe('Accepted');
    // Past the acknowledgements of the answer and of the snapshot (at most a second later).
    await sleep(2500);

    jump.ms = 3 * HOUR_MS;
    expect(endOf((await ends.next(KEEPALIVE_WAIT_MS)).payload)).toEqual({ reservation_id: 2, reason: 'Expired' });
  });
});
