// Issue 27: the OCPP conformance cases for reservations that need the token path, as tests of ours
// at this module's interfaces. Each case's steps (OCPP 2.0.1 Part 6 block H with its 2025-09 errata;
// the OCPP 1.6 OCTT test case document, FINAL 2024-04, §2.20) are cut down to what falls to this
// module: the tokens Auth is given, the validator's answer, reservation_update / reservation_end,
// exists_reservation and the EVSE managers' calls. Auth, OCPP and the EvseManagers are doubles here;
// test/everest runs the same cases under EVerest's own Auth.
import { type Broker, startBroker } from '../support/broker';
import { evseReservation, evsesOf } from '../support/evse-station';
import { EvseDouble } from '../support/evse-double';
import { isoIn, reservation, startStation } from '../support/harness';
import { uniquePrefix } from '../support/module-process';
import { sleep } from '../support/teardown';
import { ACCEPTED, AuthSide, card, eventually, remoteStart, startTokenCharger, type TokenCharger, TokenProviderDouble, ValidatorDouble } from '../support/token-path';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

const CCS2 = ['cCCS2'];
const TYPE2 = ['cType2'];

/** Every reservation_update status of `id`, in order. */
const updatesOf = (charger: TokenCharger, id: number): string[] => charger.updateEvents().filter((u) => u.reservation_id === id).map((u) => u.reservation_status);

describe('OCPP 1.6', () => {
  it('TC_046_1: a wrong card at the reserved connector is refused locally, with no validator asked; the reserved card gets the reservation id', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    charger.evse[0]?.answer({ kind: 'everest' });
    expect(await charger.reserve(evseReservation(46, { evse_id: 1, id_token: 'VALID-IDTAG' }))).toBe('Accepted');
    // The wrong card at connector 1's own reader: [] (Auth rejects it before any validator, so no Authorize.req).
    await charger.reader.present(card('WRONG-CARD', { connectors: [1] }));
    expect((await charger.auth.nth(1)).connectors).toEqual([]);
    // At a reader shared by both connectors, the reserved one is taken out.
    await charger.reader.present(card('WRONG-CARD'));
    expect((await charger.auth.nth(2)).connectors).toEqual([2]);
    // The reserved card passes as it came (connector 1 is first in id order already); validated there, it carries the reservation id.
    await charger.reader.present(card('valid-idtag'));
    expect(await charger.auth.nth(3)).toEqual(card('valid-idtag'));
    await charger.reader.present(card('valid-idtag', { connectors: [2, 1] }));
    expect((await charger.auth.nth(4)).connectors).toEqual([1, 2]);
    expect(await charger.auth.validate(card('valid-idtag', { connectors: [1] }))).toEqual({ ...ACCEPTED, reservation_id: 46 });
    // The EvseManager's TransactionStarted carries the id (StartTransaction.reservationId) and clears it silently.
    await charger.evse[0]?.transactionStarted({ token: 'valid-idtag', reservationId: 46 });
    await eventually(() => charger.endEvents().length === 1, 'reservation_end');
    expect(charger.endEvents()).toEqual([{ reservation_id: 46, reason: 'UsedToStartCharging' }]);
    expect(charger.evse[0]?.callLog()).toEqual(['reserve({"reservation_id":46})']);
  });

  it('TC_046_1 in the connector interface (EVerest before 2024.11): the same refusal and reservation id', async () => {
    const prefix = uniquePrefix();
    const evse = [await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2')];
    const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
    const validator = await ValidatorDouble.start(broker, prefix, 'ocpp');
    const auth = await AuthSide.start(broker, prefix, 'reservation');
    const station = await startStation(broker, {
      prefix,
      connections: { evse_manager: evse.map((e) => e.connection), token_providers: [reader.connection], token_validators: [validator.connection] },
    });
    expect(await station.reserveNow(1, reservation(46, { id_token: 'VALID-IDTAG' }))).toBe('Accepted');
    await reader.present(card('WRONG-CARD', { connectors: [1] }));
    expect((await auth.nth(1)).connectors).toEqual([]);
    expect(await auth.validate(card('VALID-IDTAG', { connectors: [1] }))).toEqual({ ...ACCEPTED, reservation_id: 46 });
  });

  it('TC_049: a station-wide reservation\'s id reaches the session when the token comes first', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    // Only connector 1 left: connector 2 is unavailable, as the case prepares it.
    await charger.evse[1]?.disabled();
    await sleep(300);
    expect(await charger.reserve(evseReservation(49, { id_token: 'VALID-IDTAG' }))).toBe('Accepted');
    // Anybody else is kept off the one connector the reservation needs (Auth itself skips the unavailable one).
    await charger.reader.present(card('WALK-IN'));
    expect((await charger.auth.nth(1)).connectors).toEqual([2]);
    await charger.reader.present(card('WALK-IN', { connectors: [1] }));
    expect((await charger.auth.nth(2)).connectors).toEqual([]);
    await charger.ocpp.present(remoteStart('VALID-IDTAG', 1, { prevalidated: true }));
    expect((await charger.auth.nth(3)).connectors).toEqual([1]);
    // Token before plug-in: the validator's answer names the reservation, which EvseManager carries into the session.
    expect(await charger.auth.validate(card('VALID-IDTAG', { connectors: [1] }))).toEqual({ ...ACCEPTED, reservation_id: 49 });
    await charger.evse[0]?.transactionStarted({ token: 'VALID-IDTAG', reservationId: 49 });
    await eventually(() => updatesOf(charger, 49).includes('Used'), 'reservation_update Used');
    expect(charger.endEvents()).toEqual([{ reservation_id: 49, reason: 'UsedToStartCharging' }]);
  });

  it('TC_053: a different tag whose parent id tag is the reservation\'s is accepted once the validator tells the parent; others are not', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    expect(await charger.reserve(evseReservation(53, { evse_id: 1, id_token: 'VALID-IDTAG', parent_id_token: 'PARENT-TAG' }))).toBe('Accepted');
    // The reader at connector 1 cannot know the group: the token goes on, and the validator decides (Authorize.req).
    await charger.reader.present(card('OTHER-TAG', { connectors: [1] }));
    expect((await charger.auth.nth(1)).connectors).toEqual([1]);
    charger.validator.answers(() => ({ retval: { ...ACCEPTED, parent_id_token: { value: 'PARENT-TAG', type: 'Central' } } }));
    expect(await charger.auth.validate(card('OTHER-TAG', { connectors: [1] }))).toMatchObject({ authorization_status: 'Accepted', reservation_id: 53 });
    charger.validator.answers(() => ({ retval: { ...ACCEPTED, parent_id_token: { value: 'SOMEONE-ELSE', type: 'Central' } } }));
    expect(await charger.auth.validate(card('THIRD-TAG', { connectors: [1] }))).toMatchObject({ authorization_status: 'NotAtThisTime' });
    expect(updatesOf(charger, 53)).toEqual(['Placed']);
  });
});

describe('OCPP 2.0.1', () => {
  it('TC_H_01: the holder is authorised on the reserved EVSE, the reservation is used once, and no Expired follows', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    charger.evse[0]?.answer({ kind: 'everest' });
    expect(await charger.reserve(evseReservation(101, { evse_id: 1, id_token: 'valid_idtoken', expiry_time: isoIn(4000) }))).toBe('Accepted');
    await charger.ocpp.present(remoteStart('VALID_IDTOKEN', 1));
    expect((await charger.auth.nth(1)).connectors).toEqual([1]);
    expect(await charger.auth.validate(remoteStart('VALID_IDTOKEN', 1))).toEqual({ ...ACCEPTED, reservation_id: 101 });
    // Authorised before plug-in: the EvseManager starts the session (reason Authorized) with the id and drops it silently.
    await charger.evse[0]?.sessionStarted({ reason: 'Authorized', token: 'VALID_IDTOKEN', reservationId: 101 });
    await eventually(() => updatesOf(charger, 101).includes('Used'), 'reservation_update Used');
    await sleep(5000); // past its expiry_time
    expect(updatesOf(charger, 101)).toEqual(['Placed', 'Used']);
    expect(charger.endEvents()).toEqual([{ reservation_id: 101, reason: 'UsedToStartCharging' }]);
    expect(charger.evse[0]?.callLog()).toEqual(['reserve({"reservation_id":101})']);
  });

  it('TC_H_02: another valid token does not charge on the reserved EVSE, locally or by remote start', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    expect(await charger.reserve(evseReservation(102, { evse_id: 1, id_token: 'valid_idtoken1' }))).toBe('Accepted');
    await charger.evse[0]?.sessionStarted(); // EVConnectedPreSession
    await sleep(300);
    await charger.reader.present(card('valid_idtoken2', { connectors: [1] }));
    expect((await charger.auth.nth(1)).connectors).toEqual([]);
    // Remote: OCPP asks exists_reservation first and rejects RequestStartTransaction on ReservedForOtherToken...
    expect(await charger.exists({ evse_id: 1, id_token: 'valid_idtoken2' })).toBe('ReservedForOtherToken');
    // ...and a remote start that reaches the gate anyway finds no EVSE.
    await charger.ocpp.present(remoteStart('valid_idtoken2', 1));
    expect((await charger.auth.nth(2)).connectors).toEqual([]);
    expect(charger.validator.calls).toEqual([]);
    expect(updatesOf(charger, 102)).toEqual(['Placed']);
  });

  it('TC_H_08 and TC_H_14: a reservation for no EVSE keeps walk-ins off only the EVSEs it needs; as many as EVSEs keep every EVSE Reserved', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    for (const evse of charger.evse) evse.answer({ kind: 'everest' });
    // TC_H_08: one of two EVSEs is enough for the reservation: a walk-in may still use either.
    expect(await charger.reserve(evseReservation(108, { id_token: 'valid_idtoken' }))).toBe('Accepted');
    await charger.reader.present(card('WALK-IN'));
    expect((await charger.auth.nth(1)).connectors).toBeUndefined();
    // Once EVSE 2 is charging, EVSE 1 is the one the reservation needs.
    await charger.evse[1]?.transactionStarted({ token: 'SOMEONE' });
    await eventually(() => charger.evse[0]?.reservedFor === -1, 'EVSE 1 shown Reserved (reserve(-1))');
    await charger.reader.present(card('WALK-IN'));
    expect((await charger.auth.nth(2)).connectors).toEqual([2]);
    expect(await charger.auth.validate(card('valid_idtoken', { connectors: [1] }))).toEqual({ ...ACCEPTED, reservation_id: 108 });
    await charger.evse[1]?.sessionFinished();
    await eventually(() => charger.evse[0]?.reservedFor === undefined, 'EVSE 1 no longer shown Reserved');
    // TC_H_14: a second one, for another token: now every EVSE is needed and shown Reserved.
    expect(await charger.reserve(evseReservation(114, { id_token: 'valid_idtoken2' }))).toBe('Accepted');
    await eventually(() => charger.evse.every((e) => e.reservedFor === -1), 'every EVSE shown Reserved');
    await charger.reader.present(card('WALK-IN'));
    expect((await charger.auth.nth(3)).connectors).toEqual([]);
    await charger.reader.present(card('valid_idtoken2'));
    expect((await charger.auth.nth(4)).connectors).toBeUndefined();
  });

  it('TC_H_15: a reservation of a connector type keeps walk-ins off the EVSE with that type only', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, TYPE2));
    expect(await charger.reserve(evseReservation(115, { id_token: 'valid_idtoken', connector_type: 'cType2' }))).toBe('Accepted');
    await charger.reader.present(card('WALK-IN'));
    expect((await charger.auth.nth(1)).connectors).toEqual([1]);
    await charger.reader.present(card('valid_idtoken'));
    expect((await charger.auth.nth(2)).connectors).toBeUndefined();
    expect(await charger.auth.validate(card('valid_idtoken', { connectors: [2] }))).toEqual({ ...ACCEPTED, reservation_id: 115 });
  });

  it('TC_H_19: a different token of the reservation\'s group uses the reserved EVSE', async () => {
    const charger = await startTokenCharger(broker, evsesOf(CCS2, CCS2));
    charger.evse[0]?.answer({ kind: 'everest' });
    expect(await charger.reserve(evseReservation(119, { evse_id: 1, id_token: 'valid_idtoken', parent_id_token: 'group_idtoken' }))).toBe('Accepted');
    // Remotely, the group token comes with the token: the gate lets it through at once.
    await charger.ocpp.present(remoteStart('valid_idtoken2', 1, { parent_id_token: { value: 'group_idtoken', type: 'Central' } }));
    expect((await charger.auth.nth(1)).connectors).toEqual([1]);
    // Locally, the reader cannot know the group: the token goes on, and the validator's group decides (AuthorizeRequest).
    await charger.reader.present(card('valid_idtoken2', { connectors: [1] }));
    expect((await charger.auth.nth(2)).connectors).toEqual([1]);
    charger.validator.answers(() => ({ retval: { ...ACCEPTED, parent_id_token: { value: 'GROUP_IDTOKEN', type: 'Central' } } }));
    expect(await charger.auth.validate(card('valid_idtoken2', { connectors: [1] }))).toMatchObject({ authorization_status: 'Accepted', reservation_id: 119 });
    await charger.evse[0]?.sessionStarted({ reason: 'Authorized', token: 'valid_idtoken2', parentToken: 'GROUP_IDTOKEN', reservationId: 119 });
    await eventually(() => updatesOf(charger, 119).includes('Used'), 'reservation_update Used');
    expect(updatesOf(charger, 119)).toEqual(['Placed', 'Used']);
  });
});
