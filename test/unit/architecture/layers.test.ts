// The layout shows the architecture only while imports point one way, down: a folder imports
// folders below it, never one above. The domain stays pure; MQTT.js and pino stay at their edge.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SRC = path.join(__dirname, '..', '..', '..', 'src');

/** Each part of src/ and its level: a part may import parts of a lower level, and itself. */
const LEVEL: Readonly<Record<string, number>> = {
  generated: 0,
  'log.ts': 1,
  everest: 1,
  schema: 2,
  domain: 2,
  config: 3,
  persistence: 3,
  mqtt: 3,
  module: 4,
  manager: 4,
  commands: 5,
  'evse-managers': 5,
  'token-path': 5,
  client: 6,
  dashboard: 7,
  // The programs: each composes what it runs, and nothing imports them.
  'app.ts': 8,
  'embedded-broker.ts': 8,
  demo: 9,
  bin: 9,
  'main.ts': 9,
  'memory.ts': 8,
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') ? [full] : [];
  });
}

/** The part of src/ a file belongs to: its top folder, or its own name at the top. */
function partOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0] as string;
}

/**
 * Relative imports and requires of a file, resolved to the file they name. Generated code may
 * import the types its output is typed by (`import type`).
 */
function importsOf(file: string): Array<{ spec: string; target: string }> {
  let text = readFileSync(file, 'utf8');
  if (partOf(file) === 'generated') text = text.replace(/^import type [^;]*;$/gm, '');
  const specs = [...text.matchAll(/(?:from\s+|require\(|^import\s+)\s*'([^']+)'/gm)].map((m) => m[1] as string);
  return specs.filter((spec) => spec.startsWith('.')).map((spec) => ({ spec, target: `${path.resolve(path.dirname(file), spec)}.ts` }));
}

const files = sourceFiles(SRC);

describe('imports point one way, down', () => {
  it('knows the level of every part of src/', () => {
    expect([...new Set(files.map(partOf))].filter((part) => LEVEL[part] === undefined)).toEqual([]);
  });

  it('lets no part import a part above it or beside it', () => {
    const upward = files.flatMap((file) =>
      importsOf(file)
        .filter(({ target }) => partOf(target) !== partOf(file) && (LEVEL[partOf(target)] as number) >= (LEVEL[partOf(file)] as number))
        .map(({ spec }) => `${path.relative(SRC, file)} imports ${spec}`),
    );
    expect(upward).toEqual([]);
  });

  it('keeps the domain pure: it imports only itself and generated types', () => {
    const outside = files
      .filter((file) => partOf(file) === 'domain')
      .flatMap((file) => {
        const text = readFileSync(file, 'utf8');
        const packages = [...text.matchAll(/(?:from\s+|require\()\s*'([^.'][^']*)'/g)].map((m) => `${path.basename(file)} imports ${m[1]}`);
        const values = [...text.matchAll(/import\s+(?!type\b)[^;]*from\s+'(\.\.\/generated\/[^']+)'/g)].map((m) => `${path.basename(file)} imports values from ${m[1]}`);
        return [...packages, ...values];
      });
    expect(outside).toEqual([]);
  });

  it('imports MQTT.js only in src/mqtt/ and pino only in src/log.ts', () => {
    const misplaced = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const rel = path.relative(SRC, file);
      const uses = (pkg: string): boolean => new RegExp(`(?:from\\s+|require\\()\\s*'${pkg}(/[^']*)?'`).test(text);
      return [...(uses('mqtt') && partOf(file) !== 'mqtt' ? [`${rel}: mqtt`] : []), ...(uses('pino') && rel !== 'log.ts' ? [`${rel}: pino`] : [])];
    });
    expect(misplaced).toEqual([]);
  });
});
