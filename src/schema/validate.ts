// Checks against the validators; messages name what is wrong. The module uses the validators
// the generator compiled (src/generated/validators.ts), so it loads no ajv compiler and generates
// no code at run time; createAjv/compileInterface compile the same schemas at run time for tests
// and tools.
import type Ajv from 'ajv';
import type { ErrorObject } from 'ajv';
import { MESSAGE_AJV_OPTIONS } from './options';
import type { CompiledInterface, InterfaceSchema, JsonSchema, Validate } from './schema-types';

export function createAjv(options: { allErrors?: boolean; useDefaults?: boolean } = {}): Ajv {
  // Loaded here, not at the top: the module itself never compiles.
  const { default: AjvClass } = require('ajv') as typeof import('ajv');
  const { default: addFormats } = require('ajv-formats') as typeof import('ajv-formats');
  const ajv = new AjvClass({ ...MESSAGE_AJV_OPTIONS, ...options });
  addFormats(ajv);
  return ajv;
}

/** An interface's validators compiled at run time (tools and tests; the module uses the generated ones). */
export function compileInterface(schema: InterfaceSchema, ajv: Ajv = createAjv()): CompiledInterface {
  const compile = (s: JsonSchema): Validate => ajv.compile(s);
  return {
    cmds: Object.fromEntries(
      Object.entries(schema.cmds).map(([cmd, def]) => [
        cmd,
        { arguments: Object.fromEntries(Object.entries(def.arguments).map(([name, s]) => [name, compile(s)])), result: compile(def.result) },
      ]),
    ),
    vars: Object.fromEntries(Object.entries(schema.vars).map(([name, s]) => [name, compile(s)])),
  };
}

export function describeErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map((e) => {
      const where = e.instancePath === '' ? '' : `${e.instancePath} `;
      if (e.keyword === 'additionalProperties') return `${where}has unknown property "${String(e.params.additionalProperty)}"`;
      if (e.keyword === 'enum') return `${where}must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      return `${where}${e.message ?? 'is invalid'}`;
    })
    .join('; ');
}

/** Describes why `value` fails `validate`, or undefined if it passes. */
export function check(validate: Validate, value: unknown): string | undefined {
  return validate(value) ? undefined : describeErrors(validate.errors);
}

interface CompiledCmd {
  arguments: Map<string, Validate>;
  result: Validate;
}

/** Validators for one interface's commands and vars, as the EVerest framework checks them. */
export class InterfaceValidator {
  private readonly cmds = new Map<string, CompiledCmd>();
  private readonly vars = new Map<string, Validate>();

  constructor(compiled: CompiledInterface) {
    for (const [cmd, def] of Object.entries(compiled.cmds)) {
      this.cmds.set(cmd, { arguments: new Map(Object.entries(def.arguments)), result: def.result });
    }
    for (const [name, validate] of Object.entries(compiled.vars)) this.vars.set(name, validate);
  }

  get cmdNames(): string[] {
    return [...this.cmds.keys()];
  }

  /** Each declared argument present, none unknown, each valid; else a message naming the argument. */
  checkArguments(cmd: string, args: Record<string, unknown>): string | undefined {
    const compiled = this.compiled(cmd);
    for (const name of compiled.arguments.keys()) {
      if (!Object.hasOwn(args, name)) return `missing argument '${name}'`;
    }
    for (const name of Object.keys(args)) {
      const validate = compiled.arguments.get(name);
      if (!validate) return `unknown argument '${name}'`;
      const problem = check(validate, args[name]);
      if (problem) return `argument '${name}': ${problem}`;
    }
    return undefined;
  }

  checkResult(cmd: string, value: unknown): string | undefined {
    const problem = check(this.compiled(cmd).result, value);
    return problem ? `result of ${cmd}: ${problem}` : undefined;
  }

  checkVar(name: string, value: unknown): string | undefined {
    const validate = this.vars.get(name);
    if (!validate) return `unknown var '${name}'`;
    const problem = check(validate, value);
    return problem ? `var ${name}: ${problem}` : undefined;
  }

  private compiled(cmd: string): CompiledCmd {
    const compiled = this.cmds.get(cmd);
    if (!compiled) throw new Error(`interface has no command ${cmd}`);
    return compiled;
  }
}
