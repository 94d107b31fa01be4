// src/generated/schemas.ts (and a dialect's): every interface's and type's JSON Schema as data,
// $refs inlined, each checked to compile.
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { MESSAGE_AJV_OPTIONS } from '../../src/schema/options';
import { GenerateError, type Model, requireObject, type Schema, STAMP } from './model';

export function checkSchemasCompile(schemas: Array<[string, Schema]>): void {
  const ajv = new Ajv(MESSAGE_AJV_OPTIONS);
  addFormats(ajv);
  for (const [where, schema] of schemas) {
    try {
      ajv.compile(schema);
    } catch (err) {
      throw new GenerateError(`${where}: not a valid JSON Schema: ${(err as Error).message}`);
    }
  }
}

interface ResolvedSchemas {
  interfaces: Record<string, { cmds: Record<string, { arguments: Record<string, Schema>; result: Schema }>; vars: Record<string, Schema> }>;
  types: Record<string, Record<string, Schema>>;
}

/** Every interface's and type's JSON Schema, $refs inlined, each checked to compile. */
export function resolvedSchemas(model: Model): ResolvedSchemas {
  const interfaces: ResolvedSchemas['interfaces'] = {};
  const compiled: Array<[string, Schema]> = [];
  for (const [iface, def] of model.interfaces) {
    if (!model.emits(`interfaces/${iface}`)) continue;
    const file = model.pathOf('interfaces', iface);
    const cmds: ResolvedSchemas['interfaces'][string]['cmds'] = {};
    for (const [cmd, cmdDef] of Object.entries(def.cmds)) {
      const where = `${file}: cmds.${cmd}`;
      const args: Record<string, Schema> = {};
      for (const [arg, schema] of Object.entries(cmdDef.arguments ?? {})) {
        args[arg] = model.resolve(requireObject(schema, `${where}.arguments.${arg}`), `${where}.arguments.${arg}`);
        compiled.push([`${where}.arguments.${arg}`, args[arg]]);
      }
      const result = cmdDef.result ? model.resolve(requireObject(cmdDef.result, `${where}.result`), `${where}.result`) : { type: 'null' };
      compiled.push([`${where}.result`, result]);
      cmds[cmd] = { arguments: args, result };
    }
    const vars: Record<string, Schema> = {};
    for (const [name, schema] of Object.entries(def.vars)) {
      vars[name] = model.resolve(requireObject(schema, `${file}: vars.${name}`), `${file}: vars.${name}`);
      compiled.push([`${file}: vars.${name}`, vars[name]]);
    }
    interfaces[iface] = { cmds, vars };
  }
  const types: ResolvedSchemas['types'] = {};
  for (const [file, typeFile] of model.typeFiles) {
    if (!model.emits(`types/${file}`)) continue;
    types[file] = {};
    for (const [name, schema] of Object.entries(typeFile.types)) {
      const where = `${model.pathOf('types', file)}: ${name}`;
      const resolved = model.resolve(schema, where);
      types[file][name] = resolved;
      compiled.push([where, resolved]);
    }
  }
  checkSchemasCompile(compiled);
  return { interfaces, types };
}

export function generateSchemas(model: Model): string {
  const { interfaces, types } = resolvedSchemas(model);
  const names = Object.keys(interfaces);
  return [
    STAMP,
    `import type { InterfaceSchema, JsonSchema } from '${model.src}/schema/schema-types';\n`,
    `export const interfaces: { ${names.map((n) => `${n}: InterfaceSchema`).join('; ')} } = ${JSON.stringify(interfaces, null, 2)};\n`,
    `export const types: Record<string, Record<string, JsonSchema>> = ${JSON.stringify(types, null, 2)};\n`,
  ].join('\n');
}
