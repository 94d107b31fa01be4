// RESERVATION_OPTIMIZE_FOR: whether V8 keeps its defaults (speed, the default) or favours memory (size).
export const OPTIMIZE_FOR_ENV = 'RESERVATION_OPTIMIZE_FOR';
export const OPTIMIZE_FOR_VALUES = ['size', 'speed'] as const;

export function optimizesForSize(env: Record<string, string | undefined>): boolean {
  return env[OPTIMIZE_FOR_ENV] === 'size';
}
