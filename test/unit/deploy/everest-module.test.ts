// `npm run everest-module`: the connector folder as before, and with --interface evse the files an
// EVerest tree of today's reservation interface needs from us, where everest-framework looks for
// them, and nothing of the tree's own (spec/everest-evse-dialect.md §1).
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { manifestText, parseArgs, writeEvseTree, writeModuleFolder } from '../../../scripts/everest-module';

const REPO = path.join(__dirname, '..', '..', '..');
const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'everest-module-'));
  made.push(dir);
  return dir;
}

/** A checkout with this one's manifest and definitions, and a stand-in bundle (no build needed). */
function checkout(): string {
  const root = tempDir();
  copyFileSync(path.join(REPO, 'manifest.yaml'), path.join(root, 'manifest.yaml'));
  for (const kind of ['interfaces', 'types']) cpSync(path.join(REPO, kind), path.join(root, kind), { recursive: true });
  mkdirSync(path.join(root, 'dist', 'bundle'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'bundle', 'reservation.js'), '// bundle\n');
  return root;
}

/** Every file below `dir`, relative to it, sorted. */
function filesBelow(dir: string, under = ''): string[] {
  return readdirSync(path.join(dir, under), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesBelow(dir, path.join(under, entry.name)) : [path.join(under, entry.name)]))
    .sort();
}

type Manifest = { config: { reservation_interface: { default: string } } };

describe('--interface evse', () => {
  it('writes the module folder and our reservation_status files where everest-framework looks, and no reservation or evse_manager file', () => {
    const prefix = tempDir();
    const tree = writeEvseTree(prefix, checkout());
    expect(filesBelow(prefix)).toEqual([
      'libexec/everest/modules/Reservation/index.js',
      'libexec/everest/modules/Reservation/manifest.yaml',
      'libexec/everest/modules/Reservation/reservation.js',
      'share/everest/interfaces/reservation_status.yaml',
      'share/everest/types/reservation_status.yaml',
    ]);
    expect(tree.folder).toBe(path.join(prefix, 'libexec/everest/modules/Reservation'));
    expect(tree.warning).toBeUndefined();
    for (const kind of ['interfaces', 'types']) {
      expect(readFileSync(path.join(prefix, 'share/everest', kind, 'reservation_status.yaml'), 'utf8')).toBe(readFileSync(path.join(REPO, kind, 'reservation_status.yaml'), 'utf8'));
    }
  });

  it("carries the token path's implementations and requirements in the folder's manifest, and writes none of the tree's token interfaces", () => {
    const prefix = tempDir();
    const tree = writeEvseTree(prefix, checkout());
    const manifest = parse(readFileSync(path.join(tree.folder, 'manifest.yaml'), 'utf8')) as {
      provides: Record<string, { interface: string }>;
      requires: Record<string, { interface: string; min_connections: number; max_connections: number }>;
    };
    expect(manifest.provides.token_provider?.interface).toBe('auth_token_provider');
    expect(manifest.provides.token_validator?.interface).toBe('auth_token_validator');
    expect(manifest.requires.token_providers).toEqual({ interface: 'auth_token_provider', min_connections: 0, max_connections: 128 });
    expect(manifest.requires.token_validators).toEqual({ interface: 'auth_token_validator', min_connections: 0, max_connections: 128 });
    expect(filesBelow(prefix).filter((file) => /auth_token|authorization/.test(file))).toEqual([]);
  });

  it('gives the folder a manifest whose reservation_interface defaults to evse, and is otherwise this checkout’s', () => {
    const prefix = tempDir();
    writeEvseTree(prefix, checkout());
    const written = parse(readFileSync(path.join(prefix, 'libexec/everest/modules/Reservation/manifest.yaml'), 'utf8')) as Manifest;
    const ours = parse(readFileSync(path.join(REPO, 'manifest.yaml'), 'utf8')) as Manifest;
    expect(written.config.reservation_interface.default).toBe('evse');
    expect({ ...written, config: { ...written.config, reservation_interface: { ...written.config.reservation_interface, default: 'connector' } } }).toEqual(ours);
  });

  it('leaves a tree’s own reservation interface alone, and warns when that tree has the older one', () => {
    const today = tempDir();
    const interfaces = path.join(today, 'share/everest/interfaces');
    mkdirSync(interfaces, { recursive: true });
    writeFileSync(path.join(interfaces, 'reservation.yaml'), readFileSync(path.join(REPO, 'interfaces/evse/reservation.yaml')));
    expect(writeEvseTree(today, checkout()).warning).toBeUndefined();
    expect(readFileSync(path.join(interfaces, 'reservation.yaml'), 'utf8')).toBe(readFileSync(path.join(REPO, 'interfaces/evse/reservation.yaml'), 'utf8'));

    const older = tempDir();
    mkdirSync(path.join(older, 'share/everest/interfaces'), { recursive: true });
    writeFileSync(path.join(older, 'share/everest/interfaces/reservation.yaml'), readFileSync(path.join(REPO, 'interfaces/reservation.yaml')));
    expect(writeEvseTree(older, checkout()).warning).toMatch(/older reservation interface.*connector folder/);
  });
});

describe('the connector folder (no --interface)', () => {
  it('is as before: <dir>/Reservation/ with this checkout’s manifest unchanged', () => {
    const modules = tempDir();
    const folder = writeModuleFolder(modules, checkout());
    expect(filesBelow(modules)).toEqual(['Reservation/index.js', 'Reservation/manifest.yaml', 'Reservation/reservation.js']);
    expect(readFileSync(path.join(folder, 'manifest.yaml'), 'utf8')).toBe(readFileSync(path.join(REPO, 'manifest.yaml'), 'utf8'));
    expect(manifestText('connector', REPO)).toBe(readFileSync(path.join(REPO, 'manifest.yaml'), 'utf8'));
  });
});

describe('the command line', () => {
  it('takes the interface before or after the folder, connector by default, and nothing else', () => {
    expect(parseArgs(['/usr/libexec/everest/modules'])).toEqual({ iface: 'connector', dir: '/usr/libexec/everest/modules' });
    expect(parseArgs(['--interface', 'evse', '/usr'])).toEqual({ iface: 'evse', dir: '/usr' });
    expect(parseArgs(['/usr', '--interface=evse'])).toEqual({ iface: 'evse', dir: '/usr' });
    expect(parseArgs(['--interface', 'connector', 'out'])).toEqual({ iface: 'connector', dir: 'out' });
    for (const wrong of [[], ['--interface', 'ocpp', '/usr'], ['--interface'], ['/usr', 'out'], ['--prefix', '/usr']]) expect(parseArgs(wrong)).toBeUndefined();
  });
});
