// `npm run everest-module -- <modules_dir>`: writes <modules_dir>/Reservation/, the module folder the
// EVerest manager loads (manifest.yaml) and starts (index.js, spec/everest-manager.md §1).
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const MODULE_NAME = 'Reservation';
const ROOT = path.join(__dirname, '..');

/** index.js: loads the built module by absolute path, so the folder works wherever it is copied. */
export function indexJs(mainJs: string): string {
  return [
    '#!/usr/bin/env node',
    '// Written by `npm run everest-module`. The EVerest manager starts it as',
    '//   node --unhandled-rejections=strict <modules_dir>/Reservation/index.js',
    '// with EV_MODULE, EV_MQTT_EVEREST_PREFIX and EV_MQTT_BROKER_* (or EV_CONF_FILE) in the environment.',
    `require(${JSON.stringify(mainJs)});`,
    '',
  ].join('\n');
}

export function writeModuleFolder(modulesDir: string, root = ROOT): string {
  const mainJs = path.join(root, 'dist', 'main.js');
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run npm run build first`);
  const folder = path.join(path.resolve(modulesDir), MODULE_NAME);
  mkdirSync(folder, { recursive: true });
  copyFileSync(path.join(root, 'manifest.yaml'), path.join(folder, 'manifest.yaml'));
  writeFileSync(path.join(folder, 'index.js'), indexJs(mainJs), { mode: 0o755 });
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
    console.log(`wrote ${folder}/manifest.yaml and index.js`);
    console.log(`install the interface and types too: interfaces/reservation_status.yaml and types/reservation_status.yaml`);
  } catch (err) {
    console.error(`everest-module: ${(err as Error).message}`);
    process.exit(1);
  }
}

if (require.main === module) main();
