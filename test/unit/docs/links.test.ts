// README.md and docs/ as a reader meets them: no relative link or #anchor that leads nowhere, no
// `npm run` of a script package.json lacks, and a config table with every parameter of
// manifest.yaml, wherever the generator writes it (README.md or a page of docs/).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { README_CONFIG_END, README_CONFIG_START } from '../../../scripts/generate';
import { documentationPages } from '../../../scripts/generate/tables';
import { anchorsOf, brokenLinks, configTableProblems, githubSlugger, linksOf, unknownScripts } from '../../support/docs-check';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('README.md and docs/', () => {
  const pages = documentationPages(ROOT);

  it('are README.md and every page of docs/', () => {
    expect(pages[0]).toBe('README.md');
    expect(pages.slice(1).every((page) => page.startsWith('docs/') && page.endsWith('.md'))).toBe(true);
  });

  it('have no relative link or #anchor that points nowhere', () => {
    expect(brokenLinks(ROOT, pages)).toEqual([]);
  });

  it('name only npm scripts that package.json has', () => {
    expect(unknownScripts(ROOT, pages)).toEqual([]);
  });

  it("carry the generated config table, with every parameter of manifest.yaml", () => {
    expect(configTableProblems(ROOT, pages)).toEqual([]);
  });
});

describe('the checks', () => {
  let tree: string;
  beforeEach(() => {
    tree = mkdtempSync(path.join(tmpdir(), 'docs-check-'));
    mkdirSync(path.join(tree, 'docs', 'guide'), { recursive: true });
    writeFileSync(path.join(tree, 'package.json'), JSON.stringify({ scripts: { test: 'jest', 'generate:check': 'x', bench: 'x' } }));
    writeFileSync(path.join(tree, 'manifest.yaml'), 'config:\n  size: { type: integer, default: 2, description: How many }\n  colour: { type: string, default: red, description: Which }\n');
  });
  afterEach(() => rmSync(tree, { recursive: true, force: true }));
  const write = (page: string, text: string): void => writeFileSync(path.join(tree, page), text);

  it('make anchors as GitHub does: lowercase, punctuation dropped, spaces to -, repeats suffixed -1, -2', () => {
    const slug = githubSlugger();
    expect(['Quick start', 'Chaos soak (`npm run chaos`)', 'Which interface: EVerest releases', "What's new? 1.0 & more", 'Quick start', 'Quick start', 'Quick start 1', 'Ünïcode — ok_name']
      .map(slug)).toEqual(['quick-start', 'chaos-soak-npm-run-chaos', 'which-interface-everest-releases', 'whats-new-10--more', 'quick-start-1', 'quick-start-2', 'quick-start-1-1', 'ünïcode--ok_name']);
  });

  it("take a heading's anchor from the text it shows, and HTML ids and names too", () => {
    const anchors = anchorsOf('# The **bold** [link](x.md) `code` <img src="a.png">\n\nSetext\n------\n\n<a id="kept"></a>\n\n```\n# not a heading\n```\n');
    expect([...anchors].sort()).toEqual(['kept', 'setext', 'the-bold-link-code-']);
  });

  it('find links and images with their lines, and none in code', () => {
    expect(linksOf('a [x](one.md)\nb ![y](two.png) `[no](code.md)`\n\n```\n[no](fenced.md)\n```\n\n[ref]\n\n[ref]: three.md\n<p><img src="four.png"></p>\n')).toEqual([
      { href: 'one.md', line: 1 },
      { href: 'two.png', line: 2 },
      { href: 'three.md', line: 8 },
      { href: 'four.png', line: 11 },
    ]);
  });

  it('report a link to a missing file, a missing #anchor here or in another page, and nothing for the rest', () => {
    write('README.md', '# Front door\n\n## Install\n\n[ok](#install) [ok](docs/guide/run.md#running-it) [ok](docs/guide/) [web](https://example.org/#nowhere)\n[gone](docs/missing.md) [nowhere](#instal)\n');
    write('docs/guide/run.md', '# Running it\n\n[up](../../README.md#front-door) [bad](../../README.md#install-it) [line](../../package.json#L2)\n');
    expect(brokenLinks(tree, ['README.md', 'docs/guide/run.md'])).toEqual([
      'README.md:6: docs/missing.md: docs/missing.md does not exist',
      'README.md:6: #instal: README.md has no heading or anchor #instal',
      'docs/guide/run.md:3: ../../README.md#install-it: README.md has no heading or anchor #install-it',
    ]);
  });

  it('report an npm run of a script package.json does not have', () => {
    write('README.md', 'Run `npm test`, then `npm run --silent generate:check`.\n\n```\nnpm run bench\nnpm run benchmark\n```\n');
    expect(unknownScripts(tree, ['README.md'])).toEqual(['README.md:5: npm run benchmark: package.json has no such script']);
  });

  it('find the config table in whichever page carries its markers, and report a parameter it lacks', () => {
    const table = (rows: string[]): string => `${README_CONFIG_START}\n| parameter | type | default | meaning |\n|---|---|---|---|\n${rows.join('\n')}\n${README_CONFIG_END}\n`;
    write('README.md', '# Front door\n');
    expect(configTableProblems(tree, ['README.md'])).toEqual([`the config table's markers (${README_CONFIG_START}) are in no page: one page must carry them`]);
    write('docs/guide/config.md', `# Config\n\n${table(['| `size` | integer | `2` | How many |', '| `old` | string | `""` | Gone |'])}`);
    expect(configTableProblems(tree, ['README.md', 'docs/guide/config.md'])).toEqual([
      'docs/guide/config.md: the config table has no row for colour (manifest.yaml)',
      'docs/guide/config.md: the config table lists old, which manifest.yaml does not have',
    ]);
    write('docs/guide/config.md', `# Config\n\n${table(['| `size` | integer | `2` | How many |', '| `colour` | string | `"red"` | Which |'])}`);
    expect(configTableProblems(tree, ['README.md', 'docs/guide/config.md'])).toEqual([]);
  });
});
