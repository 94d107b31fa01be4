// The min-heap behind the single expiry timer: the earliest live expiry is always at the top,
// whatever was added or ended before, and ended reservations never pile up in it.
import fc from 'fast-check';
import { ExpiryQueue } from '../../../src/domain/expiry-queue';

interface Item {
  id: number;
  expiresAtMs: number;
  order: number;
}

/** A queue and the owner's record of what is live, as the reservation book keeps it. */
function harness(): { queue: ExpiryQueue<Item>; live: Map<number, Item>; add(item: Item): void; end(id: number): boolean } {
  const live = new Map<number, Item>();
  const queue = new ExpiryQueue<Item>((item) => live.get(item.id) === item);
  return {
    queue,
    live,
    add(item) {
      if (live.has(item.id)) this.end(item.id);
      live.set(item.id, item);
      queue.add(item);
    },
    end(id) {
      if (!live.delete(id)) return false;
      queue.removed();
      return true;
    },
  };
}

/** White-box: the heap property itself (no entry before its parent), dead entries included. */
function heapViolations(queue: ExpiryQueue<Item>): string[] {
  const { heap } = queue as unknown as { heap: Item[] };
  const problems: string[] = [];
  heap.forEach((entry, i) => {
    const parent = heap[(i - 1) >> 1] as Item;
    if (i > 0 && (entry.expiresAtMs < parent.expiresAtMs || (entry.expiresAtMs === parent.expiresAtMs && entry.order < parent.order))) {
      problems.push(`entry ${entry.id} at ${i} comes before its parent ${parent.id}`);
    }
  });
  return problems;
}

const heapLength = (queue: ExpiryQueue<Item>): number => (queue as unknown as { heap: Item[] }).heap.length;

/** Ends reservations from the top: the order in which they would expire. */
function drain(h: ReturnType<typeof harness>): number[] {
  const order: number[] = [];
  for (let top = h.queue.peek(); top; top = h.queue.peek()) {
    order.push(top.id);
    h.end(top.id);
  }
  return order;
}

describe('ExpiryQueue', () => {
  it('is empty at first', () => {
    const { queue } = harness();
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });

  it('gives the earliest expiry first, whatever the insertion order', () => {
    const h = harness();
    h.add({ id: 1, expiresAtMs: 300, order: 1 });
    h.add({ id: 2, expiresAtMs: 100, order: 2 });
    h.add({ id: 3, expiresAtMs: 200, order: 3 });
    expect(h.queue.peek()).toMatchObject({ id: 2, expiresAtMs: 100 });
    expect(drain(h)).toEqual([2, 3, 1]);
  });

  it('breaks ties by order, lower first', () => {
    const h = harness();
    h.add({ id: 1, expiresAtMs: 100, order: 3 });
    h.add({ id: 2, expiresAtMs: 100, order: 1 });
    h.add({ id: 3, expiresAtMs: 100, order: 2 });
    expect(drain(h)).toEqual([2, 3, 1]);
  });

  it('follows a reservation replaced by one with the same id and another expiry', () => {
    const h = harness();
    h.add({ id: 1, expiresAtMs: 100, order: 1 });
    h.add({ id: 2, expiresAtMs: 200, order: 2 });
    h.add({ id: 1, expiresAtMs: 300, order: 3 });
    expect(h.queue.size).toBe(2);
    expect(h.queue.peek()).toMatchObject({ id: 2, expiresAtMs: 200 });
    h.add({ id: 1, expiresAtMs: 50, order: 4 });
    expect(h.queue.peek()).toMatchObject({ id: 1, expiresAtMs: 50 });
    expect(drain(h)).toEqual([1, 2]);
  });

  it('skips reservations that ended at the top, in the middle and at the bottom', () => {
    const h = harness();
    for (let id = 1; id <= 7; id++) h.add({ id, expiresAtMs: id * 10, order: id });
    [1, 4, 7].forEach((id) => h.end(id));
    expect(h.queue.size).toBe(4);
    expect(drain(h)).toEqual([2, 3, 5, 6]);
    expect(heapLength(h.queue)).toBe(0);
  });

  it('keeps 10,000 reservations in expiry order', () => {
    const h = harness();
    const dues = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_007) * 1000);
    dues.forEach((due, id) => h.add({ id, expiresAtMs: due, order: id }));
    const expected = dues.map((due, id) => ({ due, id })).sort((a, b) => a.due - b.due || a.id - b.id).map((e) => e.id);
    expect(drain(h)).toEqual(expected);
  });

  it('holds at most twice the live reservations, however many ended far from the top', () => {
    const h = harness();
    // An hour-long reservation stays while 100,000 short-lived ones come and are cancelled behind it.
    h.add({ id: 0, expiresAtMs: 1, order: 0 });
    for (let id = 1; id <= 100_000; id++) {
      h.add({ id, expiresAtMs: 1000 + id, order: id });
      h.end(id);
      if (heapLength(h.queue) > 2 * h.queue.size + 64) throw new Error(`${heapLength(h.queue)} entries for ${h.queue.size} live after ${id}`);
    }
    expect(h.queue.size).toBe(1);
    expect(drain(h)).toEqual([0]);
  });

  // Any interleaving of add and end: the heap property holds after every step, the heap stays
  // within twice the live entries, and the queue hands out the live ones in (expiry, order) order.
  it('keeps the heap order through any sequence of add and end', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('add' as const), id: fc.integer({ min: 0, max: 30 }), expiresAtMs: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant('end' as const), id: fc.integer({ min: 0, max: 30 }) }),
      fc.record({ op: fc.constant('peek' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 300, size: 'max' }), (ops) => {
        const h = harness();
        const reference = new Map<number, { expiresAtMs: number; order: number }>();
        ops.forEach((step, order) => {
          if (step.op === 'add') {
            h.add({ id: step.id, expiresAtMs: step.expiresAtMs, order });
            reference.set(step.id, { expiresAtMs: step.expiresAtMs, order });
          } else if (step.op === 'end') {
            if (h.end(step.id) !== reference.delete(step.id)) throw new Error(`end(${step.id}) disagrees with the reference`);
          } else {
            const earliest = [...reference].sort(([, a], [, b]) => a.expiresAtMs - b.expiresAtMs || a.order - b.order)[0]?.[0];
            if (h.queue.peek()?.id !== earliest) throw new Error(`after step ${order}: peek ${h.queue.peek()?.id}, expected ${earliest}`);
          }
          // Plain checks, not expect(): this loop runs tens of thousands of times.
          const violations = heapViolations(h.queue);
          if (h.queue.size !== reference.size || violations.length > 0) throw new Error(`after step ${order}: size ${h.queue.size}; ${violations.join('; ')}`);
          if (heapLength(h.queue) > Math.max(2 * h.queue.size + 1, 64)) throw new Error(`after step ${order}: ${heapLength(h.queue)} entries for ${h.queue.size}`);
        });
        const expected = [...reference].sort(([, a], [, b]) => a.expiresAtMs - b.expiresAtMs || a.order - b.order).map(([id]) => id);
        expect(drain(h)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
