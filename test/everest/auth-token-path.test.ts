// Issue 26, part 4 (the harness): EVerest's own Auth (<prefix>/libexec/everest/modules/Auth), run by
// the manager with an everestjs reader (auth_token_provider), validator (auth_token_validator) and
// EVSE managers that record authorize_response. Wired today's way here: Auth hears the reader and
// asks the validator directly, the reservation module beside it on the same EVSE managers. The
// conformance cases of the token path (TC_046_1, TC_H_01, TC_H_02, TC_H_08, TC_H_19) use the same
// station with Auth's token_provider and token_validator wired to the module (moduleTokenPath):
// auth-reservation-cases.test.ts.
import { rfid } from './support/test-modules';
import { directTokenPath, presentToAuth, startStation } from './support/station';
import { treeForThisFile } from './support/tree';

const tree = treeForThisFile('evse');

const ACCEPTED = { authorization_status: 'Accepted', tariff_messages: [] };

describe("EVerest's Auth wired straight to a reader and a validator (the module not in the token path)", () => {
  it("takes a card the validator accepts to the first free EVSE manager's authorize_response", async () => {
    const station = await startStation({ tree: tree(), tokenPath: directTokenPath });
    await station.validator.answer({ 'CARD-1': ACCEPTED });
    await presentToAuth(station, rfid('CARD-1'));

    const validated = await station.validator.waitForCall((c) => c.cmd === 'validate_token');
    expect(validated.args).toMatchObject({ provided_token: { id_token: { value: 'CARD-1' } } });
    const authorized = await station.evses[0]?.waitForCall((c) => c.cmd === 'authorize_response');
    expect(authorized?.args).toMatchObject({ provided_token: { id_token: { value: 'CARD-1' } }, validation_result: { authorization_status: 'Accepted' } });
    expect(station.evses[1]?.calls('authorize_response')).toEqual([]);
  });

  it("tells only the EVSEs of the token's own list of a card the validator refuses, and authorises none", async () => {
    const station = await startStation({ tree: tree(), tokenPath: directTokenPath });
    // The reader of EVSE 2: its tokens name that EVSE.
    await presentToAuth(station, rfid('STRANGER', { connectors: [2] }));
    expect((await station.validator.waitForCall((c) => c.cmd === 'validate_token')).args).toMatchObject({ provided_token: { connectors: [2] } });
    const told = await station.evses[1]?.waitForCall((c) => c.cmd === 'authorize_response');
    expect(told?.args).toMatchObject({ provided_token: { id_token: { value: 'STRANGER' } }, validation_result: { authorization_status: 'Invalid' } });
    expect(station.evses[0]?.calls('authorize_response')).toEqual([]);
  });
});
