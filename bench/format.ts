// How the bench prints: numbers, durations and markdown tables, and each target met or missed.

export const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');
export const fmtMs = (ms: number): string => (ms < 1 ? `${fmt(ms * 1000, 1)} µs` : `${fmt(ms, 1)} ms`);

export const worstOf = <T>(items: T[], key: (t: T) => number, pick: 'min' | 'max'): T =>
  items.reduce((a, b) => ((pick === 'min' ? key(b) < key(a) : key(b) > key(a)) ? b : a));

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** One line of the Targets section: PASS or MISS. */
export interface Target {
  name: string;
  met: boolean;
  measured: string;
}
