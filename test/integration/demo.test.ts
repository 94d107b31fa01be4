// `npm run demo` plays its story through the real module (issue 6), in either interface.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const DEMO_JS = path.join(__dirname, '..', '..', 'dist', 'demo', 'demo.js');
const runDemo = (...args: string[]) => spawnSync(process.execPath, [DEMO_JS, ...args], { encoding: 'utf8', timeout: 60000 });

it('plays the whole story: reserve, wrong token refused, right token charges, expiry, fault', () => {
  const demo = runDemo();
  expect(demo.stderr).toBe('');
  expect(demo.status).toBe(0);
  const out = demo.stdout;
  expect(out).toContain('evse_manager_1 <- reserve({"reservation_id":1})');
  expect(out).toContain('reserve connector 1 for ALICE for 60 s (reservation 1): Accepted');
  expect(out).toContain('may BOB charge on connector 1? ReservedForOtherToken');
  expect(out).toContain('may alice charge on connector 1? ReservedForToken');
  expect(out).toContain('reservation_end: reservation 1 UsedToStartCharging');
  expect(out).toContain('reservation_end: reservation 2 Expired');
  expect(out).toContain('reservation_end: reservation 3 Cancelled');
  expect(out).toContain('reserve connector 2 for ERIN for 60 s (reservation 4): Faulted');
  expect(out).toContain('reservations held: []');
});

it('plays the evse interface story: typed EVSEs from get_evse, a typed station-wide reservation kept, check_start, reservation_update for each end', () => {
  const demo = runDemo('--interface', 'evse');
  expect(demo.stderr).toBe('');
  expect(demo.status).toBe(0);
  const out = demo.stdout;
  expect(out).toContain('the module learnt its EVSEs: EVSE 1: cCCS2, cType2; EVSE 2: cCCS2');
  expect(out).toContain('reserve EVSE 1 (cType2) for ALICE for 60 s (reservation 1): Accepted');
  expect(out).toContain('reservation_update: reservation 1 Placed');
  expect(out).toContain('may BOB charge on EVSE 1? ReservedForOtherToken');
  expect(out).toContain('reservation_update: reservation 2 Expired');
  expect(out).toContain('evse_manager_2 <- reserve({"reservation_id":-1})');
  expect(out).toContain('reserve any EVSE (cCCS2) for FLEET-7 for 60 s (reservation 3): Accepted');
  expect(out).toContain('reserve any EVSE (cCCS2) for DAVE for 60 s (reservation 4): Occupied');
  expect(out).toContain('may WALK-IN start on EVSE 2 now? {"allowed":false}');
  expect(out).toContain('may FLEET-7 start on EVSE 2 now? {"allowed":true,"reservation_id":3}');
  expect(out).toContain('reservation_update: reservation 1 Used');
  expect(out).toContain('reservation_update: reservation 3 Removed');
  expect(out).toContain('reservations held: []');
});

it('says how to ask for an interface it does not know, and exits 2', () => {
  const demo = runDemo('--interface', 'ocpp');
  expect(demo.status).toBe(2);
  expect(demo.stderr).toMatch(/--interface "ocpp" is neither connector nor evse\nusage: npm run demo/);
});
