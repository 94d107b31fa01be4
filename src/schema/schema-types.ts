import type { ErrorObject } from 'ajv';

/** A JSON Schema as plain data (generated from the YAML in types/ and interfaces/). */
export type JsonSchema = { [keyword: string]: unknown };

export interface CmdSchema {
  arguments: Record<string, JsonSchema>;
  result: JsonSchema;
}

export interface InterfaceSchema {
  cmds: Record<string, CmdSchema>;
  vars: Record<string, JsonSchema>;
}

/** A compiled validator: ajv's, generated standalone (src/generated/validators.ts) or compiled at run time. */
export type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** An interface's validators, shaped like its InterfaceSchema. */
export interface CompiledInterface {
  cmds: Record<string, { arguments: Record<string, Validate>; result: Validate }>;
  vars: Record<string, Validate>;
}
