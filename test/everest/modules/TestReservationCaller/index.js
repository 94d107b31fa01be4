// A caller of the reservation module under EVerest's own manager, written with EVerest's everestjs
// binding (issue 26). It subscribes to every var that its connections' interfaces declare in the
// tree, reporting each value ({kind: 'var', requirement, var, value}), and on the test's say calls a
// command of a connection ({action: 'call', requirement, cmd, args}), answering with what the call
// returned or threw. Once ready it tells the test which commands and vars the tree declares.
'use strict';

const { boot_module } = require('everestjs');
const { openChannel } = require('./test-channel');

function call(mod, { requirement, index = 0, cmd, args = {} }) {
  const connection = (mod.uses_list[requirement] || [])[index];
  if (connection === undefined) throw new Error(`no connection ${requirement}[${index}]`);
  if (typeof connection.call[cmd] !== 'function') throw new Error(`${requirement} has no command ${cmd}`);
  return connection.call[cmd](args);
}

let channel;
const vars = {};

boot_module((moduleSetup) => {
  channel = openChannel(moduleSetup, (mod, request) => {
    if (request.action !== 'call') throw new Error(`unknown action ${request.action}`);
    return call(mod, request);
  });
  for (const [requirement, connections] of Object.entries(moduleSetup.setup.uses_list)) {
    connections.forEach((connection, index) => {
      const names = Object.keys(connection.subscribe || {});
      vars[requirement] = names;
      for (const name of names) {
        connection.subscribe[name]((_mod, value) => channel.report({ kind: 'var', requirement, index, var: name, value }));
      }
    });
  }
}).then((mod) => {
  const commands = {};
  for (const [requirement, connections] of Object.entries(mod.uses_list || {})) {
    commands[requirement] = Object.keys((connections[0] || {}).call || {});
  }
  channel.ready(mod, { commands, vars });
});
