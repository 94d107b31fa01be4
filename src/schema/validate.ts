// ajv, compiled once at start-up from the generated schemas; messages name what is wrong.
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { InterfaceSchema, JsonSchema } from './schema-types';

export function createAjv(options: { allErrors?: boolean; useDefaults?: boolean } = {}): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: options.allErrors ?? false, useDefaults: options.useDefaults ?? false });
  addFormats(ajv);
  return ajv;
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
export function check(validate: ValidateFunction, value: unknown): string | undefined {
  return validate(value) ? undefined : describeErrors(validate.errors);
}

interface CompiledCmd {
  arguments: Map<string, ValidateFunction>;
  result: ValidateFunction;
}

/** Validators for one interface's commands and vars, as the EVerest framework checks them. */
export class InterfaceValidator {
  private readonly cmds = new Map<string, CompiledCmd>();
  private readonly vars = new Map<string, ValidateFunction>();

  constructor(schema: InterfaceSchema, ajv: Ajv = createAjv()) {
    for (const [cmd, def] of Object.entries(schema.cmds)) {
      const args = new Map(Object.entries(def.arguments).map(([name, s]) => [name, ajv.compile(s)] as const));
      this.cmds.set(cmd, { arguments: args, result: ajv.compile(def.result) });
    }
    for (const [name, s] of Object.entries(schema.vars)) this.vars.set(name, ajv.compile(s as JsonSchema));
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
