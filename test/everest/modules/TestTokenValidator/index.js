// A token validator under EVerest's own manager, written with EVerest's everestjs binding (issue 26):
// validate_token answers with the ValidationResult the test set for the token's value
// ({action: 'answer', results: {<value>: ValidationResult}}), Invalid for any other token, and
// reports each call ({kind: 'call', cmd: 'validate_token', args, result}). On the test's say it
// publishes validate_result_update ({action: 'update', update}).
'use strict';

const { boot_module } = require('everestjs');
const { openChannel } = require('./test-channel');

const UNKNOWN_TOKEN = { authorization_status: 'Invalid', tariff_messages: [] };
let results = {};
let channel;

boot_module((moduleSetup) => {
  channel = openChannel(moduleSetup, (mod, request) => {
    switch (request.action) {
      case 'answer':
        results = request.results;
        return null;
      case 'update':
        mod.provides.main.publish.validate_result_update(request.update);
        return null;
      default:
        throw new Error(`unknown action ${request.action}`);
    }
  });
  moduleSetup.setup.provides.main.register.validate_token((_mod, args) => {
    const result = results[args.provided_token.id_token.value] || UNKNOWN_TOKEN;
    channel.report({ kind: 'call', cmd: 'validate_token', args, result });
    return result;
  });
}).then((mod) => channel.ready(mod));
