// src/generated/manifest.ts (and a dialect's): what manifest.yaml provides and requires, which
// implementation serves each command and var, and the config parameters' schema.
import { configSchemaOf, GenerateError, type InterfaceFile, type Model, requireObject, type Schema, STAMP } from './model';
import { checkSchemasCompile } from './schemas';

export function generateManifest(model: Model): string {
  const configSchema = configSchemaOf(model);
  checkSchemasCompile([['manifest.yaml: config', configSchema]]);
  const provides = requireObject(model.manifest.provides ?? {}, 'manifest.yaml: provides');
  const requires = requireObject(model.manifest.requires ?? {}, 'manifest.yaml: requires');
  for (const [id, impl] of Object.entries(provides)) {
    const iface = requireObject(impl, `manifest.yaml: provides.${id}`).interface;
    if (typeof iface !== 'string' || !model.interfaces.has(iface)) {
      throw new GenerateError(`manifest.yaml: provides.${id}: interface ${String(iface)} has no interfaces/${String(iface)}.yaml`);
    }
  }
  for (const [id, req] of Object.entries(requires)) {
    const iface = requireObject(req, `manifest.yaml: requires.${id}`).interface;
    if (typeof iface !== 'string' || !model.interfaces.has(iface)) {
      throw new GenerateError(`manifest.yaml: requires.${id}: interface ${String(iface)} has no interfaces/${String(iface)}.yaml`);
    }
  }
  const manifest = { description: model.manifest.description, provides, requires, metadata: model.manifest.metadata };
  return [
    STAMP,
    "import type { JsonSchema } from '../schema/schema-types';\n",
    `export const manifest = ${JSON.stringify(manifest, null, 2)} as const;\n`,
    implOfExports(model),
    `/** The module's config parameters; defaults live here only (from manifest.yaml). */\nexport const configSchema: JsonSchema = ${JSON.stringify(configSchema, null, 2)};\n`,
  ].join('\n');
}

/**
 * Which implementation serves each command and var. A name two implementations provide (in a
 * dialect, EVerest's exists_reservation and ours) goes to the first in manifest order.
 */
export function implOfExports(model: Model): string {
  const provides = requireObject(model.manifest.provides ?? {}, 'manifest.yaml: provides');
  const implOf = (kind: 'cmds' | 'vars'): Record<string, string> => {
    const owners: Record<string, string> = {};
    for (const [id, impl] of Object.entries(provides)) {
      const iface = model.interfaces.get(String((impl as Schema).interface)) as InterfaceFile;
      for (const name of Object.keys(iface[kind])) {
        if (owners[name] && model.dialect === undefined) throw new GenerateError(`manifest.yaml: provides.${id}: ${kind} ${name} is provided by ${owners[name]} too`);
        owners[name] ??= id;
      }
    }
    return owners;
  };
  return [
    `/** The implementation id (manifest provides) each provided command is served under. */\nexport const implOfCmd: Readonly<Record<string, string>> = ${JSON.stringify(implOf('cmds'), null, 2)};\n`,
    `/** The implementation id (manifest provides) each provided var is published under. */\nexport const implOfVar: Readonly<Record<string, string>> = ${JSON.stringify(implOf('vars'), null, 2)};\n`,
  ].join('\n');
}
