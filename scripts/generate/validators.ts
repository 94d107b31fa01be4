// src/generated/validators.ts and config-validator.ts (and a dialect's validators): ajv's standalone
// code for every schema, so the module compiles no code at run time.
import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import standaloneCode from 'ajv/dist/standalone';
import { stateSchema } from '../../src/persistence/state-file';
import { CONFIG_AJV_OPTIONS, MESSAGE_AJV_OPTIONS } from '../../src/schema/options';
import { configSchemaOf, type Model, type Schema, STAMP } from './model';
import { resolvedSchemas } from './schemas';

/**
 * ajv's standalone code for the given schemas, compiled here so the module compiles (and
 * generates) no code at run time. Returns the code and, per schema, the name it exports.
 */
function standaloneValidators(options: Options, schemas: Schema[]): { code: string; names: string[] } {
  const ajv = new Ajv({ ...options, code: { source: true, esm: true } });
  addFormats(ajv);
  const names = schemas.map((schema, i) => {
    const name = `v${i}`;
    ajv.addSchema(schema, name);
    return name;
  });
  const code = standaloneCode(ajv, Object.fromEntries(names.map((n) => [n, n])))
    .replace(/^"use strict";/, '')
    // one statement per line, so a diff of the generated file can be read
    .replace(/([;}])(export const |const |function )/g, '$1\n$2');
  return { code, names };
}

function validatorHeader(model: Model): string {
  return [
    STAMP,
    "// @ts-nocheck: ajv's standalone code, typed by the exports at the end.",
    `import type { CompiledInterface, Validate } from '${model.src}/schema/schema-types';\n`,
  ].join('\n');
}

/** `stateTypes`: the types of the persistence file's entries, where the dialects define some of them. */
export function generateValidators(model: Model, stateTypes: Readonly<Record<string, Schema>> = {}): string {
  const { interfaces, types } = resolvedSchemas(model);
  const schemas: Schema[] = [];
  const ref = (schema: Schema): string => `v${schemas.push(schema) - 1}`;
  const interfaceEntries = Object.entries(interfaces).map(([iface, def]) => {
    const cmds = Object.entries(def.cmds).map(([cmd, { arguments: args, result }]) => {
      const argRefs = Object.entries(args).map(([arg, schema]) => `${arg}: ${ref(schema)}`);
      return `${cmd}: { arguments: { ${argRefs.join(', ')} }, result: ${ref(result)} }`;
    });
    const vars = Object.entries(def.vars).map(([name, schema]) => `${name}: ${ref(schema)}`);
    return `  ${iface}: { cmds: { ${cmds.join(', ')} }, vars: { ${vars.join(', ')} } },`;
  });
  const typeEntries = Object.entries(types).map(
    ([file, fileTypes]) => `  ${file}: { ${Object.entries(fileTypes).map(([name, schema]) => `${name}: ${ref(schema)}`).join(', ')} },`,
  );
  const typeShape = Object.entries(types)
    .map(([file, fileTypes]) => `${file}: { ${Object.keys(fileTypes).map((name) => `${name}: Validate`).join('; ')} }`)
    .join('; ');
  // The persistence file holds HeldReservation, ReservationEnd and ReservationUpdateStatus (a tree without them has none).
  const named = (name: string): Schema | undefined => Object.values(types).find((fileTypes) => name in fileTypes)?.[name] ?? stateTypes[name];
  const [held, end, update] = ['HeldReservation', 'ReservationEnd', 'ReservationUpdateStatus'].map(named);
  const state = held && end && update && model.dialect === undefined ? ref(stateSchema(held, end, update) as Schema) : undefined;
  const { code } = standaloneValidators(MESSAGE_AJV_OPTIONS, schemas);
  return [
    validatorHeader(model),
    code,
    '',
    `export const interfaceValidators: { ${Object.keys(interfaces).map((n) => `${n}: CompiledInterface`).join('; ')} } = {\n${interfaceEntries.join('\n')}\n};`,
    `export const typeValidators: { ${typeShape} } = {\n${typeEntries.join('\n')}\n};`,
    ...(state ? ['/** The persistence file (src/persistence/state-file.ts). */', `export const validateState: Validate = ${state};`] : []),
    '',
  ].join('\n');
}

/** config_module's validator: every problem reported, defaults filled in. */
export function generateConfigValidator(model: Model): string {
  const { code } = standaloneValidators(CONFIG_AJV_OPTIONS, [configSchemaOf(model)]);
  return [validatorHeader(model), code, '', 'export const validateConfig: Validate = v0;', ''].join('\n');
}
