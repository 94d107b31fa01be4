// An EVSE manager under EVerest's own manager, written with EVerest's everestjs binding (issue 26).
// It registers every command that evse_manager declares in the tree (the framework refuses a
// module that leaves one out) and reports each call ({kind: 'call', cmd, args}). get_evse, reserve,
// cancel_reservation, authorize_response and withdraw_authorization keep the state EVerest's
// EvseManager keeps (modules/EVSE/EvseManager: EvseManager::reserve and cancel_reservation,
// evse_managerImpl), and so do the session events the test has it publish
// ({action: 'session_event', event, ...}): SessionStarted and TransactionStarted carry the
// reservation id it holds and an authorised start clears it silently; Disabled ends it with
// ReservationEnd. An Accepted authorize_response does what EvseManager's does (Charger::authorize,
// then handle_authorize_response): with no session yet it starts one at once (SessionStarted, reason
// Authorized), publishes Authorized, and then takes the validation result's reservation_id
// (reserve(id) without ReservationStart, refused once a car is plugged in). On the test's say it
// raises and clears errors ({action: 'raise_error' | 'clear_error', type}).
'use strict';

const { randomUUID } = require('node:crypto');
const { boot_module } = require('everestjs');
const { openChannel } = require('./test-channel');

/** Schema-valid answers for the commands this test EVSE manager does not model. */
const PLAIN_ANSWERS = {
  enable_disable: true,
  pause_charging: true,
  resume_charging: true,
  stop_transaction: true,
  force_unlock: true,
  external_ready_to_start_charging: true,
  update_allowed_energy_transfer_modes: 'Accepted',
};

/** The parts of a session event that carry a meter value (required by their types). */
const WITH_METER_VALUE = ['session_started', 'session_finished', 'transaction_started', 'transaction_finished'];

const state = {
  reserved: false,
  reservationId: -1,
  disabled: false,
  /** Raised error types: any of them stops charging here (EvseManager's stop_charging_on_fatal_error). */
  errors: new Set(),
  /** No car plugged in (EvseManager's Charger state Idle): a session started by an authorisation stays Idle. */
  idle: true,
  sessionActive: false,
  authorized: false,
  sessionUuid: '',
};

let channel;
let mod;

function publishSessionEvent(event) {
  mod.provides.evse.publish.session_event({ uuid: state.sessionUuid, timestamp: new Date().toISOString(), ...event });
}

function meterValue() {
  return { timestamp: new Date().toISOString(), energy_Wh_import: { total: 0 } };
}

/** EvseManager::reserve. */
function reserve(id, signal) {
  if (state.disabled || state.errors.size > 0 || !state.idle) return false;
  const overwrite = state.reservationId === id;
  if (state.reserved && state.reservationId !== -1 && !overwrite) return false;
  state.reserved = true;
  if (id >= 0) state.reservationId = id;
  if ((!overwrite || state.reservationId === -1) && signal) publishSessionEvent({ uuid: '', event: 'ReservationStart' });
  return true;
}

/** EvseManager::cancel_reservation. */
function cancelReservation(signal) {
  if (!state.reserved) return;
  state.reserved = false;
  state.reservationId = -1;
  if (signal) publishSessionEvent({ uuid: '', event: 'ReservationEnd' });
}

function answer(cmd, args) {
  switch (cmd) {
    case 'get_evse': {
      const types = String(mod.config.module.connector_types).split(',').map((t) => t.trim());
      return { id: mod.config.module.evse_id, connectors: types.map((type, i) => ({ id: i + 1, type })) };
    }
    case 'reserve':
      return reserve(args.reservation_id, true);
    case 'cancel_reservation':
      cancelReservation(true);
      return null;
    case 'authorize_response':
      if (args.validation_result.authorization_status === 'Accepted') authorize(args.provided_token, args.validation_result);
      return null;
    case 'withdraw_authorization':
      if (state.authorized && state.reserved) cancelReservation(true);
      state.authorized = false;
      return null;
    default:
      return cmd in PLAIN_ANSWERS ? PLAIN_ANSWERS[cmd] : null;
  }
}

/** Charger::authorize and evse_managerImpl::handle_authorize_response, for an Accepted result. */
function authorize(token, result) {
  if (!state.sessionActive) sessionEvent({ event: 'SessionStarted', session_started: { reason: 'Authorized', id_tag: token } });
  publishSessionEvent({ event: 'Authorized' });
  state.authorized = true;
  if (result.reservation_id !== undefined) reserve(result.reservation_id, false);
}

/** A session event as EvseManager publishes it, with what it does to the reservation it holds. */
function sessionEvent(request) {
  const { action: _action, seq: _seq, ...event } = request;
  for (const part of WITH_METER_VALUE) {
    if (event[part] !== undefined) event[part] = { meter_value: meterValue(), ...event[part] };
  }
  switch (event.event) {
    case 'SessionStarted':
      if (event.session_started?.reason !== 'Authorized') state.idle = false;
      state.sessionActive = true;
      state.sessionUuid = randomUUID();
      if (state.reserved) {
        event.session_started = { ...event.session_started, reservation_id: state.reservationId };
        if (event.session_started.reason === 'Authorized') cancelReservation(false);
      }
      publishSessionEvent(event);
      return;
    case 'TransactionStarted':
      state.idle = false;
      state.sessionActive = true;
      if (state.reserved) {
        event.transaction_started = { ...event.transaction_started, reservation_id: state.reservationId };
        cancelReservation(false);
      }
      publishSessionEvent(event);
      return;
    case 'SessionFinished':
      publishSessionEvent(event);
      state.idle = true;
      state.sessionActive = false;
      state.authorized = false;
      state.sessionUuid = '';
      return;
    case 'Disabled':
      state.disabled = true;
      publishSessionEvent(event);
      if (state.reserved) cancelReservation(true);
      return;
    case 'Enabled':
      state.disabled = false;
      publishSessionEvent(event);
      return;
    default:
      publishSessionEvent(event);
  }
}

function act(readyMod, request) {
  const impl = readyMod.provides.evse;
  switch (request.action) {
    case 'session_event':
      return sessionEvent(request);
    case 'raise_error':
      state.errors.add(request.type);
      impl.raise_error(impl.error_factory.create_error(request.type, '', request.message || `${request.type} raised by the test`));
      return null;
    case 'clear_error':
      state.errors.delete(request.type);
      impl.clear_error(request.type);
      return null;
    default:
      throw new Error(`unknown action ${request.action}`);
  }
}

boot_module((moduleSetup) => {
  channel = openChannel(moduleSetup, act);
  const { register } = moduleSetup.setup.provides.evse;
  for (const cmd of Object.keys(register)) {
    register[cmd]((handlerMod, args) => {
      mod = mod || handlerMod;
      const result = answer(cmd, args);
      channel.report({ kind: 'call', cmd, args, result });
      return result;
    });
  }
}).then((readyMod) => {
  mod = readyMod;
  channel.ready(readyMod);
});
