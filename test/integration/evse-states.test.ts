// Connector states follow the EVSE managers' session events and Inoperative errors, and
// reserve_now answers from them (spec rules 6 and 7), on a two-connector charger.
import { type Broker, startBroker } from '../support/broker';
import { startCharger } from '../support/evse-double';
import { reservation } from '../support/harness';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

describe('a specific connector', () => {
  it('is Occupied from SessionStarted to SessionFinished', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].sessionStarted();
    expect(await station.reserveNow(1, reservation(1))).toBe('Occupied');
    // The other connector is not affected.
    expect(await station.reserveNow(2, reservation(2))).toBe('Accepted');
    await evse[0].sessionFinished();
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
  });

  it('is Unavailable from Disabled to Enabled', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[1].disabled();
    expect(await station.reserveNow(2, reservation(1))).toBe('Unavailable');
    await evse[1].enabled();
    expect(await station.reserveNow(2, reservation(1))).toBe('Accepted');
  });

  it('is Faulted while Inoperative is raised, and reservable once it is cleared', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].raiseInoperative();
    expect(await station.reserveNow(1, reservation(1))).toBe('Faulted');
    await evse[0].clearInoperative();
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
  });

  it('keeps the other condition when one of faulted and disabled clears', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].raiseInoperative();
    await evse[0].disabled();
    expect(await station.reserveNow(1, reservation(1))).toBe('Faulted');
    await evse[0].enabled();
    expect(await station.reserveNow(1, reservation(1))).toBe('Faulted');
    await evse[0].disabled();
    await evse[0].clearInoperative();
    expect(await station.reserveNow(1, reservation(1))).toBe('Unavailable');
    await evse[0].enabled();
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
  });

  it('stays unavailable after SessionFinished while disabled', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].sessionStarted();
    await evse[0].disabled();
    await evse[0].sessionFinished();
    expect(await station.reserveNow(1, reservation(1))).toBe('Unavailable');
  });

  it('is Occupied while another reservation holds it, and Rejected when the charger has no such connector', async () => {
    const { station } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(1, reservation(2))).toBe('Occupied');
    // Two EVSE managers make two connectors, whatever the connectors parameter says.
    expect(await station.reserveNow(3, reservation(3))).toBe('Rejected');
  });
});

describe('connector 0 (station-wide) on two connectors', () => {
  it('keeps one available connector per station-wide reservation', async () => {
    const { station } = await startCharger(broker);
    expect(await station.reserveNow(0, reservation(1))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(2))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(3))).toBe('Occupied');
    // A specific reservation would take a connector a station-wide one needs.
    expect(await station.reserveNow(1, reservation(4))).toBe('Occupied');
    expect(await station.cancel(2)).toBe(true);
    expect(await station.reserveNow(1, reservation(4))).toBe('Accepted');
    expect(await station.reserveNow(0, reservation(5))).toBe('Occupied');
  });

  it('answers Faulted when every connector is faulted, Unavailable when each is faulted or disabled, else Occupied', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].raiseInoperative();
    await evse[1].raiseInoperative();
    expect(await station.reserveNow(0, reservation(1))).toBe('Faulted');
    await evse[1].disabled();
    await evse[1].clearInoperative();
    expect(await station.reserveNow(0, reservation(1))).toBe('Unavailable');
    await evse[1].enabled();
    await evse[1].sessionStarted();
    expect(await station.reserveNow(0, reservation(1))).toBe('Occupied');
    await evse[1].sessionFinished();
    expect(await station.reserveNow(0, reservation(1))).toBe('Accepted');
  });

  it('is Rejected when reserve_connector_zero_supported is false', async () => {
    const { station } = await startCharger(broker, { reserve_connector_zero_supported: false });
    expect(await station.reserveNow(0, reservation(1))).toBe('Rejected');
    expect(await station.reserveNow(1, reservation(2))).toBe('Accepted');
  });
});

describe('invalid events from an EVSE manager', () => {
  it('are logged and ignored, never changing a connector', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].disabled();
    const invalid: unknown[] = [
      { event: 42 },
      { no_event: 'Enabled' },
      { event: '' },
      { event: 'TransactionStarted' },
      { event: 'TransactionStarted', transaction_started: { id_tag: { id_token: {} } } },
      'Enabled',
    ];
    for (const value of invalid) await evse[0].probe.publishVar('evse_manager_1', 'evse', 'session_event', value);
    await evse[0].probe.publishRaw(`${station.prefix}modules/evse_manager_1/impl/evse/var/session_event`, 'not json');
    await evse[0].probe.publishRaw(`${station.prefix}modules/evse_manager_1/impl/evse/error/evse_manager/Inoperative`, '{"msg_type":"RaiseError","data":{}}');
    // Still disabled (no invalid Enabled got through), and not faulted.
    expect(await station.reserveNow(1, reservation(1))).toBe('Unavailable');
    await station.module.waitForLog((l) => l.msg === 'invalid session_event ignored' && l.connector_id === 1);
    await station.module.waitForLog((l) => l.msg === 'invalid error event ignored' && l.connector_id === 1);
    const ignored = station.module.lines().filter((l) => l.msg === 'invalid session_event ignored');
    expect(ignored).toHaveLength(invalid.length + 1);
    await evse[0].enabled();
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(station.module.child.exitCode).toBeNull();
  });

  it('ignore events the module does not know (and fields it does not read)', async () => {
    const { station, evse } = await startCharger(broker);
    await evse[0].sessionEvent({ event: 'PluggedIn', extra: { anything: [1, 2] } });
    await evse[0].sessionEvent({ event: 'ChargingResumed' });
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(station.module.lines().filter((l) => typeof l.msg === 'string' && l.msg.includes('invalid'))).toEqual([]);
  });
});
