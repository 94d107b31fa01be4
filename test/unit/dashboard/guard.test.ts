// The dashboard's guard: --listen, loopback names, the token (header, cookie, or once in the
// query), and no state change from another site.
import { check, cookie, isLoopback, parseListen, type RequestFacts, TOKEN_COOKIE } from '../../../src/dashboard/guard';

const TOKEN = '0123456789abcdef0123';

function facts(method: string, url: string, headers: RequestFacts['headers'] = {}): RequestFacts {
  return { method, url, headers: { host: '127.0.0.1:8080', ...headers } };
}

describe('--listen', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['localhost:80', { host: 'localhost', port: 80 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['0.0.0.0:9000', { host: '0.0.0.0', port: 9000 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
  ])('%s', (text, listen) => {
    expect(parseListen(text)).toEqual(listen);
  });

  it.each(['8080', 'localhost', '127.0.0.1:65536', '127.0.0.1:http', '::1:8080'])('refuses %s', (text) => {
    expect(() => parseListen(text)).toThrow(/must be host:port/);
  });

  it('counts 127.0.0.0/8, ::1 and localhost as loopback, nothing else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'charger.local', '127.0.0.1.example.com']) expect(isLoopback(host)).toBe(false);
  });
});

describe('same origin for state changes', () => {
  const loopback = { loopback: true };

  it('lets the page itself post (same-origin fetch)', () => {
    expect(check(facts('POST', '/api/reserve', { origin: 'http://127.0.0.1:8080', 'sec-fetch-site': 'same-origin' }), loopback)).toEqual({ allow: true });
  });

  it.each([
    ['another site, by Sec-Fetch-Site', { 'sec-fetch-site': 'cross-site', origin: 'http://evil.example' }, /Sec-Fetch-Site: cross-site/],
    ['a same-site page on another port', { 'sec-fetch-site': 'same-site', origin: 'http://127.0.0.1:9999' }, /Sec-Fetch-Site: same-site/],
    ['another origin, by Origin alone (an older browser)', { origin: 'http://evil.example' }, /Origin: http:\/\/evil.example/],
    ['an opaque origin (sandboxed frame, data: URL)', { origin: 'null' }, /Origin: null/],
  ])('refuses a POST from %s with 403', (_what, headers, why) => {
    const verdict = check(facts('POST', '/api/cancel', headers), loopback);
    expect(verdict).toMatchObject({ allow: false, status: 403 });
    expect((verdict as { message: string }).message).toMatch(why);
  });

  it('lets a GET from anywhere read the page (nothing changes), and a POST without browser headers (curl) through', () => {
    expect(check(facts('GET', '/', { 'sec-fetch-site': 'cross-site' }), loopback)).toEqual({ allow: true });
    expect(check(facts('POST', '/api/reserve'), loopback)).toEqual({ allow: true });
  });
});

describe('loopback listener', () => {
  it('answers only to loopback host names (a DNS-rebound name is refused with 421)', () => {
    expect(check(facts('GET', '/', { host: 'localhost:8080' }), { loopback: true })).toEqual({ allow: true });
    expect(check(facts('GET', '/', { host: '[::1]:8080' }), { loopback: true })).toEqual({ allow: true });
    expect(check(facts('GET', '/', { host: 'rebind.evil.example:8080' }), { loopback: true })).toMatchObject({ allow: false, status: 421 });
    // Listening elsewhere (with a token), any name the network gives it is fine.
    expect(check(facts('GET', '/', { host: 'charger-17.example:8080', authorization: `Bearer ${TOKEN}` }), { loopback: false, token: TOKEN })).toEqual({ allow: true });
  });
});

describe('token', () => {
  const guard = { loopback: false, token: TOKEN };

  it('refuses every request without it, the event stream included', () => {
    for (const url of ['/', '/dashboard.js', '/events', '/api/state']) expect(check(facts('GET', url), guard)).toMatchObject({ allow: false, status: 401 });
    expect(check(facts('POST', '/api/reserve', { origin: 'http://127.0.0.1:8080' }), guard)).toMatchObject({ allow: false, status: 401 });
  });

  it('takes it as a bearer header or as the cookie', () => {
    expect(check(facts('GET', '/events', { authorization: `Bearer ${TOKEN}` }), guard)).toEqual({ allow: true });
    expect(check(facts('GET', '/events', { cookie: `theme=dark; ${TOKEN_COOKIE}=${TOKEN}` }), guard)).toEqual({ allow: true });
    expect(check(facts('GET', '/events', { authorization: `Bearer ${TOKEN}x` }), guard)).toMatchObject({ status: 401 });
    expect(check(facts('GET', '/events', { cookie: `${TOKEN_COOKIE}=${TOKEN.slice(1)}` }), guard)).toMatchObject({ status: 401 });
  });

  it('once in the query: sets an HttpOnly, SameSite=Strict cookie and sends the browser to the URL without it', () => {
    const verdict = check(facts('GET', `/?token=${TOKEN}&view=hmi`), guard);
    expect(verdict).toEqual({
      allow: false,
      status: 303,
      location: '/?view=hmi',
      setCookie: `${TOKEN_COOKIE}=${TOKEN}; Path=/; HttpOnly; SameSite=Strict`,
    });
    expect(check(facts('GET', '/?token=wrong-token-wrong-token'), guard)).toMatchObject({ status: 401 });
    // Not for a state change: a link cannot carry the token into a POST.
    expect(check(facts('POST', `/api/cancel?token=${TOKEN}`), guard)).toMatchObject({ status: 401 });
  });

  it('still refuses a cross-site POST that carries it', () => {
    expect(check(facts('POST', '/api/cancel', { authorization: `Bearer ${TOKEN}`, 'sec-fetch-site': 'cross-site' }), guard)).toMatchObject({ status: 403 });
  });

  it('reads cookies by name, undecodable ones as absent', () => {
    expect(cookie('a=1; b=two%20words', 'b')).toBe('two words');
    expect(cookie('a=%E0%A4%A', 'a')).toBeUndefined();
    expect(cookie(undefined, 'a')).toBeUndefined();
  });
});
