// Tokens redacted as EVerest redacts them, so a card can be followed from our log lines to Auth's.
// The expected hashes were printed by std::hash<std::string> of g++ 12 (libstdc++, x86_64).
import { redact } from '../../../src/token-path/redact';

describe('redact', () => {
  it.each([
    ['A', '600668DE4345E18E'],
    ['12345678', '8C5B90A33A04DCA5'],
    ['ABC12345', '3991469E85948B1B'],
    ['DEADBEEF00112233', 'BF5BC579066DDFED'],
    ['04A2B3C4D5E6F7', '813E7D22651D8D50'],
    ['a-36-character-token-abcdefghijklmno', 'F2BC38737558842B'],
    ['é', 'DB283F24E33BC775'],
    ['', '553E93901E462A6E'],
  ])('writes %j as libstdc++ hashes it', (value, hash) => {
    expect(redact(value)).toBe(`[redacted] hash: ${hash}`);
  });

  it('never shows the token itself', () => {
    expect(redact('SECRET-CARD-0042')).not.toContain('SECRET');
  });
});
