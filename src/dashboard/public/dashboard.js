// The dashboard page: state from the server's event stream, drawn with DOM calls and textContent
// only (never innerHTML), so a token such as <script> is shown as text and never run.
'use strict';

(() => {
  const STATES = ['Available', 'Occupied', 'Faulted', 'Unavailable'];
  const SOON_MS = 60_000;
  const ARM_MS = 4000;

  /** Page-wide state: what the server said, and the little the page adds (sorting, armed cancels). */
  const page = {
    mode: 'module',
    forms: false,
    prefix: '',
    moduleId: undefined,
    /** Server clock minus ours, so countdowns follow the module's time, not the HMI's. */
    skewMs: 0,
    broker: { connected: true, since: undefined },
    link: 'connecting',
    authFailed: false,
    modules: new Map(),
    sections: new Map(),
    sort: { key: 'expiry', dir: 1 },
    armed: new Map(),
  };

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else if (name === 'on') for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const now = () => Date.now() + page.skewMs;
  const pad = (n) => String(n).padStart(2, '0');

  /** 24-hour local time; the date too when it is not today. */
  function clock(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return String(iso);
    const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
    const today = new Date(now());
    const sameDay = date.toDateString() === today.toDateString();
    return sameDay ? time : `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${time}`;
  }

  /** Time left as 14:59, 1:05:00, 2d 3h; "ended" once it is over. */
  function countdownText(ms) {
    if (ms <= 0) return 'ended';
    const s = Math.ceil(ms / 1000);
    const days = Math.floor(s / 86400);
    if (days > 0) return `${days}d ${Math.floor((s % 86400) / 3600)}h`;
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
  }

  function countdown(expiryTime) {
    const node = el('span', { class: 'countdown', 'data-expiry': Date.parse(expiryTime) });
    tick(node);
    return node;
  }

  function tick(node) {
    const left = Number(node.dataset.expiry) - now();
    if (Number.isNaN(left)) return;
    node.textContent = countdownText(left);
    node.dataset.soon = String(left > 0 && left <= SOON_MS);
    node.dataset.over = String(left <= 0);
  }

  function connectorName(id) {
    return id === 0 ? 'Any connector' : `Connector ${id}`;
  }

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
    renderTiles(parts, view);
    renderTable(parts, view);
    renderEvents(parts, view);
    renderDiagnostics(parts, snapshot);
    if (page.forms) updateConnectorChoice(snapshot);
  }

  function renderTiles(parts, view) {
    const snapshot = view.snapshot;
    if (!snapshot) {
      parts.tiles.replaceChildren(
        el('p', { class: 'waiting panel', text: `Waiting for module ${view.module_id} to publish its snapshot (prefix ${page.prefix}): is it running?` }),
      );
      return;
    }
    const byId = new Map(snapshot.reservations.map((r) => [r.reservation_id, r]));
    const tiles = snapshot.connectors.map((connector) => {
      const state = STATES.includes(connector.state) ? connector.state : 'Unavailable';
      const held = connector.reserved_by === undefined ? undefined : byId.get(connector.reserved_by);
      return el('article', { class: 'tile', 'data-state': state, 'data-connector': connector.connector_id, 'data-reserved': connector.reserved_by !== undefined },
        el('div', { class: 'name', text: connectorName(connector.connector_id) }),
        el('span', { class: 'state', 'data-state': state, text: state }),
        connector.reserved_by === undefined
          ? el('div', { class: 'detail', text: 'Not reserved' })
          : reservationLines(connector.reserved_by, held),
      );
    });
    const stationWide = snapshot.reservations.filter((r) => r.connector_id === 0);
    if (stationWide.length > 0) {
      tiles.push(
        el('article', { class: 'tile', 'data-state': 'Station', 'data-connector': 0, 'data-reserved': true },
          el('div', { class: 'name', text: 'Any connector' }),
          el('span', { class: 'state', 'data-state': 'Station', text: 'Station-wide' }),
          stationWide.map((r) => reservationLines(r.reservation_id, r)),
        ),
      );
    }
    if (snapshot.connectors_total > snapshot.connectors.length) {
      tiles.push(el('p', { class: 'detail', text: `${snapshot.connectors_total - snapshot.connectors.length} more connectors not shown` }));
    }
    parts.tiles.replaceChildren(...tiles);
  }

  function reservationLines(reservationId, reservation) {
    return el('div', { class: 'reservation' },
      el('span', { class: 'state', 'data-state': 'Reserved', text: `Reserved #${reservationId}` }),
      reservation ? el('span', { class: 'token', text: reservation.id_token }) : null,
      reservation ? el('span', {}, 'ends in ', countdown(reservation.expiry_time)) : null,
    );
  }

  const COLUMNS = [
    { key: 'id', title: 'Id' },
    { key: 'connector', title: 'Connector' },
    { key: 'token', title: 'Token' },
    { key: 'parent', title: 'Parent token', className: 'parent' },
    { key: 'expiry', title: 'Expires' },
  ];
  const SORTERS = {
    id: (a, b) => a.reservation_id - b.reservation_id,
    connector: (a, b) => a.connector_id - b.connector_id || a.reservation_id - b.reservation_id,
    token: (a, b) => a.id_token.localeCompare(b.id_token),
    parent: (a, b) => (a.parent_id_token || '').localeCompare(b.parent_id_token || ''),
    expiry: (a, b) => Date.parse(a.expiry_time) - Date.parse(b.expiry_time) || a.reservation_id - b.reservation_id,
  };

  function renderTable(parts, view) {
    const reservations = view.snapshot ? view.snapshot.reservations.slice() : [];
    const { key, dir } = page.sort;
    reservations.sort((a, b) => dir * SORTERS[key](a, b));
    parts.count.textContent = view.snapshot ? `(${view.snapshot.reservations_total})` : '';
    parts.tableHead.replaceChildren(
      el('tr', {},
        COLUMNS.map((column) =>
          el('th', { class: column.className, 'aria-sort': key === column.key ? (dir > 0 ? 'ascending' : 'descending') : undefined },
            el('button', { type: 'button', 'data-sort': column.key, text: column.title, on: { click: () => sortBy(column.key) } }),
          ),
        ),
        page.forms ? el('th', { text: '' }) : null,
      ),
    );
    if (reservations.length === 0) {
      parts.tableBody.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: COLUMNS.length + 1, text: 'No reservations held' })));
      return;
    }
    parts.tableBody.replaceChildren(
      ...reservations.map((r) =>
        el('tr', { 'data-reservation': r.reservation_id },
          el('td', { class: 'num', text: r.reservation_id }),
          el('td', { text: r.connector_id === 0 ? 'any' : r.connector_id }),
          el('td', { class: 'token', text: r.id_token }),
          el('td', { class: 'token parent', text: r.parent_id_token === undefined ? '–' : r.parent_id_token }),
          el('td', { class: 'expires' }, countdown(r.expiry_time), el('span', { class: 'when', text: clock(r.expiry_time) })),
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
      'data-armed': armed,
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
          void act('cancel', { reservation_id: reservationId }, `Cancel #${reservationId}`);
        },
      },
    });
  }

  function eventLine(event) {
    switch (event.type) {
      case 'reservation': {
        const r = event.reservation;
        const parent = r.parent_id_token === undefined ? [] : [' (parent ', el('span', { class: 'token', text: r.parent_id_token }), ')'];
        return { kind: 'made', parts: [`Reservation #${r.reservation_id} made: ${connectorName(r.connector_id).toLowerCase()} for `, el('span', { class: 'token', text: r.id_token }), ...parent, ` until ${clock(r.expiry_time)}`] };
      }
      case 'reservation_end':
        return { kind: 'ended', parts: [`Reservation #${event.reservation_id} ended: `, el('span', { class: 'reason', text: event.reason })] };
      case 'reservation_gone':
        return { kind: 'ended', parts: [`Reservation #${event.reservation_id} no longer held`] };
      case 'connector':
        return { kind: 'connector', parts: [`${connectorName(event.connector_id)} is now ${event.state}`] };
      case 'status':
        return { kind: 'status', parts: [`Module ${event.status}`] };
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

  function renderDiagnostics(parts, snapshot) {
    const diagnostics = snapshot && snapshot.diagnostics;
    if (!diagnostics) {
      parts.diagnostics.replaceChildren(el('dt', { text: 'none published yet' }));
      return;
    }
    parts.diagnostics.replaceChildren(
      ...DIAGNOSTICS.flatMap(([key, title]) => {
        const value = diagnostics[key];
        const shown = typeof value !== 'number' ? '–' : key.endsWith('_bytes') ? `${(value / 1048576).toFixed(1)} MB` : String(value);
        return [el('dt', { text: title }), el('dd', { text: shown })];
      }),
    );
  }

  function updateConnectorChoice(snapshot) {
    const select = document.querySelector('#reserve-form select[name="connector_id"]');
    const ids = snapshot ? snapshot.connectors.map((c) => c.connector_id) : [];
    const current = select.value;
    const wanted = ['0', ...ids.map(String)];
    const have = [...select.options].map((o) => o.value);
    if (wanted.join() !== have.join()) {
      select.replaceChildren(el('option', { value: '0', text: 'Any connector (0)' }), ...ids.map((id) => el('option', { value: id, text: `Connector ${id}` })));
      // Connector 1 to start with; later, whatever the operator chose, while it exists.
      select.value = select.dataset.chosen === 'true' && wanted.includes(current) ? current : ids.length > 0 ? String(ids[0]) : '0';
    }
    // A free id to suggest: one above the largest held.
    const idInput = document.querySelector('#reserve-form input[name="reservation_id"]');
    const held = snapshot ? snapshot.reservations.map((r) => r.reservation_id) : [];
    idInput.placeholder = `e.g. ${held.length > 0 ? Math.max(...held) + 1 : 1}`;
  }

  // ---- the module's answers -------------------------------------------------------------------

  function showAnswer(kind, text) {
    const answer = $('answer');
    answer.dataset.kind = kind;
    answer.textContent = text;
  }

  /** Calls the module through the server; shows its answer (or why there is none) beside the form. */
  async function act(what, body, label) {
    showAnswer('pending', `${label}: waiting for the module…`);
    let response;
    let result;
    try {
      response = await fetch(`api/${what}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'same-origin' });
      result = await response.json().catch(() => ({}));
    } catch (err) {
      showAnswer('error', `${label}: the dashboard server did not answer (${err && err.message ? err.message : err})`);
      return undefined;
    }
    if (result && 'answer' in result) {
      const answer = result.answer;
      if (what === 'cancel') showAnswer(answer === true ? 'ok' : 'refused', answer === true ? `${label}: cancelled` : `${label}: not held, nothing cancelled`);
      else showAnswer(answer === 'Accepted' ? 'ok' : 'refused', `${label}: ${answer}`);
      return answer;
    }
    const error = (result && result.error) || { type: `HTTP ${response.status}`, message: response.statusText };
    showAnswer('error', `${label}: ${error.type}: ${error.message}`);
    return undefined;
  }

  function setUpForm() {
    const form = $('reserve-form');
    form.querySelector('select').addEventListener('change', (event) => (event.currentTarget.dataset.chosen = 'true'));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const text = (name) => String(data.get(name) || '').trim();
      const body = {
        connector_id: Number(text('connector_id')),
        reservation_id: Number(text('reservation_id')),
        id_token: String(data.get('id_token') || ''),
        expires: text('expires'),
      };
      if (text('parent_id_token') !== '') body.parent_id_token = String(data.get('parent_id_token'));
      if (!Number.isSafeInteger(body.reservation_id) || text('reservation_id') === '') {
        showAnswer('error', 'Reservation id: a whole number, please');
        return;
      }
      const button = form.querySelector('button[type="submit"]');
      button.disabled = true;
      try {
        await act('reserve', body, `Reserve #${body.reservation_id}`);
      } finally {
        button.disabled = false;
      }
    });
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
    page.skewMs = state.server_time - Date.now();
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
      page.skewMs = view.server_time - Date.now();
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
    setUpForm();
    renderChrome();
    connect();
    setInterval(() => document.querySelectorAll('.countdown').forEach(tick), 1000);
  });
})();
