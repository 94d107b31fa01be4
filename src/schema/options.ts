// ajv's options, one place: the generator compiles the standalone validators with them, and
// createAjv (tests, the demo's simulator) compiles at run time with the same.
import type { Options } from 'ajv';

/** Commands, vars, types and the persistence file: the first problem is enough. */
export const MESSAGE_AJV_OPTIONS: Options = { strict: true, allErrors: false, useDefaults: false };
/** config_module: every problem at once, defaults filled in. */
export const CONFIG_AJV_OPTIONS: Options = { strict: true, allErrors: true, useDefaults: true };
