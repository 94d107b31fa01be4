// exists_reservation tells an authorising module whether a token may start charging on a
// connector: every ReservationCheckStatus, tokens and parent tokens case-insensitive.
import { type Broker, startBroker } from '../support/broker';
import { startCharger } from '../support/evse-double';
import { reservation } from '../support/harness';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

describe('exists_reservation for a reserved connector', () => {
  it('answers from the connector’s reservation, its token and its parent token', async () => {
    const { station } = await startCharger(broker);
    expect(await station.reserveNow(1, reservation(1, { id_token: 'CARD-A', parent_id_token: 'FLEET-1' }))).toBe('Accepted');
    expect(await station.reserveNow(2, reservation(2, { id_token: 'CARD-B' }))).toBe('Accepted');

    expect(await station.exists({ connector_id: 1, id_token: 'card-a' })).toBe('ReservedForToken');
    expect(await station.exists({ connector_id: 1, id_token: 'CARD-X', parent_id_token: 'fleet-1' })).toBe('ReservedForToken');
    expect(await station.exists({ connector_id: 1, id_token: 'CARD-X' })).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(await station.exists({ connector_id: 1, id_token: 'CARD-X', parent_id_token: 'FLEET-2' })).toBe('ReservedForOtherToken');
    expect(await station.exists({ connector_id: 2, id_token: 'CARD-X' })).toBe('ReservedForOtherToken');
    expect(await station.exists({ connector_id: 2, id_token: 'Card-B' })).toBe('ReservedForToken');

    expect(await station.cancel(2)).toBe(true);
    expect(await station.exists({ connector_id: 2, id_token: 'CARD-B' })).toBe('NotReserved');
    // Asking changes nothing.
    expect((await station.list()).map((r) => r.reservation_id)).toEqual([1]);
  });

  it('answers NotReserved on a charger without reservations and for a connector it does not have', async () => {
    const { station } = await startCharger(broker);
    expect(await station.exists({ connector_id: 1, id_token: 'ANY' })).toBe('NotReserved');
    expect(await station.reserveNow(1, reservation(1))).toBe('Accepted');
    expect(await station.exists({ connector_id: 3, id_token: 'TOKEN-1' })).toBe('NotReserved');
  });
});

describe('exists_reservation with station-wide reservations', () => {
  it('keeps a free connector for the station-wide tokens only while they need every free one', async () => {
    const { station } = await startCharger(broker);
    expect(await station.reserveNow(0, reservation(10, { id_token: 'SW-1', parent_id_token: 'SW-PARENT' }))).toBe('Accepted');
    // One station-wide reservation, two free connectors: either can go to a stranger.
    expect(await station.exists({ connector_id: 1, id_token: 'STRANGER' })).toBe('NotReserved');
    expect(await station.exists({ connector_id: 1, id_token: 'sw-1' })).toBe('ReservedForToken');

    expect(await station.reserveNow(0, reservation(11, { id_token: 'SW-2' }))).toBe('Accepted');
    // Two for two: every free connector must stay free.
    expect(await station.exists({ connector_id: 1, id_token: 'STRANGER' })).toBe('ReservedForOtherTokenAndHasParentToken');
    expect(await station.exists({ connector_id: 2, id_token: 'STRANGER', parent_id_token: 'NOT-THEIRS' })).toBe('ReservedForOtherToken');
    expect(await station.exists({ connector_id: 2, id_token: 'sw-2' })).toBe('ReservedForToken');
    expect(await station.exists({ connector_id: 1, id_token: 'OTHER', parent_id_token: 'sw-parent' })).toBe('ReservedForToken');
  });

  it('follows the connectors’ states: an occupied connector leaves the last free one to the station-wide token', async () => {
    const { station, evse } = await startCharger(broker);
    expect(await station.reserveNow(0, reservation(10, { id_token: 'SW-1' }))).toBe('Accepted');
    expect(await station.exists({ connector_id: 1, id_token: 'STRANGER' })).toBe('NotReserved');
    await evse[1].sessionStarted();
    expect(await station.exists({ connector_id: 1, id_token: 'STRANGER' })).toBe('ReservedForOtherToken');
    expect(await station.exists({ connector_id: 1, id_token: 'SW-1' })).toBe('ReservedForToken');
    await evse[1].sessionFinished();
    expect(await station.exists({ connector_id: 1, id_token: 'STRANGER' })).toBe('NotReserved');
  });
});

describe('exists_reservation arguments', () => {
  it.each([
    ['without id_token', { connector_id: 1 }, 'id_token'],
    ['with an unknown field', { connector_id: 1, id_token: 'A', evse_id: 1 }, 'evse_id'],
    ['with a connector id that is not an integer', { connector_id: '1', id_token: 'A' }, 'connector_id'],
  ])('answers SchemaValidationError for a request %s, naming it', async (_what, request, named) => {
    const { station } = await startCharger(broker);
    const result = await station.call('exists_reservation', { request });
    expect(result.error?.__everest__error_type).toBe('SchemaValidationError');
    expect(result.error?.__everest__error_msg).toContain(named);
  });
});
