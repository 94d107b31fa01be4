// The dashboard page: state from the server's event stream, drawn with DOM calls and textContent
// only (never innerHTML, see dom.js), so a token such as <script> is shown as text and never run.
'use strict';

(() => {
  const D = window.ReservationDashboard;
  const { el, clock, countdown } = D;
  const ARM_MS = 4000;

  /** Page-wide state: what the server said, and the little the page adds (sorting, armed cancels). */
  const page = {
    mode: 'module',
    forms: false,
    prefix: '',
    moduleId: undefined,
    broker: { connected: true, since: undefined },
    link: 'connecting',
    authFailed: false,
    modules: new Map(),
    sections: new Map(),
    sort: { key: 'expiry', dir: 1 },
    armed: new Map(),
  };

  const $ = (id) => document.getElementById(id);

  // ---- one module -----------------------------------------------------------------------------

  /** The section of a module, built once; its parts are refilled on every update. */
  function section(moduleId) {
    let parts = page.sections.get(moduleId);
    if (parts) return parts;
    const status = el('span', { class: 'pill', 'data-state': 'unknown', text: 'status unknown' });
    const updated = el('span', { class: 'updated muted' });
    const tiles = el('div', { class: 'tiles', 'aria-label': 'connectors' });
    const tableHead = el('thead');
    const tableBody = el('tbody');
    const count = el('span');
    const events = el('ol', { class: 'events' });
    const diagnostics = el('dl');
    const left = el('div', {},
      tiles,
      el('div', { class: 'panel' }, el('h3', {}, 'Reservations ', count), el('div', { class: 'table-wrap' }, el('table', { class: 'reservations' }, tableHead, tableBody))),
    );
    const right = el('div', {},
      el('div', { class: 'panel' }, el('h3', { text: 'Events' }), events),
      el('details', { class: 'panel diagnostics' }, el('summary', { text: 'Diagnostics' }), diagnostics),
    );
    const root = el('section', { class: 'module', 'data-module': moduleId, 'aria-label': `module ${moduleId}` },
      el('header', { class: 'module-head' }, el('h2', { text: moduleId }), status, updated),
      el('div', { class: 'layout' }, left, right),
    );
    if (page.forms) {
      const actions = $('actions');
      actions.hidden = false;
      right.prepend(actions);
    }
    parts = { root, status, updated, tiles, tableHead, tableBody, count, events, diagnostics };
    page.sections.set(moduleId, parts);
    $('modules').append(root);
    return parts;
  }

  function render(view) {
    const parts = section(view.module_id);
    const snapshot = view.snapshot;
    const status = view.status === 'online' || view.status === 'offline' ? view.status : 'unknown';
    parts.status.dataset.state = status;
    parts.status.textContent = status === 'unknown' ? 'status unknown' : status;
    parts.updated.textContent = snapshot ? `updated ${clock(snapshot.updated_at)}` : '';
    parts.root.dataset.stale = String(!page.broker.connected || status === 'offline');
    D.renderTiles(parts.tiles, view, page.prefix);
    renderTable(parts, view);
    renderEvents(parts, view);
    renderDiagnostics(parts, snapshot);
    if (page.forms) D.updateChoices(snapshot);
  }

  /** The table's columns: where a reservation is in the module's interface, between the id and the tokens. */
  const ID = { key: 'id', title: 'Id', td: (r) => el('td', { class: 'num', text: r.reservation_id }) };
  const TOKENS_AND_EXPIRY = [
    { key: 'token', title: 'Token', td: (r) => el('td', { class: 'token', text: r.id_token }) },
    { key: 'parent', title: 'Parent token', className: 'parent', td: (r) => el('td', { class: 'token parent', text: r.parent_id_token === undefined ? '–' : r.parent_id_token }) },
    { key: 'expiry', title: 'Expires', td: (r) => el('td', { class: 'expires' }, countdown(r.expiry_time), el('span', { class: 'when', text: clock(r.expiry_time) })) },
  ];
  const COLUMNS = {
    connector: [ID, { key: 'connector', title: 'Connector', td: (r) => el('td', { text: r.connector_id === 0 ? 'any' : r.connector_id }) }, ...TOKENS_AND_EXPIRY],
    evse: [
      ID,
      { key: 'evse', title: 'EVSE', td: (r) => el('td', { class: 'evse', text: r.evse_id === undefined ? 'any' : r.evse_id }) },
      { key: 'type', title: 'Type', td: (r) => el('td', { class: 'type', text: r.connector_type === undefined ? 'any' : r.connector_type }) },
      ...TOKENS_AND_EXPIRY,
    ],
  };
  const byId = (a, b) => a.reservation_id - b.reservation_id;
  const SORTERS = {
    id: byId,
    connector: (a, b) => (a.connector_id || 0) - (b.connector_id || 0) || byId(a, b),
    evse: (a, b) => (a.evse_id || 0) - (b.evse_id || 0) || byId(a, b),
    type: (a, b) => (a.connector_type || '').localeCompare(b.connector_type || '') || byId(a, b),
    token: (a, b) => a.id_token.localeCompare(b.id_token),
    parent: (a, b) => (a.parent_id_token || '').localeCompare(b.parent_id_token || ''),
    expiry: (a, b) => Date.parse(a.expiry_time) - Date.parse(b.expiry_time) || byId(a, b),
  };

  function renderTable(parts, view) {
    const columns = COLUMNS[D.interfaceOf(view.snapshot)];
    const reservations = view.snapshot ? view.snapshot.reservations.slice() : [];
    const { key, dir } = page.sort;
    reservations.sort((a, b) => dir * SORTERS[key](a, b));
    parts.count.textContent = view.snapshot ? `(${view.snapshot.reservations_total})` : '';
    parts.tableHead.replaceChildren(
      el('tr', {},
        columns.map((column) =>
          el('th', { class: column.className, 'aria-sort': key === column.key ? (dir > 0 ? 'ascending' : 'descending') : undefined },
            el('button', { type: 'button', 'data-sort': column.key, text: column.title, on: { click: () => sortBy(column.key) } }),
          ),
        ),
        page.forms ? el('th', { text: '' }) : null,
      ),
    );
    if (reservations.length === 0) {
      parts.tableBody.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: columns.length + 1, text: 'No reservations held' })));
      return;
    }
    parts.tableBody.replaceChildren(
      ...reservations.map((r) =>
        el('tr', { 'data-reservation': r.reservation_id },
          columns.map((column) => column.td(r)),
          page.forms ? el('td', {}, cancelButton(r.reservation_id)) : null,
        ),
      ),
    );
  }

  function sortBy(key) {
    page.sort = { key, dir: page.sort.key === key ? -page.sort.dir : 1 };
    for (const view of page.modules.values()) renderTable(section(view.module_id), view);
  }

  /** Two taps: the first arms the button for a few seconds, the second cancels (no slip of a finger on an HMI). */
  function cancelButton(reservationId) {
    const armedUntil = page.armed.get(reservationId);
    const armed = armedUntil !== undefined && armedUntil > Date.now();
    return el('button', {
      type: 'button',
      class: 'cancel',
      'data-armed': String(armed),
      'aria-label': armed ? `confirm cancelling reservation ${reservationId}` : `cancel reservation ${reservationId}`,
      text: armed ? 'Confirm' : 'Cancel',
      on: {
        click: (event) => {
          if (!armed) {
            page.armed.set(reservationId, Date.now() + ARM_MS);
            event.currentTarget.replaceWith(cancelButton(reservationId));
            setTimeout(() => {
              page.armed.delete(reservationId);
              const row = document.querySelector(`tr[data-reservation="${CSS.escape(String(reservationId))}"] button.cancel`);
              if (row && row.dataset.armed === 'true') row.replaceWith(cancelButton(reservationId));
            }, ARM_MS);
            return;
          }
          page.armed.delete(reservationId);
          event.currentTarget.disabled = true;
          void D.act('cancel', { reservation_id: reservationId }, `Cancel #${reservationId}`);
        },
      },
    });
  }

  /** An EVSE's change for the log: its state, its connectors that differ from it, and whether it is held. */
  function evseChange(event) {
    const odd = event.connectors.filter((c) => c.state !== event.state).map((c) => `connector ${c.connector_id} (${c.type}) ${c.state}`);
    const held = event.held_for_station_wide ? ['held for station-wide reservations'] : [];
    return [`${D.evseName(event.evse_id)} is now ${event.state}`, ...odd, ...held].join('; ');
  }

  function eventLine(event) {
    switch (event.type) {
      case 'reservation': {
        const r = event.reservation;
        const parent = r.parent_id_token === undefined ? [] : [' (parent ', el('span', { class: 'token', text: r.parent_id_token }), ')'];
        return { kind: 'made', parts: [`Reservation #${r.reservation_id} made: ${D.placeOf(r)} for `, el('span', { class: 'token', text: r.id_token }), ...parent, ` until ${clock(r.expiry_time)}`] };
      }
      case 'reservation_end':
        return { kind: 'ended', parts: [`Reservation #${event.reservation_id} ended: `, el('span', { class: 'reason', text: event.reason })] };
      case 'reservation_update':
        return { kind: 'ended', parts: [`Reservation #${event.reservation_id} ended: `, el('span', { class: 'reason', text: event.reservation_status })] };
      case 'reservation_gone':
        return { kind: 'ended', parts: [`Reservation #${event.reservation_id} no longer held`] };
      case 'connector':
        return { kind: 'connector', parts: [`${D.connectorName(event.connector_id)} is now ${event.state}`] };
      case 'evse':
        return { kind: 'connector', parts: [evseChange(event)] };
      case 'status':
        return { kind: 'status', parts: [`Module ${event.status}`] };
      case 'token':
        return { kind: 'token', parts: [el('span', { class: 'reason', text: event.kind === 'narrowed' ? 'Token narrowed' : 'Token refused' }), `: ${event.description}`] };
      default:
        return { kind: 'other', parts: [String(event.type)] };
    }
  }

  function renderEvents(parts, view) {
    if (view.events.length === 0) {
      parts.events.replaceChildren(el('li', {}, el('span', { class: 'empty', text: 'Nothing yet: reservations made and ended show here, newest first.' })));
      return;
    }
    parts.events.replaceChildren(
      ...view.events.map((event) => {
        const line = eventLine(event);
        return el('li', { 'data-kind': line.kind }, el('time', { datetime: event.at, text: clock(event.at) }), el('span', { class: 'what' }, line.parts));
      }),
    );
  }

  const DIAGNOSTICS = [
    ['commands_in_flight', 'Commands in flight'],
    ['pending_evse_calls', 'EVSE calls waiting'],
    ['undelivered_ends', 'Ends not yet delivered'],
    ['active_timers', 'Timers'],
    ['active_handles', 'Handles'],
    ['heap_used_bytes', 'Heap used'],
    ['rss_bytes', 'Resident memory'],
  ];

  /** The token path's counts (only a module in the token path publishes them). */
  const TOKENS = [
    ['passed', 'Tokens passed unchanged'],
    ['narrowed', 'Tokens narrowed'],
    ['refused', 'Tokens refused'],
    ['refused_at_validation', 'Tokens refused at validation'],
  ];

  function renderDiagnostics(parts, snapshot) {
    const diagnostics = snapshot && snapshot.diagnostics;
    if (!diagnostics) {
      parts.diagnostics.replaceChildren(el('dt', { text: 'none published yet' }));
      return;
    }
    const tokens = snapshot.tokens || {};
    const rows = [...DIAGNOSTICS.map(([key, title]) => [title, diagnostics[key], key]), ...(snapshot.tokens ? TOKENS.map(([key, title]) => [title, tokens[key], key]) : [])];
    parts.diagnostics.replaceChildren(
      ...rows.flatMap(([title, value, key]) => {
        const shown = typeof value !== 'number' ? '–' : key.endsWith('_bytes') ? `${(value / 1048576).toFixed(1)} MB` : String(value);
        return [el('dt', { text: title }), el('dd', { text: shown })];
      }),
    );
  }

  // ---- page-wide: header, banner, event stream -------------------------------------------------

  function renderChrome() {
    const broker = $('broker');
    broker.dataset.state = page.broker.connected ? 'connected' : 'disconnected';
    broker.textContent = page.broker.connected ? 'Broker connected' : 'Broker lost';
    const link = $('link');
    link.dataset.state = page.link;
    link.textContent = page.link === 'live' ? 'Live' : page.link === 'lost' ? 'Dashboard unreachable' : 'Connecting…';
    $('scope').textContent = page.mode === 'fleet' ? `fleet · ${page.modules.size} module${page.modules.size === 1 ? '' : 's'} under ${page.prefix}` : `module ${page.moduleId} · ${page.prefix}`;
    document.title = page.mode === 'fleet' ? 'Reservations · fleet' : `Reservations · ${page.moduleId}`;

    const banner = $('banner');
    let message = '';
    if (page.authFailed) message = 'Not authorised: open this page once as /?token=<token>.';
    else if (page.link === 'lost') message = 'The dashboard server cannot be reached: showing the last state received, reconnecting…';
    else if (!page.broker.connected) message = `The broker connection is lost (since ${clock(page.broker.since)}): showing the last state received, reconnecting…`;
    banner.textContent = message;
    banner.hidden = message === '';
  }

  function applyState(state) {
    page.mode = state.mode;
    page.forms = state.forms === true;
    page.prefix = state.prefix;
    page.moduleId = state.module_id;
    D.setServerTime(state.server_time);
    page.broker = state.broker;
    document.body.classList.toggle('fleet', page.mode === 'fleet');
    const ids = new Set(state.modules.map((m) => m.module_id));
    for (const [id, parts] of page.sections) {
      if (!ids.has(id)) {
        parts.root.remove();
        page.sections.delete(id);
        page.modules.delete(id);
      }
    }
    for (const view of state.modules) {
      page.modules.set(view.module_id, view);
      render(view);
    }
    renderChrome();
  }

  function connect() {
    const source = new EventSource('events');
    source.addEventListener('open', () => {
      page.link = 'live';
      page.authFailed = false;
      renderChrome();
    });
    source.addEventListener('state', (event) => applyState(JSON.parse(event.data)));
    source.addEventListener('module', (event) => {
      const view = JSON.parse(event.data);
      D.setServerTime(view.server_time);
      page.modules.set(view.module_id, view);
      render(view);
      renderChrome();
    });
    source.addEventListener('gone', (event) => {
      const { module_id: id } = JSON.parse(event.data);
      const parts = page.sections.get(id);
      if (parts) parts.root.remove();
      page.sections.delete(id);
      page.modules.delete(id);
      renderChrome();
    });
    source.addEventListener('broker', (event) => {
      const broker = JSON.parse(event.data);
      page.broker = { connected: broker.connected, since: broker.since };
      for (const view of page.modules.values()) render(view);
      renderChrome();
    });
    source.addEventListener('error', () => {
      page.link = 'lost';
      if (source.readyState === EventSource.CLOSED) {
        // Closed for good (401, say): ask the server why, then try again a little later.
        fetch('api/state', { credentials: 'same-origin' }).then((r) => {
          page.authFailed = r.status === 401;
          renderChrome();
        }, () => undefined);
        setTimeout(connect, 3000);
      }
      renderChrome();
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    D.setUpForm(() => (page.modules.get(page.moduleId) || {}).snapshot);
    renderChrome();
    connect();
    setInterval(() => document.querySelectorAll('.countdown').forEach(D.tick), 1000);
  });
})();
