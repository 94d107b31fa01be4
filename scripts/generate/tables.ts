// The config table (one row per parameter of manifest.yaml) written between its markers, in
// README.md or in whichever page of docs/ carries them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configParameters, type Model, oneLine } from './model';

export const README_CONFIG_START = '<!-- config table: generated from manifest.yaml -->';
export const README_CONFIG_END = '<!-- end of config table -->';

function configTable(model: Model): string {
  const rows = Object.entries(configParameters(model)).map(
    ([name, schema]) => `| \`${name}\` | ${String(schema.type)} | \`${JSON.stringify(schema.default)}\` | ${oneLine(String(schema.description))} |`,
  );
  return ['| parameter | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** README.md and every page of docs/, by path relative to the project root. */
export function documentationPages(root: string): string[] {
  const pagesIn = (folder: string): string[] =>
    readdirSync(join(root, folder), { withFileTypes: true })
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap((entry) => {
        const path = `${folder}/${entry.name}`;
        if (entry.isDirectory()) return pagesIn(path);
        return entry.name.endsWith('.md') ? [path] : [];
      });
  return [...(existsSync(join(root, 'README.md')) ? ['README.md'] : []), ...(existsSync(join(root, 'docs')) ? pagesIn('docs') : [])];
}

/** `text` with the config table between its markers, or undefined when it has none. */
function withConfigTable(text: string, model: Model): string | undefined {
  const start = text.indexOf(README_CONFIG_START);
  const end = text.indexOf(README_CONFIG_END);
  if (start < 0 || end < start) return undefined;
  return `${text.slice(0, start + README_CONFIG_START.length)}\n${configTable(model)}\n${text.slice(end)}`;
}

/** Each page that carries the config table's markers, with the table as manifest.yaml gives it. */
export function configTablePages(root: string, model: Model): Array<[string, string]> {
  return documentationPages(root).flatMap((path): Array<[string, string]> => {
    const page = withConfigTable(readFileSync(join(root, path), 'utf8'), model);
    return page === undefined ? [] : [[path, page]];
  });
}
