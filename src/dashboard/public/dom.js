// The dashboard page's DOM helpers: elements built with DOM calls and textContent only (never
// innerHTML), and times shown on the module's clock. Shared with tiles.js and dashboard.js.
'use strict';

window.ReservationDashboard = (() => {
  const SOON_MS = 60_000;
  /** Server clock minus ours, so countdowns follow the module's time, not the HMI's. */
  let skewMs = 0;

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

  const now = () => Date.now() + skewMs;
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

  return {
    el,
    clock,
    countdown,
    tick,
    setServerTime: (serverTime) => (skewMs = serverTime - Date.now()),
  };
})();
