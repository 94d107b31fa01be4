// `reservation-cli dashboard` as an operator runs it (a process), over HTTP without a browser:
// the token on every request (the event stream included), same-origin state changes, the calls
// reaching the module in EVerest envelopes, and a clean stop on Ctrl-C.
import http from 'node:http';
import { type Broker, startBroker } from '../support/broker';
import { type CliProcess, spawnCli } from '../support/cli-process';
import { type Charger, startCharger } from '../support/evse-double';
import { endOf, reservation } from '../support/harness';

const TOKEN = 'f3a9c2e1d4b5a6978877665544332211';

let broker: Broker;
let charger: Charger;
let dashboard: CliProcess;
let base: string;

beforeAll(async () => {
  broker = await startBroker();
});

beforeEach(async () => {
  charger = await startCharger(broker);
  dashboard = spawnCli(['dashboard', '--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--listen', '127.0.0.1:0', '--json'], { DASHBOARD_TOKEN: TOKEN });
  base = (JSON.parse(await dashboard.waitForLine(/"dashboard"/, 15_000)) as { dashboard: string }).dashboard;
});

const bearer = { authorization: `Bearer ${TOKEN}` };

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(path, base), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual' });
}

/** The first event of the stream (the whole state), or the status of a refused request. */
function firstEvent(headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.get(new URL('events', base), { headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (response.statusCode !== 200 || text.includes('\n\n', text.indexOf('event: state'))) {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, text });
        }
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', (err) => (err.message.includes('socket hang up') ? undefined : reject(err)));
  });
}

describe('reservation-cli dashboard', () => {
  it('asks every request for the token, sets it as a cookie from ?token= once, and serves the page with a strict CSP', async () => {
    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(new URL('dashboard.js', base))).status).toBe(401);
    expect((await firstEvent({})).status).toBe(401);
    expect((await post('api/reserve', {})).status).toBe(401);

    const entry = await fetch(new URL(`?token=${TOKEN}`, base), { redirect: 'manual' });
    expect(entry.status).toBe(303);
    expect(entry.headers.get('location')).toBe('/');
    const cookie = (entry.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(entry.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);

    const page = await fetch(base, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('<script src="dashboard.js" defer></script>');
    expect(html).not.toMatch(/https?:\/\//);

    const stream = await firstEvent({ cookie });
    expect(stream.status).toBe(200);
    const state = JSON.parse(/event: state\ndata: (.*)\n/.exec(stream.text)?.[1] ?? 'null') as { mode: string; module_id: string; forms: boolean; modules: Array<{ module_id: string; snapshot?: unknown }> };
    expect(state).toMatchObject({ mode: 'module', module_id: 'reservation', forms: true, modules: [{ module_id: 'reservation' }] });
  });

  it('reserves and cancels through the module, answering with its answer', async () => {
    const origin = { ...bearer, origin: new URL(base).origin, 'sec-fetch-site': 'same-origin' };
    const made = await post('api/reserve', { connector_id: 1, reservation_id: 5, id_token: 'HTTP-5', expires: '10m' }, origin);
    expect(made.status).toBe(200);
    expect(await made.json()).toEqual({ status: 200, answer: 'Accepted' });
    expect(await charger.station.list()).toMatchObject([{ reservation_id: 5, connector_id: 1, id_token: 'HTTP-5' }]);

    const occupied = await post('api/reserve', { connector_id: 1, reservation_id: 6, id_token: 'HTTP-6', expires: '10m' }, origin);
    expect(await occupied.json()).toEqual({ status: 200, answer: 'Occupied' });

    const badExpiry = await post('api/reserve', { connector_id: 1, reservation_id: 7, id_token: 'HTTP-7', expires: 'yesterday' }, origin);
    expect(badExpiry.status).toBe(400);
    expect(await badExpiry.json()).toMatchObject({ error: { type: 'BadExpiry' } });

    const schema = await post('api/reserve', { connector_id: 2, reservation_id: 8, id_token: 'X'.repeat(300), expires: '10m' }, origin);
    expect(schema.status).toBe(422);
    expect(await schema.json()).toMatchObject({ error: { type: 'SchemaValidationError', message: expect.stringContaining('id_token') } });

    const malformed = await post('api/cancel', { reservation_id: 'five' }, origin);
    expect(malformed.status).toBe(400);

    const cancelled = await post('api/cancel', { reservation_id: 5 }, origin);
    expect(await cancelled.json()).toEqual({ status: 200, answer: true });
    const end = await charger.station.ends.waitFor((payload) => endOf(payload).reservation_id === 5, 10_000);
    expect(endOf(end.payload)).toEqual({ reservation_id: 5, reason: 'Cancelled' });
    expect(await (await post('api/cancel', { reservation_id: 5 }, origin)).json()).toEqual({ status: 200, answer: false });
  });

  it("refuses a reservation in the other interface's words (an EVSE and a connector type for this connector module) with 400, sending nothing", async () => {
    const origin = { ...bearer, origin: new URL(base).origin, 'sec-fetch-site': 'same-origin' };
    const wrong = await post('api/reserve', { evse_id: 1, connector_type: 'cCCS2', reservation_id: 5, id_token: 'HTTP-5', expires: '10m' }, origin);
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({ error: { type: 'WrongInterface', message: expect.stringContaining('connector interface') } });
    const unknownType = await post('api/reserve', { connector_type: 'cCCS3', reservation_id: 6, id_token: 'HTTP-6', expires: '10m' }, origin);
    expect(unknownType.status).toBe(400);
    expect(await charger.station.list()).toEqual([]);
    expect(charger.evse.flatMap((e) => e.callLog())).toEqual([]);
  });

  it('refuses a state change from another origin with 403, token or not, and the module hears nothing', async () => {
    expect(await charger.station.reserveNow(1, reservation(9))).toBe('Accepted');
    for (const headers of [
      { ...bearer, origin: 'http://evil.example' },
      { ...bearer, 'sec-fetch-site': 'cross-site' },
      { ...bearer, origin: 'null' },
    ]) {
      const refused = await post('api/cancel', { reservation_id: 9 }, headers);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toMatch(/cross-(origin|site) request refused/);
    }
    expect(await charger.station.list()).toMatchObject([{ reservation_id: 9 }]);
    expect(charger.station.endEvents()).toEqual([]);
  });

  it('stops cleanly on Ctrl-C (exit 0)', async () => {
    dashboard.child.kill('SIGINT');
    const run = await dashboard.exited;
    expect(run.code).toBe(0);
    await expect(fetch(base)).rejects.toThrow();
  });
});

describe('reservation-cli dashboard on loopback without a token', () => {
  it('answers loopback names only (no DNS rebinding), and refuses a port already taken with exit 1', async () => {
    const open = spawnCli(['dashboard', '--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--listen', '127.0.0.1:0', '--json']);
    const url = new URL((JSON.parse(await open.waitForLine(/"dashboard"/, 15_000)) as { dashboard: string }).dashboard);
    expect((await fetch(url)).status).toBe(200);
    const rebound = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: url.port, path: '/api/state', headers: { host: `rebind.evil.example:${url.port}` } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(rebound).toBe(421);

    const second = spawnCli(['dashboard', '--mqtt-url', broker.url, '--prefix', charger.station.prefix, '--listen', `127.0.0.1:${url.port}`]);
    const run = await second.exited;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot serve the dashboard on 127.0.0.1:\d+: .*EADDRINUSE/);
  });
});
