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
