// RFC 3339 <-> epoch milliseconds, at the edge: the domain only sees numbers. luxon is loaded at
// the first date a command brings, not at start: a module that holds nothing never pays for it.
import type { DateTime as LuxonDateTime } from 'luxon';

let dateTime: typeof LuxonDateTime | undefined;
function luxon(): typeof LuxonDateTime {
  dateTime ??= (require('luxon') as typeof import('luxon')).DateTime;
  return dateTime;
}

const LEAP_SECOND = /^(.*T\d{2}:\d{2}:)60(.*)$/;
/** RFC 3339 5.6 lets a space stand for the `T` between date and time. */
const SPACE_SEPARATOR = /^(\d{4}-\d{2}-\d{2}) /;
/**
 * An RFC 3339 date-time, with the offsets the schema's date-time format also takes. luxon's
 * fromISO alone would read a time without offset in the host's zone, a bare date, a week date or 24:00.
 */
const RFC3339_SHAPE = /^\d{4}-\d{2}-\d{2}[Tt ](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:[Zz]|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)$/;

/**
 * Epoch ms of an RFC 3339 date-time (already checked by the schema's date-time format), or
 * undefined if it names no instant. RFC 3339 allows a lower-case `t`/`z`, a space for `T`
 * and a leap second (23:59:60), which luxon does not read: a leap second counts as the
 * instant after :59.
 */
export function rfc3339ToEpochMs(text: string): number | undefined {
  if (!RFC3339_SHAPE.test(text)) return undefined;
  const upper = text.toUpperCase().replace(SPACE_SEPARATOR, '$1T');
  const leap = LEAP_SECOND.exec(upper);
  const parsed = luxon().fromISO(leap ? `${leap[1]}59${leap[2]}` : upper, { setZone: true });
  if (!parsed.isValid) return undefined;
  return parsed.toMillis() + (leap ? 1000 : 0);
}

export function epochMsToRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
