// The wire dialects: each folder of interfaces/ (e.g. interfaces/evse/, today's EVerest) is read
// over the top level's YAML, and gets its own types, schemas, validators and implementation map
// in src/generated/<dialect>/.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { implOfExports } from './manifest';
import { Model, type Schema, STAMP } from './model';
import { generateSchemas, resolvedSchemas } from './schemas';
import { generateTypes } from './types';
import { generateValidators } from './validators';

/** The wire dialects beside the top level's, in name order. */
function dialects(root: string): string[] {
  const dir = join(root, 'interfaces');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Each dialect's model: the top level's YAML with the dialect's folders over it. */
export function dialectModels(root: string): Model[] {
  return dialects(root).map((dialect) => new Model(root, dialect));
}

/** The types the dialects define, by name: the persistence file's entries may be among them. */
export function dialectTypes(overlays: readonly Model[]): Record<string, Schema> {
  return Object.assign({}, ...overlays.map((over) => Object.assign({}, ...Object.values(resolvedSchemas(over).types)))) as Record<string, Schema>;
}

/** One dialect's generated files, by path relative to the project root. */
export function dialectFiles(over: Model): Array<[string, string]> {
  const dialect = over.dialect as string;
  return [
    [`src/generated/${dialect}/types.ts`, generateTypes(over)],
    [`src/generated/${dialect}/schemas.ts`, generateSchemas(over)],
    [`src/generated/${dialect}/validators.ts`, generateValidators(over)],
    [`src/generated/${dialect}/manifest.ts`, [STAMP, implOfExports(over)].join('\n')],
  ];
}
