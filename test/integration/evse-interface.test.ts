// Issue 21: today's EVerest reservation interface (reservation_interface: evse) on impl main:
// reserve_now({request}) by EVerest's rules without its bugs, exists_reservation, the use of a
// reservation by a session, and check_start for whoever authorises drivers (issue 22).
import { type Broker, startBroker } from '../support/broker';
import { evseReservation, evsesOf, startEvseCharger, startEvseStation } from '../support/evse-station';
import { isoIn, reservation, startStation } from '../support/harness';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const CCS2 = 'cCCS2';
const TYPE2 = 'cType2';

describe('the interface, chosen by reservation_interface', () => {
  it('serves reserve_now({request}) on impl main, refuses the old call shape, and keeps impl status', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2, TYPE2]));
    expect(await charger.reserve(evseReservation(1, { evse_id: 2, connector_type: TYPE2 }))).toBe('Accepted');
    const old = await charger.station.call('reserve_now', { connector_id: 1, reservation: reservation(2) }, { implId: 'main' });
    expect(old.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(await charger.station.list()).toEqual([expect.objectContaining({ reservation_id: 1, evse_id: 2, connector_type: TYPE2, id_token: 'TOKEN-1' })]);
    // The connector form of exists_reservation stays on impl status: connector N is the EVSE with id N.
    expect(await charger.station.exists({ connector_id: 2, id_token: 'stranger' })).toBe('ReservedForOtherToken');
  });

  it('serves the seed interface when nothing is configured, where the new call shape is a schema error', async () => {
    const station = await startStation(broker, { configModule: { connectors: 2 } });
    const answer = await station.call('reserve_now', { request: evseReservation(1, { evse_id: 1 }) });
    expect(answer.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
  });

  it('refuses a connector type outside EVerest\'s ConnectorTypeEnum as a schema error, changing nothing', async () => {
    const charger = await startEvseStation(broker, { configModule: { evse_connector_types: 'cCCS2' } });
    const answer = await charger.station.call('reserve_now', { request: evseReservation(1, { connector_type: 'CCS2' }) }, { implId: 'main' });
    expect(answer.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(answer.error?.__everest__error_msg).toContain('request');
    expect(await charger.station.list()).toEqual([]);
  });
});

describe('reserve_now({request}): EVerest\'s rules, in its order, without its bugs', () => {
  it('answers Rejected for reservations disabled, station-wide unsupported, a past expiry, EVSE 0 or unknown, a type the EVSE lacks', async () => {
    const disabled = await startEvseStation(broker, { configModule: { reservations_enabled: false, evse_connector_types: 'cCCS2' } });
    expect(await disabled.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Rejected');
    const noStationWide = await startEvseStation(broker, { configModule: { reserve_connector_zero_supported: false, evse_connector_types: 'cCCS2;cType2' } });
    expect(await noStationWide.reserve(evseReservation(1))).toBe('Rejected');
    // A negative evse_id means any EVSE, as in EVerest.
    expect(await noStationWide.reserve(evseReservation(1, { evse_id: -1 }))).toBe('Rejected');
    expect(await noStationWide.reserve(evseReservation(2, { evse_id: 1, expiry_time: isoIn(-1000) }))).toBe('Rejected');
    expect(await noStationWide.reserve(evseReservation(3, { evse_id: 0 }))).toBe('Rejected');
    expect(await noStationWide.reserve(evseReservation(4, { evse_id: 3 }))).toBe('Rejected');
    expect(await noStationWide.reserve(evseReservation(5, { evse_id: 1, connector_type: TYPE2 }))).toBe('Rejected');
    expect(await noStationWide.reserve(evseReservation(6, { evse_id: 2, connector_type: TYPE2 }))).toBe('Accepted');
    const anywhere = await startEvseStation(broker, { configModule: { evse_connector_types: 'cCCS2;cType2' } });
    expect(await anywhere.reserve(evseReservation(7, { connector_type: 'sType3' }))).toBe('Rejected');
    expect(await anywhere.reserve(evseReservation(8, { evse_id: -5, connector_type: TYPE2 }))).toBe('Accepted');
    expect(await anywhere.station.list()).toEqual([expect.not.objectContaining({ evse_id: expect.anything() })]);
  });

  it('answers Occupied for an EVSE reserved for another id or with a car, then the worst state of its connectors of the type', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2, TYPE2], [CCS2]), { configModule: { reserve_connector_zero_supported: false } });
    expect(await charger.reserve(evseReservation(1, { evse_id: 1 }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(2, { evse_id: 1, connector_type: CCS2 }))).toBe('Occupied');
    await charger.evse[1]?.sessionStarted();
    await sleep(300);
    expect(await charger.reserve(evseReservation(3, { evse_id: 2 }))).toBe('Occupied');
    await charger.evse[1]?.sessionFinished();
    await charger.evse[1]?.disabled();
    await sleep(300);
    expect(await charger.reserve(evseReservation(4, { evse_id: 2 }))).toBe('Unavailable');
    await charger.evse[1]?.raiseInoperative();
    await sleep(300);
    expect(await charger.reserve(evseReservation(5, { evse_id: 2 }))).toBe('Faulted');
  });

  it('counts Unknown on either side as every type, and Undetermined as an ordinary one', async () => {
    const station = await startEvseStation(broker, { configModule: { evse_connector_types: 'Unknown;Undetermined' } });
    expect(await station.reserve(evseReservation(1, { evse_id: 1, connector_type: 'cMCS' }))).toBe('Accepted');
    expect(await station.reserve(evseReservation(2, { evse_id: 2, connector_type: CCS2 }))).toBe('Rejected');
    expect(await station.reserve(evseReservation(3, { evse_id: 2, connector_type: 'Unknown' }))).toBe('Accepted');
  });

  it('replaces a reservation with the same id atomically: refused, the old one stays exactly as it was', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2]));
    expect(await charger.reserve(evseReservation(7, { evse_id: 1, id_token: 'OLD' }))).toBe('Accepted');
    const before = await charger.station.list();
    await charger.evse[1]?.raiseInoperative();
    await sleep(300);
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'NEW' }))).toBe('Faulted');
    expect(await charger.station.list()).toEqual(before);
    await charger.evse[1]?.clearInoperative();
    await sleep(300);
    expect(await charger.reserve(evseReservation(7, { evse_id: 2, id_token: 'NEW' }))).toBe('Accepted');
    expect(await charger.station.list()).toEqual([expect.objectContaining({ reservation_id: 7, evse_id: 2, id_token: 'NEW' })]);
    // The old EVSE is told it is free again (EVerest never tells it), and a replacement is no end.
    await charger.evse[0]?.nthCall(2);
    expect(charger.evse[0]?.callLog()).toEqual(['reserve({"reservation_id":7})', 'cancel_reservation({})']);
    await sleep(300);
    expect(charger.endEvents()).toEqual([]);
    expect(charger.updateEvents()).toEqual([{ reservation_id: 7, reservation_status: 'Placed' }]);
  });
});

describe('use: a session started with a reservation ends it as Used', () => {
  it('by reservation_id on TransactionStarted, by token on its EVSE, and by parent token case-insensitively', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2], [CCS2]));
    expect(await charger.reserve(evseReservation(1, { evse_id: 1, id_token: 'Alice' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(2, { evse_id: 2, id_token: 'Bob', parent_id_token: 'Fleet' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(3, { evse_id: 3, id_token: 'Carol' }))).toBe('Accepted');
    await charger.evse[0]?.transactionStarted({ token: 'someone-else', reservationId: 1 });
    await charger.evse[1]?.transactionStarted({ token: 'CARD-9', parentToken: 'FLEET' });
    await charger.evse[2]?.transactionStarted({ token: 'carol' });
    await charger.station.ends.waitForCount(3, 10_000);
    expect(charger.endEvents().map((e) => e.reason)).toEqual(['UsedToStartCharging', 'UsedToStartCharging', 'UsedToStartCharging']);
    await charger.updates.waitForCount(6, 10_000); // three Placed, three Used
    expect(charger.updateEvents().filter((u) => u.reservation_status === 'Used').map((u) => u.reservation_id).sort()).toEqual([1, 2, 3]);
  });

  it('by a session started with reason Authorized that names it, as EVerest\'s EvseManager reports it', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2]));
    charger.evse[0]?.answer({ kind: 'everest' });
    expect(await charger.reserve(evseReservation(5, { evse_id: 1, id_token: 'Alice' }))).toBe('Accepted');
    await charger.evse[0]?.sessionStarted({ reason: 'Authorized', token: 'Alice' });
    await charger.station.ends.waitForCount(1, 10_000);
    expect(charger.endEvents()).toEqual([{ reservation_id: 5, reason: 'UsedToStartCharging' }]);
  });

  it('uses a station-wide reservation on any EVSE no other reservation holds, and not on one another holds', async () => {
    const charger = await startEvseCharger(broker, evsesOf([CCS2], [CCS2], [CCS2]));
    expect(await charger.reserve(evseReservation(1, { evse_id: 1, id_token: 'Alice' }))).toBe('Accepted');
    expect(await charger.reserve(evseReservation(2, { id_token: 'Dave' }))).toBe('Accepted');
    await charger.evse[0]?.transactionStarted({ token: 'dave' });
    await sleep(1000);
    expect(charger.endEvents()).toEqual([]);
    await charger.evse[2]?.transactionStarted({ token: 'DAVE' });
    await charger.station.ends.waitForCount(1, 10_000);
    expect(charger.endEvents()).toEqual([{ reservation_id: 2, reason: 'UsedToStartCharging' }]);
  });
});

describe('exists_reservation({request}) checks the EVSE asked (EVerest checks EVSE 1)', () => {
  it('answers for an EVSE its own reservation, with the parent-token cases', async () => {
    const station = await startEvseStation(broker, { configModule: { evse_connector_types: 'cCCS2;cCCS2;cCCS2' } });
    expect(await station.reserve(evseReservation(1, { evse_id: 2, id_token: 'Alice', parent_id_token: 'Fleet' }))).toBe('Accepted');
    expect(await station.exists({ evse_id: 1, id_token: 'stranger' })).toBe('NotReserved');
    expect(await station.exists({ evse_id: 2, id_token: 'ALICE' })).toBe('ReservedForToken');
    expect(await station.exists({ evse_id: 2, id_token: 'card', group_id_token: 'fleet' })).toBe('ReservedForToken');
    expect(await station.exists({ evse_id: 2, id_token: 'card' })).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(await station.exists({ evse_id: 2, id_token: 'card', group_id_token: 'other' })).toBe('ReservedForOtherToken');
  });

  it('answers without evse_id by the station-wide reservations, and for an EVSE only where the guarantee needs it', async () => {
    const station = await startEvseStation(broker, { configModule: { evse_connector_types: 'cCCS2;cType2' } });
    expect(await station.reserve(evseReservation(1, { id_token: 'Alice', connector_type: TYPE2 }))).toBe('Accepted');
    expect(await station.exists({ id_token: 'alice' })).toBe('ReservedForToken');
    expect(await station.exists({ id_token: 'bob' })).toBe('NotReserved');
    // The only Type2 EVSE is needed by the Type2 reservation; the CCS2 one is not.
    expect(await station.exists({ evse_id: 2, id_token: 'bob' })).toBe('ReservedForOtherToken');
    expect(await station.exists({ evse_id: 1, id_token: 'bob' })).toBe('NotReserved');
    expect(await station.exists({ evse_id: 2, id_token: 'ALICE' })).toBe('ReservedForToken');
  });
});

describe('check_start on impl status (issue 22)', () => {
  it('allows a token on its own reservation and names it; refuses others there and where a station-wide reservation needs the EVSE', async () => {
    const station = await startEvseStation(broker, { configModule: { evse_connector_types: 'cCCS2;cCCS2,cType2;cType2' } });
    expect(await station.reserve(evseReservation(1, { evse_id: 1, id_token: 'Alice' }))).toBe('Accepted');
    expect(await station.reserve(evseReservation(2, { id_token: 'Bob', connector_type: TYPE2 }))).toBe('Accepted');
    expect(await station.reserve(evseReservation(3, { id_token: 'Carol', connector_type: TYPE2 }))).toBe('Accepted');
    expect(await station.checkStart({ evse_id: 1, id_token: 'alice' })).toEqual({ allowed: true, reservation_id: 1 });
    expect(await station.checkStart({ evse_id: 1, id_token: 'walk-in' })).toEqual({ allowed: false });
    // EVSEs 2 and 3 are the two Type2 ones both station-wide reservations need.
    expect(await station.checkStart({ evse_id: 2, id_token: 'walk-in' })).toEqual({ allowed: false });
    expect(await station.checkStart({ evse_id: 3, id_token: 'BOB' })).toEqual({ allowed: true, reservation_id: 2 });
    expect(await station.cancel(3)).toBe(true);
    expect(await station.checkStart({ evse_id: 2, id_token: 'walk-in' })).toEqual({ allowed: true });
    expect(await station.checkStart({ evse_id: 9, id_token: 'alice' })).toEqual({ allowed: false });
  });
});
