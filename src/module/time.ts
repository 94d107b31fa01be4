// RFC 3339 <-> epoch milliseconds, at the edge: the domain only sees numbers. Written out rather
// than taken from a date library: this is all the module needs of one (luxon was 0.7 MB of heap
// and 70 KB of the bundle for it).

/**
 * An RFC 3339 date-time, with the offsets the schema's date-time format also takes (+01, +0100,
 * +01:00). A time without offset, a bare date, a week date or 24:00 names no instant here.
 */
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ]([01]\d|2[0-3]):([0-5]\d):([0-5]\d|60)(?:\.(\d+))?(?:[Zz]|([+-])([01]\d|2[0-3])(?::?([0-5]\d))?)$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Epoch ms of an RFC 3339 date-time (already checked by the schema's date-time format), or
 * undefined if it names no instant. RFC 3339 allows a lower-case `t`/`z`, a space for `T`
 * and a leap second (23:59:60), which counts as the instant after :59. Fractions of a
 * millisecond are dropped.
 */
export function rfc3339ToEpochMs(text: string): number | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, sign, offsetHours, offsetMinutes] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string | undefined,
    string | undefined,
    string | undefined,
    string | undefined,
  ];
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > daysInMonth(Number(year), Number(month))) return undefined;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  // A second of 60 rolls over to the next minute, as a leap second should.
  date.setUTCHours(Number(hour), Number(minute), Number(second), fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0')));
  const offsetMs = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes ?? 0)) * 60_000;
  return date.getTime() - offsetMs;
}

export function epochMsToRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
