// RFC 3339 expiry_time <-> epoch milliseconds: every form RFC 3339 allows names the same
// instant as Date.UTC says, and anything that names no instant gives undefined.
import { epochMsToRfc3339, rfc3339ToEpochMs } from '../../../src/module/time';

const NOON_UTC = Date.UTC(2026, 5, 1, 12, 0, 0);

describe('rfc3339ToEpochMs', () => {
  it.each([
    ['Z', '2026-06-01T12:00:00Z', NOON_UTC],
    ['a positive offset', '2026-06-01T14:00:00+02:00', NOON_UTC],
    ['a negative half-hour offset', '2026-06-01T08:30:00-03:30', NOON_UTC],
    ['+00:00', '2026-06-01T12:00:00+00:00', NOON_UTC],
    ['-00:00 (offset unknown, still UTC)', '2026-06-01T12:00:00-00:00', NOON_UTC],
    ['an offset that changes the date', '2026-06-02T01:00:00+13:00', NOON_UTC],
    ['lower-case t and z', '2026-06-01t12:00:00z', NOON_UTC],
    ['a space for T', '2026-06-01 12:00:00Z', NOON_UTC],
    ['a space and an offset', '2026-06-01 13:00:00+01:00', NOON_UTC],
  ])('reads %s', (_what, text, expected) => {
    expect(rfc3339ToEpochMs(text)).toBe(expected);
  });

  it.each([
    ['one digit', '2026-06-01T12:00:00.5Z', 500],
    ['milliseconds', '2026-06-01T12:00:00.123Z', 123],
    ['.57, without floating-point rounding to 569', '2026-06-01T12:00:00.57Z', 570],
    ['microseconds, to the millisecond below', '2026-06-01T12:00:00.123999Z', 123],
    ['nanoseconds', '2026-06-01T12:00:00.000000001Z', 0],
    ['with an offset', '2026-06-01T14:00:00.250+02:00', 250],
  ])('reads fractional seconds: %s', (_what, text, ms) => {
    expect(rfc3339ToEpochMs(text)).toBe(NOON_UTC + ms);
  });

  it('reads a leap second as the instant after :59', () => {
    expect(rfc3339ToEpochMs('2016-12-31T23:59:60Z')).toBe(Date.UTC(2017, 0, 1));
    expect(rfc3339ToEpochMs('2016-12-31T23:59:60.5Z')).toBe(Date.UTC(2017, 0, 1) + 500);
    expect(rfc3339ToEpochMs('2017-01-01T00:59:60+01:00')).toBe(Date.UTC(2017, 0, 1));
  });

  it('reads a year below 100 as that year, not 19xx', () => {
    const expected = new Date(0);
    expected.setUTCFullYear(50, 0, 1);
    expect(rfc3339ToEpochMs('0050-01-01T00:00:00Z')).toBe(expected.getTime());
  });

  it('reads February 29 of a leap year', () => {
    expect(rfc3339ToEpochMs('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
  });

  it.each([
    ['no offset (local time names no instant)', '2026-06-01T12:00:00'],
    ['no offset, with fractions', '2026-06-01T12:00:00.123'],
    ['a date only', '2026-06-01'],
    ['February 30', '2026-02-30T12:00:00Z'],
    ['February 29 of a common year', '2026-02-29T12:00:00Z'],
    ['month 13', '2026-13-01T12:00:00Z'],
    ['day 0', '2026-06-00T12:00:00Z'],
    ['hour 24', '2026-06-01T24:00:00Z'],
    ['minute 60', '2026-06-01T12:60:00Z'],
    ['second 61', '2026-06-01T12:00:61Z'],
    ['an offset beyond 23 hours', '2026-06-01T12:00:00+24:00'],
    ['a week date', '2026-W22-1T12:00:00Z'],
    ['an ordinal date', '2026-152T12:00:00Z'],
    ['the basic format', '20260601T120000Z'],
    ['no seconds', '2026-06-01T12:00Z'],
    ['a trailing character', '2026-06-01T12:00:00Zx'],
    ['a leading space', ' 2026-06-01T12:00:00Z'],
    ['an empty string', ''],
    ['words', 'tomorrow'],
  ])('gives undefined for %s', (_what, text) => {
    expect(rfc3339ToEpochMs(text)).toBeUndefined();
  });
});

describe('epochMsToRfc3339', () => {
  it('writes UTC with milliseconds, and reads back to the same instant', () => {
    const ms = NOON_UTC + 42;
    const text = epochMsToRfc3339(ms);
    expect(text).toBe('2026-06-01T12:00:00.042Z');
    expect(rfc3339ToEpochMs(text)).toBe(ms);
  });
});
