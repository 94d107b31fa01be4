// A token in a log line as EVerest's own modules write it (everest::helpers::redact: "[redacted]
// hash: <std::hash of the value, in hex>"), so one card can be followed from this module's lines
// to Auth's without either showing it. std::hash<std::string> is libstdc++'s 64-bit Murmur hash
// (_Hash_bytes, seed 0xc70f6907) over the UTF-8 bytes.

const MASK = (1n << 64n) - 1n;
const MUL = (0xc6a4a793n << 32n) + 0x5bd1e995n;
const SEED = 0xc70f6907n;

const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);
const times = (a: bigint, b: bigint): bigint => (a * b) & MASK;

/** libstdc++'s std::hash<std::string> of `value` (64-bit size_t). */
export function stdHash(value: string): bigint {
  const bytes = Buffer.from(value, 'utf8');
  const aligned = bytes.length & ~7;
  let hash = SEED ^ times(BigInt(bytes.length), MUL);
  for (let at = 0; at < aligned; at += 8) {
    hash = times(hash ^ times(shiftMix(times(bytes.readBigUInt64LE(at), MUL)), MUL), MUL);
  }
  if (bytes.length > aligned) {
    let tail = 0n;
    for (let at = bytes.length - 1; at >= aligned; at--) tail = (tail << 8n) + BigInt(bytes[at] as number);
    hash = times(hash ^ tail, MUL);
  }
  return shiftMix(times(shiftMix(hash), MUL));
}

/** EVerest's redaction of a token value. */
export function redact(value: string): string {
  return `[redacted] hash: ${stdHash(value).toString(16).toUpperCase()}`;
}
