// Who may use the dashboard: the token (when one is set), same-origin state changes, and on a
// loopback listener only loopback host names. Pure: headers in, a verdict out.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const TOKEN_COOKIE = 'dashboard_token';
/** Shorter secrets can be guessed; `openssl rand -hex 16` gives 32 characters. */
export const MIN_TOKEN_LENGTH = 16;

export interface Listen {
  host: string;
  port: number;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces); throws a usage message otherwise. */
export function parseListen(text: string): Listen {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !(port >= 0 && port <= 65535)) throw new Error(`--listen ${JSON.stringify(text)} must be host:port, e.g. 127.0.0.1:8080 or [::1]:8080`);
  const host = match[1] ?? (match[2] === '' ? '0.0.0.0' : (match[2] as string));
  return { host, port };
}

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name === '::1') return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/** The host part of a Host header (`name:port`, `[v6]:port`). */
function hostName(hostHeader: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(hostHeader);
  if (bracketed) return bracketed[1] as string;
  return hostHeader.replace(/:\d+$/, '');
}

export function sameSecret(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The value of one cookie in a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface RequestFacts {
  method: string;
  /** Path and query, as in the request line. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Verdict =
  | { allow: true }
  | { allow: false; status: 401 | 403 | 421; message: string }
  /** The token came in the query: set the cookie and send the browser to the same page without it. */
  | { allow: false; status: 303; location: string; setCookie: string };

export interface GuardOptions {
  /** Every request must carry it (header, cookie, or once in the query) when set. */
  token?: string;
  /** Listening on loopback only: the Host must name loopback too (no DNS rebinding). */
  loopback: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function header(facts: RequestFacts, name: string): string | undefined {
  const value = facts.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function check(facts: RequestFacts, options: GuardOptions): Verdict {
  const host = header(facts, 'host') ?? '';
  if (options.loopback && !isLoopback(hostName(host))) {
    return { allow: false, status: 421, message: `this dashboard answers to loopback names only, not ${host}` };
  }
  // A browser says where a request comes from; anything but this page's own origin may not change state.
  if (!SAFE_METHODS.has(facts.method)) {
    const site = header(facts, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin') return { allow: false, status: 403, message: `cross-site request refused (Sec-Fetch-Site: ${site})` };
    const origin = header(facts, 'origin');
    // https too: behind a TLS-terminating proxy the page is https while this server speaks http.
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return { allow: false, status: 403, message: `cross-origin request refused (Origin: ${origin})` };
  }
  if (options.token === undefined) return { allow: true };

  const bearer = /^Bearer (.+)$/.exec(header(facts, 'authorization') ?? '')?.[1];
  if (sameSecret(bearer, options.token) || sameSecret(cookie(header(facts, 'cookie'), TOKEN_COOKIE), options.token)) return { allow: true };
  const url = new URL(facts.url, 'http://dashboard');
  const queryToken = url.searchParams.get('token');
  if (facts.method === 'GET' && queryToken !== null && sameSecret(queryToken, options.token)) {
    url.searchParams.delete('token');
    return {
      allow: false,
      status: 303,
      location: `${url.pathname}${url.search}`,
      setCookie: `${TOKEN_COOKIE}=${encodeURIComponent(options.token)}; Path=/; HttpOnly; SameSite=Strict`,
    };
  }
  return { allow: false, status: 401, message: 'this dashboard needs its token: open it once as /?token=<token> (or send Authorization: Bearer <token>)' };
}
