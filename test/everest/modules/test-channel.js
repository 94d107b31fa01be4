// The test's line to a test module, over the framework's own external MQTT (the manifests set
// enable_external_mqtt): the test publishes {seq, action, ...} on test-control/<module id>/do; the
// module reports on test-control/<module id>/did: {kind: 'ready', ...} once its GlobalReady came,
// {kind: 'done', seq, result | error} for each action, and what it observes meanwhile (calls, vars).
// The suite copies this file into each test module's folder (test/everest/support/tree.ts).
'use strict';

/** Not under the EVerest prefix: the framework hands such topics to the module as they are. */
const CONTROL_ROOT = 'test-control';

function messageOf(err) {
  return err && typeof err.message === 'string' ? err.message : String(err);
}

/**
 * Subscribes (during setup: `moduleSetup` is what everestjs hands the setup callback) to the
 * module's control topic; `act(mod, request)` carries out an action after GlobalReady and returns
 * (or resolves with) its result.
 */
function openChannel(moduleSetup, act) {
  const id = moduleSetup.info.id;
  const report = (message) => moduleSetup.mqtt.publish(`${CONTROL_ROOT}/${id}/did`, JSON.stringify(message));
  let mod;
  moduleSetup.mqtt.subscribe(`${CONTROL_ROOT}/${id}/do`, (_mod, text) => {
    let request;
    try {
      request = JSON.parse(text);
    } catch (err) {
      report({ kind: 'done', error: `not JSON: ${text}` });
      return;
    }
    const { seq } = request;
    if (mod === undefined) {
      report({ kind: 'done', seq, error: 'no GlobalReady yet' });
      return;
    }
    // Carried out after this handler returned: the framework's thread that delivered the message
    // waits for it, and a command called from here must not hold that thread.
    Promise.resolve()
      .then(() => act(mod, request))
      .then(
        (result) => report({ kind: 'done', seq, result: result === undefined ? null : result }),
        (err) => report({ kind: 'done', seq, error: messageOf(err) }),
      );
  });
  return {
    report,
    /** From GlobalReady on, actions are carried out; the test hears `{kind: 'ready', ...details}`. */
    ready(readyMod, details = {}) {
      mod = readyMod;
      report({ kind: 'ready', ...details });
    },
  };
}

module.exports = { CONTROL_ROOT, openChannel };
