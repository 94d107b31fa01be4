// The pure domain's cost per operation with 1, 1,000 and 100,000 reservations held: what the
// module adds to each command, without the broker. Flat or logarithmic growth is the target.
import { ReservationBook } from '../src/domain/reservation-book';

export interface DomainScaleRow {
  held: number;
  reserveNs: number;
  cancelNs: number;
  expireNs: number;
  /** Heap bytes per held reservation (after a forced GC when node runs with --expose-gc). */
  heapBytesPerReservation: number;
}

const BATCH = 100;
const ROUNDS = 200;
const HOUR_MS = 3_600_000;

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function request(id: number, expiresAtMs: number): Parameters<ReservationBook['reserveNow']>[1] {
  return { reservationId: id, idToken: `TOKEN-${id}`, expiryTime: new Date(expiresAtMs).toISOString(), expiresAtMs };
}

export function measureDomain(held: number): DomainScaleRow {
  const now = Date.now();
  const book = new ReservationBook({ evseCount: held + BATCH, reservationsEnabled: true, stationWideSupported: true });
  const before = heapUsed();
  // Spread expiries so the schedule is a real heap, not a sorted list.
  for (let id = 1; id <= held; id++) book.reserveNow({ evseId: id }, request(id, now + HOUR_MS + ((id * 7919) % HOUR_MS)), now);
  const heapBytesPerReservation = (heapUsed() - before) / held;

  let reserveNs = 0n;
  let cancelNs = 0n;
  let expireNs = 0n;
  let nextId = held + 1;
  for (let round = 0; round < ROUNDS; round++) {
    const first = nextId;
    let t = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) {
      const { decision } = book.reserveNow({ evseId: held + 1 + i }, request(nextId++, now + HOUR_MS), now);
      if (!decision.accepted) throw new Error(`reserve_now refused: ${decision.refusal.kind}`);
    }
    reserveNs += process.hrtime.bigint() - t;
    t = process.hrtime.bigint();
    for (let id = first; id < nextId; id++) if (!book.cancel(id).cancelled) throw new Error(`cancel of ${id} failed`);
    cancelNs += process.hrtime.bigint() - t;
    // A batch expiring before every held one: expiry pops exactly these.
    const dueAt = now + 1000;
    for (let i = 0; i < BATCH; i++) book.reserveNow({ evseId: held + 1 + i }, request(nextId++, dueAt), now);
    t = process.hrtime.bigint();
    const ended = book.expireDue(dueAt).length;
    expireNs += process.hrtime.bigint() - t;
    if (ended !== BATCH) throw new Error(`expected ${BATCH} expiries, got ${ended}`);
  }
  const ops = BigInt(BATCH * ROUNDS);
  return { held, reserveNs: Number(reserveNs / ops), cancelNs: Number(cancelNs / ops), expireNs: Number(expireNs / ops), heapBytesPerReservation };
}
