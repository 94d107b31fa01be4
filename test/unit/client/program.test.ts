// The client's command line: usage errors exit 2 with a message and never touch the network
// (the broker URL points where nothing listens, so a connection attempt would show as exit 4).
import { runCli } from '../../../src/bin/commands';
import { type ClientIo, EXIT } from '../../../src/client/kit';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(...argv: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const io: ClientIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    env: { MQTT_URL: 'mqtt://127.0.0.1:9' },
    now: () => Date.UTC(2026, 10, 25, 12, 0, 0),
    interrupted: Promise.resolve(),
  };
  const code = await runCli(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('reservation-cli usage', () => {
  it('--help lists the subcommands, the exit codes and exits 0', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(EXIT.ok);
    for (const command of ['reserve', 'cancel', 'exists', 'list', 'watch', 'dashboard']) expect(out).toContain(command);
    expect(out).toMatch(/exit codes: 0 .* 4 the broker cannot be reached/s);
  });

  it('help of a subcommand names its options', async () => {
    const { code, out } = await run('reserve', '--help');
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/--connector <n>[\s\S]*--token[\s\S]*--id[\s\S]*--expires <when>[\s\S]*--parent-token/);
  });

  it.each([
    ['no subcommand', [], /help|Usage/],
    ['an unknown subcommand', ['frobnicate'], /unknown command 'frobnicate'/],
    ['a missing required option', ['reserve', '--connector', '1', '--token', 'T', '--id', '1'], /required option '--expires <when>'/],
    ['a connector that is not an integer', ['reserve', '--connector', 'one', '--token', 'T', '--id', '1', '--expires', '1m'], /--connector must be an integer/],
    ['a negative connector', ['exists', '--connector', '-1', '--token', 'T'], /--connector must be an integer of at least 1/],
    ['an expiry that is neither a duration nor RFC 3339', ['reserve', '--connector', '1', '--token', 'T', '--id', '1', '--expires', 'soon'], /--expires "soon" is neither/],
    ['a reservation id that is not an integer', ['cancel', '7.5'], /reservation id must be an integer/],
    ['a timeout of zero', ['--timeout', '0', 'list'], /seconds in \(0, 3600\]/],
    ['an unknown option', ['list', '--colour'], /unknown option '--colour'/],
    ['a prefix without its trailing slash', ['--prefix', 'everest', 'list'], /prefix "everest" must be empty or plain topic levels/],
    ['a module id with a wildcard', ['--module', 'res#', 'list'], /--module "res#" is not a plain topic level/],
    ['a broker URL of another protocol', ['--mqtt-url', 'http://127.0.0.1:1883', 'list'], /protocol http: is not one of/],
    ['a TLS file that does not exist', ['--mqtt-ca', '/nonexistent/ca.pem', 'list'], /TLS ca file \/nonexistent\/ca.pem cannot be read/],
    ['a dashboard on all interfaces without a token', ['dashboard', '--listen', '0.0.0.0:8080'], /--listen 0.0.0.0:8080 is not a loopback address: give --token <secret> \(or env DASHBOARD_TOKEN\)/],
    ['a dashboard on a LAN address without a token', ['dashboard', '--listen', '192.0.2.10:8080'], /is not a loopback address/],
    ['a dashboard on every interface (:port) without a token', ['dashboard', '--listen', ':8080'], /is not a loopback address/],
    ['a dashboard token too short to be a secret', ['dashboard', '--token', 'secret'], /at least 16 characters/],
    ['a --listen without a port', ['dashboard', '--listen', 'localhost'], /--listen "localhost" must be host:port/],
  ])('%s: exit 2 and says why', async (_what, argv, message) => {
    const { code, err } = await run(...argv);
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(message);
  });

  it('takes the common options after the subcommand too (as the compose health check passes them)', async () => {
    const { code, err } = await run('list', '--prefix', 'everest', '--timeout', '5');
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(/prefix "everest" must be empty/);
  });

  it('with --json a usage problem found after parsing is a JSON error on stdout', async () => {
    const { code, out } = await run('--json', '--prefix', 'bad', 'list');
    expect(code).toBe(EXIT.usage);
    expect(JSON.parse(out)).toEqual({ error: { type: 'UsageError', message: expect.stringContaining('prefix "bad"') } });
  });
});

describe('reservation-cli usage in both interfaces', () => {
  it('help of reserve names the evse interface options, and check-start is a command', async () => {
    expect((await run('reserve', '--help')).out).toMatch(/--evse <n>[\s\S]*--type <connector type>/);
    const { code, out } = await run('check-start', '--help');
    expect(code).toBe(EXIT.ok);
    expect(out).toMatch(/--connector <n>[\s\S]*--evse <n>[\s\S]*--token/);
  });

  it.each([
    ['--connector against the evse interface', ['--interface', 'evse', 'reserve', '--connector', '1', '--token', 'T', '--id', '1', '--expires', '1m'], /--connector is an option of the connector interface; the module serves the evse interface \(--interface evse\): give --evse <n> \(none: any EVSE\)/],
    ['--type against the connector interface', ['--interface', 'connector', 'reserve', '--type', 'cCCS2', '--token', 'T', '--id', '1', '--expires', '1m'], /--evse and --type are options of the evse interface; the module serves the connector interface/],
    ['--evse against the connector interface (exists)', ['--interface', 'connector', 'exists', '--evse', '2', '--token', 'T'], /--evse and --type are options of the evse interface/],
    ['no --connector in the connector interface', ['--interface', 'connector', 'reserve', '--token', 'T', '--id', '1', '--expires', '1m'], /reserve needs --connector <n>: the module serves the connector interface/],
    ['check-start without --evse in the evse interface', ['--interface', 'evse', 'check-start', '--token', 'T'], /check-start needs --evse <n>: the module serves the evse interface/],
    ['--connector together with --evse', ['reserve', '--connector', '1', '--evse', '1', '--token', 'T', '--id', '1', '--expires', '1m'], /--connector \(connector interface\) and --evse \/ --type \(evse interface\) do not go together/],
    ['a connector type EVerest does not know', ['reserve', '--type', 'cCCS3', '--token', 'T', '--id', '1', '--expires', '1m'], /argument 'cCCS3' is invalid. Allowed choices are cCCS1, cCCS2/],
    ['an EVSE id of 0', ['reserve', '--evse', '0', '--token', 'T', '--id', '1', '--expires', '1m'], /--evse must be an integer of at least 1/],
    ['an interface that does not exist', ['--interface', 'ocpp', 'list'], /argument 'ocpp' is invalid. Allowed choices are connector, evse/],
  ])('%s: exit 2 and says why, before any connection', async (_what, argv, message) => {
    const { code, err } = await run(...argv);
    expect(code).toBe(EXIT.usage);
    expect(err).toMatch(message);
  });
});
