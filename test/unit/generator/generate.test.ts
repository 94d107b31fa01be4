// scripts/generate.ts: the committed src/generated/ matches the YAML, $refs are resolved into
// schemas ajv enforces, and broken YAML stops generation with a message naming the file and ref.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { GenerateError, generate, README_CONFIG_END, README_CONFIG_START, staleFiles } from '../../../scripts/generate';
import type { CompiledInterface, InterfaceSchema, Validate } from '../../../src/schema/schema-types';
import { check, compileInterface, InterfaceValidator } from '../../../src/schema/validate';

const root = path.join(__dirname, '..', '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'generator');

/** Runs a generated TypeScript file (it imports types only, and the validators ajv's small runtime helpers) and gives its exports. */
function load(source: string | undefined): Record<string, unknown> {
  if (source === undefined) throw new Error('no such generated file');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  const module = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', js)(module, module.exports, require);
  return module.exports;
}

/** Every key anywhere in `value`. */
function keysIn(value: unknown): string[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysIn(inner)]);
}

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'generate-'));
  cpSync(path.join(fixtures, 'valid'), tmp, { recursive: true });
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

/** What generate() throws for the fixture tree with one file replaced by a broken one. */
function generateError(broken: string, replaces: string): GenerateError {
  copyFileSync(path.join(fixtures, 'broken', broken), path.join(tmp, replaces));
  try {
    generate(tmp);
  } catch (err) {
    if (err instanceof GenerateError) return err;
    throw err;
  }
  throw new Error('generate() accepted the broken tree');
}

describe('the committed generated files', () => {
  it('are what the YAML in types/, interfaces/ and manifest.yaml gives (run npm run generate if not)', () => {
    expect(staleFiles(root)).toEqual([]);
  });

  it('carry the reservation interface with every $ref resolved, expiry_time a date-time', () => {
    const { interfaces } = load(generate(root).get('src/generated/schemas.ts')) as { interfaces: { reservation: InterfaceSchema } };
    const reservation = interfaces.reservation.cmds.reserve_now?.arguments.reservation as { properties: Record<string, Record<string, unknown>> };
    expect(reservation.properties.expiry_time).toMatchObject({ type: 'string', format: 'date-time' });
    expect(keysIn(interfaces)).not.toContain('$ref');
  });
});

describe('generate() on a YAML tree', () => {
  it('writes types, schemas and manifest, and no README when the tree has none', () => {
    expect([...generate(tmp).keys()].sort()).toEqual([
      'src/generated/config-validator.ts',
      'src/generated/manifest.ts',
      'src/generated/schemas.ts',
      'src/generated/types.ts',
      'src/generated/validators.ts',
    ]);
  });

  it('resolves $ref: /reservation#/X into the schema, keeping the fields written next to it', () => {
    const { interfaces } = load(generate(tmp).get('src/generated/schemas.ts')) as { interfaces: { demo: InterfaceSchema } };
    const book = interfaces.demo.cmds.book;
    expect(book?.result).toEqual({ description: 'The colour it got', type: 'string', enum: ['Red', 'Green'] });
    expect(book?.arguments.booking).toMatchObject({
      description: 'What to book',
      additionalProperties: false,
      required: ['id', 'until'],
      properties: { colour: { description: 'Its colour', type: 'string', enum: ['Red', 'Green'] } },
    });
    expect(interfaces.demo.cmds.forget?.result).toEqual({ type: 'null' });
    expect(keysIn(interfaces)).not.toContain('$ref');
  });

  it('names the referenced type in the TypeScript it writes', () => {
    const types = generate(tmp).get('src/generated/types.ts') ?? '';
    expect(types).toContain('export type Colour = "Red" | "Green";');
    expect(types).toMatch(/colour\?: Colour;/);
    expect(types).toMatch(/book: Colour;/);
  });

  it.each([
    ['compiled at run time from the schemas', (files: Map<string, string>) => compileInterface((load(files.get('src/generated/schemas.ts')) as { interfaces: { demo: InterfaceSchema } }).interfaces.demo)],
    ['compiled by the generator (standalone)', (files: Map<string, string>) => (load(files.get('src/generated/validators.ts')) as { interfaceValidators: { demo: CompiledInterface } }).interfaceValidators.demo],
  ])('gives validators, %s, that enforce format: date-time and the referenced enum', (_how, compiled) => {
    const validator = new InterfaceValidator(compiled(generate(tmp)));
    const booking = { id: 1, until: '2026-06-01T12:00:00Z', colour: 'Red' };
    expect(validator.checkArguments('book', { booking })).toBeUndefined();
    expect(validator.checkArguments('book', { booking: { ...booking, until: 'next week' } })).toBe(`argument 'booking': /until must match format "date-time"`);
    expect(validator.checkArguments('book', { booking: { ...booking, colour: 'Blue' } })).toBe(`argument 'booking': /colour must be one of "Red", "Green"`);
    expect(validator.checkVar('booked', { ...booking, extra: 1 })).toBe('var booked: has unknown property "extra"');
  });

  it('compiles the config validator to report every problem and fill in the defaults', () => {
    const { validateConfig } = load(generate(tmp).get('src/generated/config-validator.ts')) as { validateConfig: Validate };
    const values: Record<string, unknown> = {};
    expect(check(validateConfig, values)).toBeUndefined();
    expect(values.size).toBe(2);
    expect(check(validateConfig, { size: 0, colour: 'red' })?.split('; ').sort()).toEqual(['/size must be >= 1', 'has unknown property "colour"']);
  });

  it('carries the manifest config defaults into the config schema', () => {
    const { configSchema } = load(generate(tmp).get('src/generated/manifest.ts')) as { configSchema: { properties: Record<string, unknown> } };
    expect(configSchema.properties.size).toEqual({ description: 'How many', type: 'integer', minimum: 1, default: 2 });
  });

  it('tells which generated files a YAML change made stale', () => {
    for (const [file, content] of generate(tmp)) {
      mkdirSync(path.dirname(path.join(tmp, file)), { recursive: true });
      writeFileSync(path.join(tmp, file), content);
    }
    expect(staleFiles(tmp)).toEqual([]);
    const manifest = path.join(tmp, 'manifest.yaml');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('default: 2', 'default: 3'));
    // the default lives in the schema and in the compiled config validator that fills it in
    expect(staleFiles(tmp)).toEqual(['src/generated/manifest.ts', 'src/generated/config-validator.ts']);
  });

  it('writes the config table between its markers in whichever page carries them, README.md or a page of docs/', () => {
    const page = (title: string, markers: boolean): string =>
      `# ${title}\n\n${markers ? `${README_CONFIG_START}\nold table\n${README_CONFIG_END}\n` : ''}after\n`;
    writeFileSync(path.join(tmp, 'README.md'), page('Front door', false));
    mkdirSync(path.join(tmp, 'docs', 'reference'), { recursive: true });
    writeFileSync(path.join(tmp, 'docs', 'running.md'), page('Running', false));
    writeFileSync(path.join(tmp, 'docs', 'reference', 'config.md'), page('Config', true));
    const files = generate(tmp);
    expect([...files.keys()].filter((file) => file.endsWith('.md'))).toEqual(['docs/reference/config.md']);
    expect(files.get('docs/reference/config.md')).toBe(
      `# Config\n\n${README_CONFIG_START}\n| parameter | type | default | meaning |\n|---|---|---|---|\n| \`size\` | integer | \`2\` | How many |\n${README_CONFIG_END}\nafter\n`,
    );
  });
});

describe('generate() refuses a broken tree', () => {
  it('stops at a file that is not YAML, naming it', () => {
    const error = generateError('not-yaml.demo.yaml', 'interfaces/demo.yaml');
    expect(error.message).toMatch(/^interfaces\/demo\.yaml: not valid YAML/);
  });

  it('stops at a $ref to a type the types file does not have, naming the file, the place and the reference', () => {
    const error = generateError('dangling-type.reservation.yaml', 'types/reservation.yaml');
    expect(error.message).toContain('types/reservation.yaml: Booking.colour');
    expect(error.message).toContain('$ref /reservation#/Shade is dangling: types/reservation.yaml has no type Shade');
  });

  it('stops at a $ref to a types file that does not exist, naming the file, the place and the reference', () => {
    const error = generateError('dangling-file.demo.yaml', 'interfaces/demo.yaml');
    expect(error.message).toContain('interfaces/demo.yaml: cmds.book.arguments.booking');
    expect(error.message).toContain('$ref /bookings#/Booking is dangling: there is no types/bookings.yaml');
  });

  it('stops at a type that contradicts its $ref, naming the file, the place and the reference', () => {
    const error = generateError('type-mismatch.demo.yaml', 'interfaces/demo.yaml');
    expect(error.message).toBe('interfaces/demo.yaml: cmds.book.result: says type integer but $ref /reservation#/Colour is of type string');
  });
});
