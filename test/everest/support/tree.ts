// An EVerest tree for one test file: a copy of EVEREST_PREFIX with the module installed into it
// exactly as docs/running-under-everest.md tells an integrator (so what is tested is what
// ships), and the suite's everestjs test modules beside it. Removed after the file.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { EVEREST_DIRS } from '../../../scripts/everest-module';
import { REPO_ROOT } from '../../support/module-process';
import { track } from '../../support/teardown';
import { everestPrefix } from './prefix';

const run = promisify(execFile);

/**
 * Which `reservation` interface the tree declares: today's (`evse`, the kit's own tree, everest-core
 * 2024.11.0 and later) or the seed's (`connector`, everest-core 2022.10 to 2024.10).
 */
export type TreeEra = 'evse' | 'connector';

export interface Tree {
  /** The copy: the manager's --prefix. */
  prefix: string;
  era: TreeEra;
  modulesDir: string;
}

const TEST_MODULES_DIR = path.join(REPO_ROOT, 'test', 'everest', 'modules');
/** Shared by every test module; copied into each folder, which the manager starts on its own. */
const CHANNEL_FILE = 'test-channel.js';

/** The suite's everestjs modules: every folder of test/everest/modules. */
function testModuleNames(): string[] {
  return readdirSync(TEST_MODULES_DIR).filter((name) => statSync(path.join(TEST_MODULES_DIR, name)).isDirectory());
}

async function everestModule(args: string[]): Promise<string> {
  const { stdout, stderr } = await run('npm', ['run', '--silent', 'everest-module', '--', ...args], { cwd: REPO_ROOT });
  return stdout + stderr;
}

/**
 * The seed's types/reservation.yaml as an EVerest tree can hold it: this checkout's, without the
 * bounds it adds to reservation_id (±(2^53 - 1)), which EVerest's manager cannot read (its YAML
 * loader converts integers with stoi and refuses the whole file). The module checks those bounds itself.
 */
function seedTypesForEverest(): string {
  const document = parseDocument(readFileSync(path.join(REPO_ROOT, 'types', 'reservation.yaml'), 'utf8'));
  for (const bound of ['minimum', 'maximum']) {
    if (!document.deleteIn(['types', 'Reservation', 'properties', 'reservation_id', bound])) throw new Error(`types/reservation.yaml: reservation_id has no ${bound} any more`);
  }
  return document.toString();
}

/**
 * An EVerest tree of the seed's era, made from today's: its reservation interface and types are the
 * seed's declarations, as this checkout keeps them in interfaces/reservation.yaml (EVerest's of that
 * era, verbatim) and types/reservation.yaml (its fields, with this module's bounds). Nothing else in
 * the tree refers to them.
 */
function makeSeedEra(prefix: string): void {
  const files = { interfaces: readFileSync(path.join(REPO_ROOT, 'interfaces', 'reservation.yaml'), 'utf8'), types: seedTypesForEverest() };
  for (const kind of ['interfaces', 'types'] as const) {
    const target = path.join(prefix, EVEREST_DIRS[kind], 'reservation.yaml');
    rmSync(target, { force: true });
    writeFileSync(target, files[kind]);
  }
}

/** docs/running-under-everest.md's installation into `prefix` for a tree of `era`. */
async function installModule(prefix: string, era: TreeEra): Promise<string> {
  if (era === 'evse') return everestModule(['--interface', 'evse', prefix]);
  const output = await everestModule([path.join(prefix, EVEREST_DIRS.modules)]);
  for (const kind of ['interfaces', 'types'] as const) {
    cpSync(path.join(REPO_ROOT, kind, 'reservation_status.yaml'), path.join(prefix, EVEREST_DIRS[kind], 'reservation_status.yaml'));
  }
  return output;
}

function installTestModules(modulesDir: string): void {
  for (const name of testModuleNames()) {
    const folder = path.join(modulesDir, name);
    cpSync(path.join(TEST_MODULES_DIR, name), folder, { recursive: true });
    cpSync(path.join(TEST_MODULES_DIR, CHANNEL_FILE), path.join(folder, CHANNEL_FILE));
  }
}

/** A copy of EVEREST_PREFIX of `era` with the module and the test modules installed; removed after the test file. */
export async function installedTree(era: TreeEra): Promise<Tree> {
  const source = everestPrefix();
  const prefix = mkdtempSync(path.join(os.tmpdir(), `everest-${era}-`));
  track(`EVerest tree ${prefix}`, () => rmSync(prefix, { recursive: true, force: true }), 'file');
  cpSync(source, prefix, { recursive: true, verbatimSymlinks: true });
  if (era === 'connector') makeSeedEra(prefix);
  const installOutput = await installModule(prefix, era);
  // npm run everest-module warns when the folder does not fit the tree's reservation interface.
  if (/^warning: /m.test(installOutput)) throw new Error(`npm run everest-module into ${prefix}:\n${installOutput}`);
  const modulesDir = path.join(prefix, EVEREST_DIRS.modules);
  installTestModules(modulesDir);
  return { prefix, era, modulesDir };
}

/** Installs a tree of `era` once, before the file's tests (beforeAll); the function returned hands it to them. */
export function treeForThisFile(era: TreeEra): () => Tree {
  let tree: Tree | undefined;
  beforeAll(async () => {
    tree = await installedTree(era);
  });
  return () => {
    if (tree === undefined) throw new Error('the EVerest tree is installed in beforeAll: ask for it in a test');
    return tree;
  };
}
