// Checks of README.md and docs/ as a reader meets them on GitHub: every relative link and #anchor
// leads somewhere, every `npm run <script>` exists, and the generated config table lists every
// parameter of manifest.yaml. Each check returns its problems as "page:line: what", none when fine.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { parse } from 'yaml';
import { README_CONFIG_END, README_CONFIG_START } from '../../scripts/generate';

type Token = MarkdownIt.Token;

// html: true, as GitHub: raw HTML (comments, <a id>, <img src>) is HTML, not text.
const markdown = new MarkdownIt({ html: true });

/**
 * GitHub's heading ids, as github-slugger computes them: lowercase; every character but letters,
 * marks, numbers, connector punctuation, '-' and ' ' dropped; each space a '-'; a repeated id
 * gets -1, -2... (That package is ESM only, which this CommonJS test tree cannot load.)
 */
export function githubSlugger(): (heading: string) => string {
  const seen = new Map<string, number>();
  return (heading) => {
    const base = heading.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '').replace(/ /g, '-');
    let slug = base;
    while (seen.has(slug)) {
      const count = (seen.get(base) ?? 0) + 1;
      seen.set(base, count);
      slug = `${base}-${count}`;
    }
    seen.set(slug, 0);
    return slug;
  };
}

/** The text a heading shows (what GitHub makes its id from): no markup, no HTML, no images. */
function shownText(inline: Token): string {
  return (inline.children ?? []).map((child) => (child.type === 'text' || child.type === 'code_inline' ? child.content : '')).join('');
}

const HTML_ANCHOR = /\b(?:id|name)\s*=\s*["']([^"']+)["']/g;
const HTML_LINK = /\b(?:href|src)\s*=\s*["']([^"']+)["']/g;

/** Every #anchor a page has: its headings' ids and the ids and names of its HTML. */
export function anchorsOf(text: string): Set<string> {
  const tokens = markdown.parse(text, {});
  const slug = githubSlugger();
  const anchors = new Set<string>();
  tokens.forEach((token, i) => {
    if (token.type === 'heading_open') anchors.add(slug(shownText(tokens[i + 1] as Token)));
    const html = token.type === 'html_block' ? [token] : token.type === 'inline' ? (token.children ?? []).filter((child) => child.type === 'html_inline') : [];
    for (const { content } of html) for (const [, id] of content.matchAll(HTML_ANCHOR)) anchors.add(id as string);
  });
  return anchors;
}

/** Every link and image of a page (markdown and HTML; none from code), with the line it is on. */
export function linksOf(text: string): Array<{ href: string; line: number }> {
  const links: Array<{ href: string; line: number }> = [];
  // A table cell's text has no line of its own: its row's.
  let first = 1;
  for (const token of markdown.parse(text, {})) {
    if (token.map) first = token.map[0] + 1;
    if (token.type === 'html_block') for (const [, href] of token.content.matchAll(HTML_LINK)) links.push({ href: href as string, line: first });
    if (token.type !== 'inline') continue;
    let line = first;
    for (const child of token.children ?? []) {
      if (child.type === 'softbreak' || child.type === 'hardbreak') line++;
      const href = child.type === 'link_open' ? child.attrGet('href') : child.type === 'image' ? child.attrGet('src') : null;
      if (href !== null) links.push({ href: String(href), line });
      if (child.type === 'html_inline') for (const [, inHtml] of child.content.matchAll(HTML_LINK)) links.push({ href: inHtml as string, line });
    }
  }
  return links;
}

const read = (root: string, page: string): string => readFileSync(path.join(root, page), 'utf8');

/** The paths git ignores: they exist here but not in a clone (nor on GitHub). Nothing outside a git checkout. */
function ignoredByGit(root: string, paths: readonly string[]): Set<string> {
  if (paths.length === 0) return new Set();
  try {
    return new Set(execFileSync('git', ['check-ignore', '--', ...paths], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean));
  } catch (err) {
    // Exit 1: none is ignored. Anything else (no git, not a checkout): nothing to tell.
    return new Set(String((err as { stdout?: string }).stdout ?? '').split('\n').filter(Boolean));
  }
}

/** Relative links to a file or folder that does not exist, and #anchors that no heading of their page has. */
export function brokenLinks(root: string, pages: readonly string[]): string[] {
  const problems: string[] = [];
  const anchors = new Map<string, Set<string>>();
  const anchorsOfPage = (page: string): Set<string> => anchors.get(page) ?? anchors.set(page, anchorsOf(read(root, page))).get(page) as Set<string>;
  const targets: Array<{ where: string; target: string }> = [];
  for (const page of pages) {
    for (const { href, line } of linksOf(read(root, page))) {
      const where = `${page}:${line}`;
      // Other sites (https:, mailto:, //host) are not this check's.
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(href)) continue;
      const hashAt = href.indexOf('#');
      const rawPath = (hashAt < 0 ? href : href.slice(0, hashAt)).split('?')[0] as string;
      const rawAnchor = hashAt < 0 ? undefined : href.slice(hashAt + 1);
      let linked: string;
      let anchor: string | undefined;
      try {
        linked = decodeURIComponent(rawPath);
        anchor = rawAnchor === undefined ? undefined : decodeURIComponent(rawAnchor);
      } catch {
        problems.push(`${where}: ${href}: not a valid URL`);
        continue;
      }
      // GitHub reads a leading / from the repository's root, anything else from the page's folder.
      const target = linked === '' ? page : path.posix.normalize(linked.startsWith('/') ? linked.slice(1) : path.posix.join(path.posix.dirname(page), linked));
      if (target.startsWith('../') || !existsSync(path.join(root, target))) {
        problems.push(`${where}: ${href}: ${target} does not exist`);
        continue;
      }
      if (linked !== '') targets.push({ where: `${where}: ${href}`, target: target.replace(/\/$/, '') });
      // Anchors into other files (a line of source, say) are GitHub's own.
      const isPage = target.endsWith('.md') && statSync(path.join(root, target)).isFile();
      if (anchor !== undefined && anchor !== '' && isPage && !anchorsOfPage(target).has(anchor)) problems.push(`${where}: ${href}: ${target} has no heading or anchor #${anchor}`);
    }
  }
  const ignored = ignoredByGit(root, [...new Set(targets.map(({ target }) => target))]);
  for (const { where, target } of targets) if (ignored.has(target)) problems.push(`${where}: ${target} is ignored by git, so a clone has none`);
  return problems;
}

const NPM_RUN = /\bnpm\s+run(?:-script)?(?:\s+(?:--silent|-s|--if-present))*\s+([A-Za-z0-9][\w:.-]*)/g;
const NPM_LIFECYCLE = /\bnpm\s+(test|start|stop|restart)\b/g;

/** Every `npm run <script>` (and npm test, npm start) that names a script package.json does not have. */
export function unknownScripts(root: string, pages: readonly string[]): string[] {
  const scripts = (JSON.parse(read(root, 'package.json')) as { scripts?: Record<string, string> }).scripts ?? {};
  return pages.flatMap((page) =>
    read(root, page)
      .split('\n')
      .flatMap((text, i) =>
        [...text.matchAll(NPM_RUN), ...text.matchAll(NPM_LIFECYCLE)]
          // A sentence may end right after the name.
          .map((match) => (match[1] as string).replace(/[.:]+$/, ''))
          .filter((name) => !Object.hasOwn(scripts, name))
          .map((name) => `${page}:${i + 1}: npm run ${name}: package.json has no such script`),
      ),
  );
}

/** The config table: found between its markers in exactly one page, one row for each parameter of manifest.yaml and no other. */
export function configTableProblems(root: string, pages: readonly string[]): string[] {
  const parameters = Object.keys((parse(read(root, 'manifest.yaml')) as { config?: Record<string, unknown> }).config ?? {});
  const carrying = pages.filter((page) => read(root, page).includes(README_CONFIG_START));
  if (carrying.length !== 1) return [`the config table's markers (${README_CONFIG_START}) are in ${carrying.length === 0 ? 'no page' : carrying.join(', ')}: one page must carry them`];
  const page = carrying[0] as string;
  const text = read(root, page);
  const start = text.indexOf(README_CONFIG_START);
  const end = text.indexOf(README_CONFIG_END, start);
  if (end < 0) return [`${page}: the config table has no end marker (${README_CONFIG_END})`];
  const rows = [...text.slice(start, end).matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((match) => match[1] as string);
  return [
    ...parameters.filter((name) => !rows.includes(name)).map((name) => `${page}: the config table has no row for ${name} (manifest.yaml)`),
    ...rows.filter((name) => !parameters.includes(name)).map((name) => `${page}: the config table lists ${name}, which manifest.yaml does not have`),
  ];
}
