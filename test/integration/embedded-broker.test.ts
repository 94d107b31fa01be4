// `npm start` out of the box (issue 6): with nothing configured and no broker listening on
// 127.0.0.1:1883, the module brings its own (aedes); with a URL given, never. Each case runs in
// a private network namespace (root only, as in CI), where port 1883 is free whatever the host runs.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const script = path.join(__dirname, '..', 'fixtures', 'embedded-start.js');

interface CliRun {
  code: number | null;
  stdout: string;
}

interface Seen {
  ready?: boolean;
  retval?: string;
  cli?: { cancelCheck: CliRun; reserve: CliRun; list: CliRun; reserveAgain: CliRun; cancel: CliRun; watched: string; watchExit: number | null };
  exitCode: number | null;
  messages: string[];
  stderr: string;
  error?: string;
}

function inPrivateNetwork(args: string[]): Seen {
  const result = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${script}" "$@"`, 'sh', ...args], {
    encoding: 'utf8',
    timeout: 30000,
  });
  if (result.status !== 0) throw new Error(`unshare failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() as string) as Seen;
}

function canUnshare(): boolean {
  try {
    execFileSync('unshare', ['-n', 'true']);
    return true;
  } catch {
    return false;
  }
}

let outOfTheBox: Seen;

beforeAll(() => {
  if (!canUnshare()) throw new Error('these tests need `unshare -n` (run as root, as CI does)');
  outOfTheBox = inPrivateNetwork([]);
});

describe('embedded broker', () => {
  it('starts one on 127.0.0.1:1883 when nothing is configured and none listens, says so, and serves through it', () => {
    const seen = outOfTheBox;
    expect(seen.error).toBeUndefined();
    expect(seen.ready).toBe(true);
    expect(seen.messages).toContain('no broker configured and none listening: started an embedded MQTT broker (aedes) for trying the module out');
    expect(seen.retval).toBe('Accepted');
    expect(seen.exitCode).toBe(0);
  });

  it('is where reservation-cli finds the module with no options: it reserves, lists, watches an expiry and cancels', () => {
    const { cli, error } = outOfTheBox;
    expect(error).toBeUndefined();
    expect(cli?.cancelCheck.code).toBe(0);
    expect(cli?.reserve).toEqual({ code: 0, stdout: expect.stringMatching(/^Accepted: reservation 7: connector 1 for ABC12345/) });
    expect(cli?.list.code).toBe(0);
    expect(cli?.list.stdout).toMatch(/^7\s+1\s+ABC12345/m);
    expect(cli?.watched).toMatch(/reservation 7 ended: Expired/);
    expect(cli?.reserveAgain.code).toBe(0);
    expect(cli?.cancel).toEqual({ code: 0, stdout: 'reservation 8 cancelled\n' });
    expect(cli?.watched).toMatch(/reservation 8 ended: Cancelled/);
    expect(cli?.watchExit).toBe(0);
  });

  it('never starts one when a broker URL is given, even if nothing listens there', () => {
    const seen = inPrivateNetwork(['--mqtt-url', 'mqtt://127.0.0.1:1883', '--connect-timeout', '1']);
    expect(seen.ready).toBe(false);
    expect(seen.exitCode).toBe(1);
    expect(seen.messages.some((message) => message.includes('embedded'))).toBe(false);
    expect(seen.messages).toContain('start-up failed');
  });
});
