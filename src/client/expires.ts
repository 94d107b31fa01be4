// `--expires`: a duration from now (15m, 1h30m, 90s, 2d) or an RFC 3339 date-time.
import { epochMsToRfc3339, rfc3339ToEpochMs } from '../module/time';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(?:\d+[smhd])+$/;
const DURATION_PART = /(\d+)([smhd])/g;

/** Milliseconds of a duration such as `1h30m`, or undefined if `text` is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(DURATION_PART)) ms += Number(amount) * (UNIT_MS[unit as string] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The RFC 3339 expiry_time that `--expires <text>` means at `nowMs`; throws a usage message otherwise. */
export function expiryTime(text: string, nowMs: number): string {
  const durationMs = parseDuration(text);
  if (durationMs !== undefined) {
    if (durationMs === 0) throw new Error(`--expires ${text}: a reservation must expire after now`);
    return epochMsToRfc3339(nowMs + durationMs);
  }
  if (rfc3339ToEpochMs(text) !== undefined) return text;
  throw new Error(`--expires ${JSON.stringify(text)} is neither a duration (30s, 15m, 1h30m, 2d) nor an RFC 3339 date-time (2026-11-25T18:00:00Z)`);
}
