// The EVerest install the suite runs against: EVEREST_PREFIX, as built by ../shared/everest-kit/build.sh
// (its last line) or an integrator's own (e.g. /usr).
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';

/** What an EVerest prefix must hold for the suite: the manager, and the binding the test modules load. */
export const PREFIX_PARTS = {
  manager: path.join('bin', 'manager'),
  everestjs: path.join('lib', 'everest', 'node_modules', 'everestjs'),
  interfaces: path.join('share', 'everest', 'interfaces'),
} as const;

const HOW = [
  'npm run test:everest runs the module under a real EVerest: set EVEREST_PREFIX to an EVerest install, e.g.',
  '  EVEREST_PREFIX=$(../shared/everest-kit/build.sh | tail -n 1) npm run test:everest   (the kit beside this checkout)',
  '  EVEREST_PREFIX=/usr npm run test:everest                                            (your own EVerest build)',
].join('\n');

/** EVEREST_PREFIX, checked; throws a message that says what is missing and how to get it. */
export function everestPrefix(env: NodeJS.ProcessEnv = process.env): string {
  const prefix = env.EVEREST_PREFIX;
  if (prefix === undefined || prefix === '') throw new Error(`EVEREST_PREFIX is not set.\n${HOW}`);
  const resolved = path.resolve(prefix);
  const manager = path.join(resolved, PREFIX_PARTS.manager);
  try {
    accessSync(manager, constants.X_OK);
  } catch {
    throw new Error(`EVEREST_PREFIX=${prefix} has no executable ${PREFIX_PARTS.manager}.\n${HOW}`);
  }
  for (const part of [PREFIX_PARTS.everestjs, PREFIX_PARTS.interfaces]) {
    if (!existsSync(path.join(resolved, part))) {
      throw new Error(`EVEREST_PREFIX=${prefix} has no ${part} (EVerest built without EVEREST_ENABLE_JS_SUPPORT?).\n${HOW}`);
    }
  }
  return resolved;
}
