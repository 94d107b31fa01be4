// Turns the EVerest YAML in types/, interfaces/ and manifest.yaml into src/generated/
// (JSON Schemas as data and TypeScript types from the same pass, so they cannot drift)
// and the config table in README.md or docs/. `--check` compares in memory and fails when stale.
// Each output has its file in scripts/generate/; this one says which files there are.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateManifest } from './generate/manifest';
import { GenerateError, Model } from './generate/model';
import { dialectFiles, dialectModels, dialectTypes } from './generate/overlay';
import { generateSchemas } from './generate/schemas';
import { configTablePages } from './generate/tables';
import { generateTypes } from './generate/types';
import { generateConfigValidator, generateValidators } from './generate/validators';

export { GenerateError } from './generate/model';
export { README_CONFIG_END, README_CONFIG_START } from './generate/tables';

/** Every generated file, by path relative to the project root. */
export function generate(root: string): Map<string, string> {
  const model = new Model(root);
  const overlays = dialectModels(root);
  const stateTypes = dialectTypes(overlays);
  const files = new Map<string, string>([
    ['src/generated/types.ts', generateTypes(model)],
    ['src/generated/schemas.ts', generateSchemas(model)],
    ['src/generated/manifest.ts', generateManifest(model)],
    ['src/generated/validators.ts', generateValidators(model, stateTypes)],
    ['src/generated/config-validator.ts', generateConfigValidator(model)],
  ]);
  for (const over of overlays) for (const [path, content] of dialectFiles(over)) files.set(path, content);
  for (const [path, content] of configTablePages(root, model)) files.set(path, content);
  return files;
}

/** The generated files whose content on disk differs from what the YAML gives. */
export function staleFiles(root: string): string[] {
  return [...generate(root)].filter(([path, content]) => {
    const full = join(root, path);
    return !existsSync(full) || readFileSync(full, 'utf8') !== content;
  }).map(([path]) => path);
}

function main(): void {
  const root = join(__dirname, '..');
  try {
    if (process.argv.includes('--check')) {
      const stale = staleFiles(root);
      if (stale.length > 0) {
        console.error(`generated files are stale (run npm run generate): ${stale.join(', ')}`);
        process.exit(1);
      }
      console.log('generated files are up to date');
      return;
    }
    for (const [path, content] of generate(root)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), content);
    }
    console.log('generated src/generated/ from types/, interfaces/ and manifest.yaml');
  } catch (err) {
    if (err instanceof GenerateError) {
      console.error(`generate: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

if (require.main === module) main();
