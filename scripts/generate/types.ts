// src/generated/types.ts (and a dialect's): the TypeScript types of the YAML's types and
// interfaces, and of the module's config, from the same model as the schemas so they cannot drift.
import { configParameters, GenerateError, isObject, type Model, oneLine, requireObject, type Schema, STAMP } from './model';

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z0-9])/g, (_m, _sep, ch: string) => ch.toUpperCase());
}

function tsType(model: Model, schema: Schema, where: string, indent: string): string {
  if ('$ref' in schema) {
    const target = model.lookup(schema.$ref, where);
    if (!model.emits(`types/${target.file}`)) model.importedTypes.add(target.name);
    return target.name;
  }
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  switch (schema.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${isObject(schema.items) ? tsType(model, schema.items, `${where}[]`, indent) : 'unknown'}>`;
    case 'object':
      return tsObject(model, schema, where, indent);
    default:
      throw new GenerateError(`${where}: unsupported type ${JSON.stringify(schema.type)}`);
  }
}

function tsObject(model: Model, schema: Schema, where: string, indent: string): string {
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const entries = Object.entries(properties);
  if (entries.length === 0) return 'Record<string, never>';
  const inner = `${indent}  `;
  const lines = entries.map(([prop, sub]) => {
    const subSchema = requireObject(sub, `${where}.${prop}`);
    const doc = typeof subSchema.description === 'string' ? `${inner}/** ${oneLine(subSchema.description)} */\n` : '';
    return `${doc}${inner}${prop}${required.has(prop) ? '' : '?'}: ${tsType(model, subSchema, `${where}.${prop}`, inner)};`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

export function generateTypes(model: Model): string {
  const out: string[] = [STAMP];
  const names = new Map<string, string>();
  const claim = (name: string, where: string): void => {
    const other = names.get(name);
    if (other) throw new GenerateError(`${where}: TypeScript name ${name} is already taken by ${other}`);
    names.set(name, where);
  };
  for (const [file, typeFile] of model.typeFiles) {
    if (!model.emits(`types/${file}`)) continue;
    out.push(`// ${model.pathOf('types', file)}: ${oneLine(typeFile.description)}\n`);
    for (const [name, schema] of Object.entries(typeFile.types)) {
      const where = `types/${file}.yaml: ${name}`;
      claim(name, where);
      const doc = typeof schema.description === 'string' ? `/** ${oneLine(schema.description)} */\n` : '';
      out.push(`${doc}export type ${name} = ${tsType(model, schema, where, '')};\n`);
      // The values of an enum, for messages that name them (a type alone is gone at run time).
      if (Array.isArray(schema.enum)) out.push(`export const ${name}Values: readonly ${name}[] = ${JSON.stringify(schema.enum)};\n`);
    }
  }
  for (const [iface, def] of model.interfaces) {
    if (!model.emits(`interfaces/${iface}`)) continue;
    const base = pascal(iface);
    const where = model.pathOf('interfaces', iface);
    out.push(`// ${where}: ${oneLine(def.description)}\n`);
    for (const suffix of ['CmdArgs', 'CmdResults', 'Cmd', 'Vars']) claim(`${base}${suffix}`, where);
    const args = Object.entries(def.cmds).map(([cmd, cmdDef]) => {
      const argSchema: Schema = { type: 'object', properties: cmdDef.arguments ?? {}, required: Object.keys(cmdDef.arguments ?? {}) };
      return `  ${cmd}: ${tsObject(model, argSchema, `${where}: cmds.${cmd}.arguments`, '  ')};`;
    });
    const results = Object.entries(def.cmds).map(
      ([cmd, cmdDef]) => `  ${cmd}: ${cmdDef.result ? tsType(model, cmdDef.result, `${where}: cmds.${cmd}.result`, '  ') : 'null'};`,
    );
    const vars = Object.entries(def.vars).map(([name, schema]) => `  ${name}: ${tsType(model, schema, `${where}: vars.${name}`, '  ')};`);
    out.push(`export interface ${base}CmdArgs {\n${args.join('\n')}\n}\n`);
    out.push(`export interface ${base}CmdResults {\n${results.join('\n')}\n}\n`);
    out.push(`export type ${base}Cmd = keyof ${base}CmdArgs;\n`);
    out.push(`export interface ${base}Vars {\n${vars.join('\n')}\n}\n`);
  }
  if (model.dialect !== undefined) {
    const imports = [...model.importedTypes].sort();
    if (imports.length > 0) out.splice(1, 0, `import type { ${imports.join(', ')} } from '../types';\n`);
    return out.join('\n');
  }
  const config = configParameters(model);
  out.push('// manifest.yaml: config\n');
  out.push(`export interface ModuleConfigValues ${tsObject(model, { type: 'object', properties: config, required: Object.keys(config) }, 'manifest.yaml: config', '')}\n`);
  return out.join('\n');
}
