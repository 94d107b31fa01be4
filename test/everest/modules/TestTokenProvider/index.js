// A token reader under EVerest's own manager, written with EVerest's everestjs binding (issue 26):
// on the test's say ({action: 'present', token}) it publishes the ProvidedIdToken on its
// auth_token_provider implementation, as an RFID reader module does.
'use strict';

const { boot_module } = require('everestjs');
const { openChannel } = require('./test-channel');

let channel;

boot_module((moduleSetup) => {
  channel = openChannel(moduleSetup, (mod, request) => {
    if (request.action !== 'present') throw new Error(`unknown action ${request.action}`);
    mod.provides.main.publish.provided_token(request.token);
    return null;
  });
}).then((mod) => channel.ready(mod));
