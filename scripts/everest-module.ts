// `npm run everest-module -- [--interface connector|evse] <dir>`: the module folder the EVerest
// manager loads (manifest.yaml) and starts (index.js, spec/everest-manager.md §1), carrying the
// bundle (npm run bundle), so it needs neither this checkout nor node_modules where it is copied.
//
// connector (the default): <dir> is a modules dir; writes <dir>/Reservation/ for EVerest trees
// whose reservation interface is the seed's (reserve_now(connector_id, reservation)).
// evse: <dir> is an EVerest prefix (e.g. /usr, or a staging folder to copy there); writes, where
// everest-framework looks by default, the module folder with reservation_interface defaulting to
// evse, and our own reservation_status interface and types. The tree's reservation.yaml and
// evse_manager.yaml are today's and stay its own (spec/everest-evse-dialect.md §1): none is written.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';

export const MODULE_NAME = 'Reservation';
const ROOT = path.join(__dirname, '..');

const BUNDLE_NAME = 'reservation.js';

export type FolderInterface = 'connector' | 'evse';

/** everest-framework's default directories under its prefix (runtime.hpp: libexec/everest/modules, share/everest/...). */
export const EVEREST_DIRS = {
  modules: path.join('libexec', 'everest', 'modules'),
  interfaces: path.join('share', 'everest', 'interfaces'),
  types: path.join('share', 'everest', 'types'),
} as const;

/**
 * The files of ours an EVerest tree needs besides the module folder: reservation_status; never
 * reservation, evse_manager or the token path's auth_token_provider / auth_token_validator (the tree's).
 */
const OWN_DEFINITIONS = ['reservation_status.yaml'] as const;

/** index.js: loads the bundle beside it, so the folder works wherever it is copied. */
export function indexJs(): string {
  return [
    '#!/usr/bin/env node',
    '// Written by `npm run everest-module`. The EVerest manager starts it as',
    '//   node --unhandled-rejections=strict <modules_dir>/Reservation/index.js',
    '// with EV_MODULE, EV_MQTT_EVEREST_PREFIX and EV_MQTT_BROKER_* (or EV_CONF_FILE) in the environment.',
    `require('./${BUNDLE_NAME}');`,
    '',
  ].join('\n');
}

/**
 * manifest.yaml for a tree of that interface: this checkout's, with the default of
 * reservation_interface set to it (the manager hands the module its manifest's defaults). Edited
 * as text, so every other line stays as written; parsed back to prove that this was the only change.
 */
export function manifestText(iface: FolderInterface, root = ROOT): string {
  const text = readFileSync(path.join(root, 'manifest.yaml'), 'utf8');
  const edited = text.replace(/^( {2}reservation_interface:\n(?: {4,}.*\n)*? {4}default: )\S+$/m, `$1${iface}`);
  const expected = parse(text) as { config: { reservation_interface: { default: string } } };
  expected.config.reservation_interface.default = iface;
  if (!isDeepStrictEqual(parse(edited), expected)) throw new Error('manifest.yaml: cannot set the default of reservation_interface (its layout changed?)');
  return edited;
}

/** Writes <modulesDir>/Reservation/ (manifest.yaml, index.js, the bundle); returns the folder. */
export function writeModuleFolder(modulesDir: string, root = ROOT, iface: FolderInterface = 'connector'): string {
  const bundle = path.join(root, 'dist', 'bundle', BUNDLE_NAME);
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run bundle first`);
  const folder = path.join(path.resolve(modulesDir), MODULE_NAME);
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'manifest.yaml'), manifestText(iface, root));
  copyFileSync(bundle, path.join(folder, BUNDLE_NAME));
  writeFileSync(path.join(folder, 'index.js'), indexJs(), { mode: 0o755 });
  return folder;
}

export interface EvseTree {
  /** <prefix>/libexec/everest/modules/Reservation */
  folder: string;
  /** The interface and types files of ours written beside the tree's own. */
  definitions: string[];
  /** Set when the prefix already has a reservation interface that is not today's. */
  warning?: string;
}

/** `--interface evse`: the module folder and our reservation_status files, under an EVerest prefix. */
export function writeEvseTree(prefix: string, root = ROOT): EvseTree {
  const base = path.resolve(prefix);
  const treeInterface = path.join(base, EVEREST_DIRS.interfaces, 'reservation.yaml');
  const warning =
    existsSync(treeInterface) && !/^\s+exists_reservation:/m.test(readFileSync(treeInterface, 'utf8'))
      ? `${treeInterface} is the older reservation interface (no exists_reservation): this tree wants the connector folder (no --interface)`
      : undefined;
  const folder = writeModuleFolder(path.join(base, EVEREST_DIRS.modules), root, 'evse');
  const definitions: string[] = [];
  for (const kind of ['interfaces', 'types'] as const) {
    const dir = path.join(base, EVEREST_DIRS[kind]);
    mkdirSync(dir, { recursive: true });
    for (const name of OWN_DEFINITIONS) {
      copyFileSync(path.join(root, kind, name), path.join(dir, name));
      definitions.push(path.join(dir, name));
    }
  }
  return { folder, definitions, ...(warning !== undefined ? { warning } : {}) };
}

const USAGE = [
  'usage: npm run everest-module -- [--interface connector|evse] <dir>',
  '  connector (default): <dir> is the modules dir of an EVerest tree with the older reservation interface',
  '                       (reserve_now(connector_id, reservation)); writes <dir>/Reservation/',
  '  evse:                <dir> is the EVerest prefix (e.g. /usr) or a folder to copy onto it; writes',
  `                       <dir>/${EVEREST_DIRS.modules}/Reservation/ and reservation_status.yaml in`,
  `                       <dir>/${EVEREST_DIRS.interfaces}/ and <dir>/${EVEREST_DIRS.types}/`,
].join('\n');

/** The command line: [--interface connector|evse] <dir>, in either order. */
export function parseArgs(argv: readonly string[]): { iface: FolderInterface; dir: string } | undefined {
  let iface: FolderInterface = 'connector';
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const value = arg === '--interface' ? argv[++i] : arg.startsWith('--interface=') ? arg.slice('--interface='.length) : undefined;
    if (value === undefined && arg.startsWith('--')) return undefined;
    if (value === undefined) rest.push(arg);
    else if (value === 'connector' || value === 'evse') iface = value;
    else return undefined;
  }
  return rest.length === 1 ? { iface, dir: rest[0] as string } : undefined;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args === undefined) {
    console.error(USAGE);
    process.exit(2);
  }
  try {
    if (args.iface === 'connector') {
      const folder = writeModuleFolder(args.dir);
      console.log(`wrote ${folder}/: manifest.yaml, index.js and the bundled module ${BUNDLE_NAME}`);
      console.log('install the interface and types too: interfaces/reservation_status.yaml and types/reservation_status.yaml');
      return;
    }
    const tree = writeEvseTree(args.dir);
    console.log(`wrote ${tree.folder}/: manifest.yaml (reservation_interface: evse by default), index.js and the bundled module ${BUNDLE_NAME}`);
    for (const file of tree.definitions) console.log(`wrote ${file}`);
    console.log("the tree's own interfaces/reservation.yaml, evse_manager.yaml, auth_token_provider.yaml and auth_token_validator.yaml (and their types) are used: none was written");
    if (tree.warning) console.warn(`warning: ${tree.warning}`);
  } catch (err) {
    console.error(`everest-module: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (require.main === module) main();
