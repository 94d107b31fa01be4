// `npm run demo` plays its story through the real module (issue 6).
import { spawnSync } from 'node:child_process';
import path from 'node:path';

it('plays the whole story: reserve, wrong token refused, right token charges, expiry, fault', () => {
  const demo = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'demo', 'demo.js')], { encoding: 'utf8', timeout: 60000 });
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
