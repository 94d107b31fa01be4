// `npm run everest-module -- <modules_dir>`: writes <modules_dir>/Reservation/, the module folder the
// EVerest manager loads (manifest.yaml) and starts (index.js, spec/everest-manager.md §1). It carries
// the bundle (npm run bundle), so it needs neither this checkout nor node_modules where it is copied.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const MODULE_NAME = 'Reservation';
const ROOT = path.join(__dirname, '..');

const BUNDLE_NAME = 'reservation.js';

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

export function writeModuleFolder(modulesDir: string, root = ROOT): string {
  const bundle = path.join(root, 'dist', 'bundle', BUNDLE_NAME);
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run bundle first`);
  const folder = path.join(path.resolve(modulesDir), MODULE_NAME);
  mkdirSync(folder, { recursive: true });
  copyFileSync(path.join(root, 'manifest.yaml'), path.join(folder, 'manifest.yaml'));
  copyFileSync(bundle, path.join(folder, BUNDLE_NAME));
  writeFileSync(path.join(folder, 'index.js'), indexJs(), { mode: 0o755 });
  return folder;
}

function main(): void {
  const [modulesDir] = process.argv.slice(2);
  if (modulesDir === undefined) {
    console.error('usage: npm run everest-module -- <modules_dir>   (writes <modules_dir>/Reservation/)');
    process.exit(2);
  }
  try {
    const folder = writeModuleFolder(modulesDir);
    console.log(`wrote ${folder}/: manifest.yaml, index.js and the bundled module ${BUNDLE_NAME}`);
    console.log(`install the interface and types too: interfaces/reservation_status.yaml and types/reservation_status.yaml`);
  } catch (err) {
    console.error(`everest-module: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (require.main === module) main();
