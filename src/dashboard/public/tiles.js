// A module's tiles: one per connector (connector interface) or one per EVSE with its connectors,
// their types and states (evse interface), and one for the station-wide reservations. Where a
// reservation is, in its interface's words, for the table and the event log too.
'use strict';

(() => {
  const D = window.ReservationDashboard;
  // (el() writes true as an empty attribute: data-* flags the CSS reads are given as "true"/"false".)
  const { el } = D;
  const STATES = ['Available', 'Occupied', 'Faulted', 'Unavailable'];
  const known = (state) => (STATES.includes(state) ? state : 'Unavailable');

  /** A snapshot without `interface` comes from a module older than the evse interface: connectors. */
  const interfaceOf = (snapshot) => (snapshot && snapshot.interface === 'evse' ? 'evse' : 'connector');
  const connectorName = (id) => (id === 0 ? 'Any connector' : `Connector ${id}`);
  const evseName = (id) => (id === 0 ? 'EVSE (not yet known)' : `EVSE ${id}`);

  /** "connector 2", "any connector", "EVSE 1 (cCCS2)", "any EVSE". */
  function placeOf(r) {
    if (r.connector_id !== undefined) return connectorName(r.connector_id).toLowerCase();
    const where = r.evse_id === undefined ? 'any EVSE' : `EVSE ${r.evse_id}`;
    return r.connector_type === undefined ? where : `${where} (${r.connector_type})`;
  }

  function reservationLines(reservationId, reservation) {
    return el('div', { class: 'reservation' },
      el('span', { class: 'state', 'data-state': 'Reserved', text: `Reserved #${reservationId}` }),
      reservation && reservation.connector_type !== undefined ? el('span', {}, el('span', { class: 'type', text: reservation.connector_type }), ' connector') : null,
      reservation ? el('span', { class: 'token', text: reservation.id_token }) : null,
      reservation ? el('span', {}, 'ends in ', D.countdown(reservation.expiry_time)) : null,
    );
  }

  function connectorTile(connector, byId) {
    const state = known(connector.state);
    return el('article', { class: 'tile', 'data-state': state, 'data-connector': connector.connector_id, 'data-reserved': String(connector.reserved_by !== undefined) },
      el('div', { class: 'name', text: connectorName(connector.connector_id) }),
      el('span', { class: 'state', 'data-state': state, text: state }),
      connector.reserved_by === undefined ? el('div', { class: 'detail', text: 'Not reserved' }) : reservationLines(connector.reserved_by, byId.get(connector.reserved_by)),
    );
  }

  function evseTile(evse, position, byId) {
    const state = known(evse.state);
    const held = evse.held_for_station_wide === true;
    let reservation = el('div', { class: 'detail', text: 'Not reserved' });
    if (evse.reserved_by !== undefined) reservation = reservationLines(evse.reserved_by, byId.get(evse.reserved_by));
    else if (held) reservation = el('div', { class: 'reservation' }, el('span', { class: 'state', 'data-state': 'Reserved', text: 'Held for station-wide reservations' }));
    return el('article', { class: 'tile evse', 'data-state': state, 'data-evse': evse.evse_id, 'data-position': position, 'data-reserved': String(evse.reserved_by !== undefined || held), 'data-held': String(held) },
      el('div', { class: 'name', text: evseName(evse.evse_id) }),
      el('span', { class: 'state', 'data-state': state, text: state }),
      el('ul', { class: 'connectors', 'aria-label': `connectors of ${evseName(evse.evse_id)}` },
        evse.connectors.map((c) =>
          el('li', { 'data-connector': c.connector_id, 'data-state': known(c.state) },
            el('span', { class: 'id', text: c.connector_id }),
            el('span', { class: 'type', text: c.type }),
            el('span', { class: 'state small', 'data-state': known(c.state), text: known(c.state) }),
          ),
        ),
      ),
      reservation,
    );
  }

  function stationTile(evse, reservations) {
    return el('article', { class: 'tile', 'data-state': 'Station', [evse ? 'data-evse' : 'data-connector']: evse ? 'any' : 0, 'data-reserved': 'true' },
      el('div', { class: 'name', text: evse ? 'Any EVSE' : 'Any connector' }),
      el('span', { class: 'state', 'data-state': 'Station', text: 'Station-wide' }),
      reservations.map((r) => reservationLines(r.reservation_id, r)),
    );
  }

  function renderTiles(container, view, prefix) {
    const snapshot = view.snapshot;
    if (!snapshot) {
      container.replaceChildren(el('p', { class: 'waiting panel', text: `Waiting for module ${view.module_id} to publish its snapshot (prefix ${prefix}): is it running?` }));
      return;
    }
    const evse = interfaceOf(snapshot) === 'evse';
    const byId = new Map(snapshot.reservations.map((r) => [r.reservation_id, r]));
    const places = evse ? snapshot.evses : snapshot.connectors;
    const tiles = evse ? places.map((e, index) => evseTile(e, index + 1, byId)) : places.map((c) => connectorTile(c, byId));
    const stationWide = snapshot.reservations.filter((r) => (evse ? r.evse_id === undefined : r.connector_id === 0));
    if (stationWide.length > 0) tiles.push(stationTile(evse, stationWide));
    const total = evse ? snapshot.evses_total : snapshot.connectors_total;
    if (total > places.length) tiles.push(el('p', { class: 'detail', text: `${total - places.length} more ${evse ? 'EVSEs' : 'connectors'} not shown` }));
    container.setAttribute('aria-label', evse ? 'EVSEs' : 'connectors');
    container.replaceChildren(...tiles);
  }

  Object.assign(D, { renderTiles, placeOf, interfaceOf, connectorName, evseName });
})();
