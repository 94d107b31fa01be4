// The dashboard page's reserve form and the module's answers: the form in the module's interface
// (a connector, or an EVSE and a connector type), the calls through the dashboard server, and
// the answer shown beside the form (textContent only).
'use strict';

(() => {
  const D = window.ReservationDashboard;
  const { el } = D;
  const $ = (id) => document.getElementById(id);

  /** Fills a choice when its options changed; keeps what the operator chose while it is still there, else `preferred`. */
  function fillSelect(select, options, preferred) {
    const wanted = options.map((o) => o.value);
    if (wanted.join('\n') === [...select.options].map((o) => o.value).join('\n')) return;
    const current = select.value;
    select.replaceChildren(...options.map((o) => el('option', { value: o.value, text: o.text })));
    select.value = select.dataset.chosen === 'true' && wanted.includes(current) ? current : preferred;
  }

  /** The form in the module's interface: a connector, or an EVSE (any when empty) and a connector type. */
  function updateChoices(snapshot) {
    const form = $('reserve-form');
    const wire = D.interfaceOf(snapshot);
    form.dataset.interface = wire;
    for (const label of form.querySelectorAll('[data-for]')) label.hidden = label.dataset.for !== wire;
    if (wire === 'connector') {
      const ids = snapshot ? snapshot.connectors.map((c) => c.connector_id) : [];
      // Connector 1 to start with; later, whatever the operator chose, while it exists.
      fillSelect(form.elements.connector_id, [{ value: '0', text: 'Any connector (0)' }, ...ids.map((id) => ({ value: String(id), text: `Connector ${id}` }))], ids.length > 0 ? String(ids[0]) : '0');
    } else {
      const ids = snapshot.evses.map((e) => e.evse_id).filter((id) => id !== 0);
      fillSelect(form.elements.evse_id, [{ value: '', text: 'Any EVSE' }, ...ids.map((id) => ({ value: String(id), text: `EVSE ${id}` }))], '');
      updateTypeChoice(snapshot);
    }
    // A free id to suggest: one above the largest held.
    const held = snapshot ? snapshot.reservations.map((r) => r.reservation_id) : [];
    form.elements.reservation_id.placeholder = `e.g. ${held.length > 0 ? Math.max(...held) + 1 : 1}`;
  }

  /** The connector types the chosen EVSE has (the whole station has, for any EVSE); Unknown is any type already. */
  function updateTypeChoice(snapshot) {
    const form = $('reserve-form');
    const chosen = form.elements.evse_id.value;
    const evses = (snapshot && snapshot.evses ? snapshot.evses : []).filter((e) => chosen === '' || String(e.evse_id) === chosen);
    const types = [...new Set(evses.flatMap((e) => e.connectors.map((c) => c.type)))].filter((type) => type !== 'Unknown').sort();
    fillSelect(form.elements.connector_type, [{ value: '', text: 'Any type' }, ...types.map((type) => ({ value: type, text: type }))], '');
  }

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

  /** `latest()`: the module's last snapshot, for the connector types of the EVSE chosen. */
  function setUpForm(latest) {
    const form = $('reserve-form');
    for (const select of form.querySelectorAll('select')) select.addEventListener('change', (event) => (event.currentTarget.dataset.chosen = 'true'));
    form.elements.evse_id.addEventListener('change', () => updateTypeChoice(latest()));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const text = (name) => String(data.get(name) || '').trim();
      const body = {
        reservation_id: Number(text('reservation_id')),
        id_token: String(data.get('id_token') || ''),
        expires: text('expires'),
      };
      if (form.dataset.interface === 'evse') {
        if (text('evse_id') !== '') body.evse_id = Number(text('evse_id'));
        if (text('connector_type') !== '') body.connector_type = text('connector_type');
      } else {
        body.connector_id = Number(text('connector_id'));
      }
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

  Object.assign(D, { updateChoices, act, setUpForm });
})();
