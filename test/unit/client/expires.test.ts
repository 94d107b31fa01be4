// --expires: durations from now and RFC 3339 date-times; anything else is a usage error.
import { expiryTime, parseDuration } from '../../../src/client/expires';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    ['1d2h3m4s', 93_784_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '15', 'm', '15 m', '-5m', '1.5h', '15min', '1w', 'PT15M'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('expiryTime', () => {
  it('turns a duration into the RFC 3339 instant that far from now', () => {
    expect(expiryTime('15m', NOW)).toBe('2026-11-25T12:15:00.000Z');
    expect(expiryTime('2d', NOW)).toBe('2026-11-27T12:00:00.000Z');
  });

  it('passes an RFC 3339 date-time through unchanged, offset and all', () => {
    expect(expiryTime('2026-11-25T18:00:00+01:00', NOW)).toBe('2026-11-25T18:00:00+01:00');
    expect(expiryTime('2026-11-25t17:00:00z', NOW)).toBe('2026-11-25t17:00:00z');
  });

  it('refuses a zero duration: the reservation would be over before it is made', () => {
    expect(() => expiryTime('0m', NOW)).toThrow(/after now/);
  });

  it.each(['tomorrow', '2026-11-25', '2026-11-25T18:00:00', '18:00'])('refuses %j, saying what it takes', (text) => {
    expect(() => expiryTime(text, NOW)).toThrow(/neither a duration .* nor an RFC 3339 date-time/);
  });
});
