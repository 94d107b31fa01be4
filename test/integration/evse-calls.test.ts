// The module tells the connector's EVSE manager about its reservation: reserve(reservation_id)
// when accepted, cancel_reservation() when it ends. A missing, late, failed or malformed answer
// is logged and changes nothing else, and no pending call is left behind.
import { type Broker, startBroker } from '../support/broker';
import { type AnswerMode, startCharger } from '../support/evse-double';
import { isoIn, reservation } from '../support/harness';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

describe('calls to the EVSE managers', () => {
  it('calls reserve on the reserved connector’s EVSE manager only, as an EVerest caller', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(2, reservation(42))).toBe('Accepted');
    const call = await evse[1].nthCall(1);
    expect(call.cmd).toBe('reserve');
    expect(call.args).toEqual({ reservation_id: 42 });
    // Its own module id as origin, a call id of its own.
    expect(call.origin).toBe(station.moduleId);
    expect(call.id).toEqual(expect.any(String));
    await sleep(500);
    expect(evse[0].calls).toEqual([]);
  });

  it.each([
    ['cancel_reservation', async (c: Awaited<ReturnType<typeof startCharger>>) => expect(await c.station.cancel(1)).toBe(true)],
    ['a fault', (c: Awaited<ReturnType<typeof startCharger>>) => c.evse[0].raiseInoperative()],
    ['a transaction with its token', (c: Awaited<ReturnType<typeof startCharger>>) => c.evse[0].transactionStarted({ token: 'TOKEN-1' })],
  ])('calls cancel_reservation() on that EVSE manager when the reservation ends by %s', async (_cause, end) => {
    const charger = await startCharger(broker);
    const { station, evse } = charger;
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    await evse[0].nthCall(1);
    await end(charger);
    const call = await evse[0].nthCall(2);
    expect(call.cmd).toBe('cancel_reservation');
    expect(call.args).toEqual({});
    expect(evse[1].calls).toEqual([]);
  });

  it('calls cancel_reservation() when the reservation expires', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(2, reservation(3, { expiry_time: isoIn(1200) }))).toBe('Accepted');
    await station.ends.waitForCount(1, 10_000);
    await evse[1].nthCall(2);
    expect(evse[1].callLog()).toEqual(['reserve({"reservation_id":3})', 'cancel_reservation({})']);
  });

  it('moves the EVSE managers’ reservation when a replacement moves it to another connector', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(8))).toBe('Accepted');
    await evse[0].nthCall(1);
    expect(await station.reserveNow(2, reservation(8))).toBe('Accepted');
    await evse[0].nthCall(2);
    await evse[1].nthCall(1);
    expect(evse[0].callLog()).toEqual(['reserve({"reservation_id":8})', 'cancel_reservation({})']);
    expect(evse[1].callLog()).toEqual(['reserve({"reservation_id":8})']);
    // A replacement is not an end.
    expect(station.endEvents()).toEqual([]);
  });

  it('calls no EVSE manager for a station-wide reservation', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(0, reservation(5))).toBe('Accepted');
    expect(await station.cancel(5)).toBe(true);
    await station.ends.waitForCount(1, 10_000);
    await sleep(1000);
    expect([...evse[0].calls, ...evse[1].calls]).toEqual([]);
  });
});

describe('an EVSE manager that answers badly', () => {
  const TIMEOUT_MS = 1000;
  const cases: Array<[string, AnswerMode, (line: Record<string, unknown>) => boolean]> = [
    ['not at all', { kind: 'silent' }, (l) => l.msg === 'EVSE manager call failed' && l.error_type === 'CmdTimeout'],
    ['too late', { kind: 'late', delayMs: TIMEOUT_MS + 1000 }, (l) => l.msg === 'EVSE manager call failed' && l.error_type === 'CmdTimeout'],
    [
      'with an error',
      { kind: 'error', error: { __everest__error_type: 'HandlerException', __everest__error_msg: 'LED driver crashed' } },
      (l) => l.msg === 'EVSE manager call failed' && l.error_type === 'HandlerException',
    ],
    ['with a malformed payload', { kind: 'malformed' }, (l) => l.msg === 'malformed command answer ignored'],
    ['with a result of the wrong type', { kind: 'invalid' }, (l) => l.msg === 'EVSE manager answered with an invalid result'],
    ['with a refusal', { kind: 'refuse' }, (l) => l.msg === 'EVSE manager refused to show the reservation'],
  ];

  it.each(cases)('answering %s is logged and changes nothing else', async (_how, mode, logged) => {
    const { station, evse } = await startCharger(broker, { evse_manager_call_timeout_ms: TIMEOUT_MS });
    evse[0].answer(mode);
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    await evse[0].nthCall(1);
    const line = await station.module.waitForLog(logged, TIMEOUT_MS + 10_000);
    expect(line.level).toBe(40);
    // The reservation stands; the module goes on answering and ending reservations normally.
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([1]);
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
    expect(await station.cancel(1)).toBe(true);
    await station.ends.waitForCount(1, 10_000);
    expect(station.endEvents()).toEqual([{ reservation_id: 1, reason: 'Cancelled' }]);
  });

  it('leaves no pending call behind once unanswered calls time out', async () => {
    const { station, evse } = await startCharger(broker, { evse_manager_call_timeout_ms: TIMEOUT_MS });
    evse[0].answer({ kind: 'silent' });
    evse[1].answer({ kind: 'silent' });
    for (let id = 1; id <= 10; id++) {
      expect(await station.reserveNow((id % 2) + 1, reservation(id))).toBe('Accepted');
      expect(await station.cancel(id)).toBe(true);
    }
    await evse[0].nthCall(10);
    await evse[1].nthCall(10);
    const snapshots = await station.probe.collect(`${station.prefix}modules/${station.moduleId}/snapshot`);
    // Poke a change after the timeouts so a fresh snapshot (with diagnostics) is published.
    await sleep(TIMEOUT_MS + 500);
    expect(await station.reserveNow(1, reservation(99))).toBe('Accepted');
    const settled = await snapshots.waitFor(
      (p) => (p as { reservations_total: number; diagnostics?: { pending_evse_calls: number } }).reservations_total === 1,
      10_000,
    );
    // The reserve(99) call itself may still be pending; the 20 silent ones are gone.
    expect((settled.payload as { diagnostics: { pending_evse_calls: number } }).diagnostics.pending_evse_calls).toBeLessThanOrEqual(1);
  });
});
