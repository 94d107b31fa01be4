// The min-heap behind the single expiry timer: the earliest expiry is always at the top,
// whatever was added, moved or removed before.
import fc from 'fast-check';
import { ExpiryQueue } from '../../../src/domain/expiry-queue';

interface Entry {
  id: number;
  dueMs: number;
  order: number;
}

/**
 * White-box: the heap property itself (no entry before its parent) and the id -> index map. A
 * sift that is missing after a removal from the middle can hide behind a correct top for a while.
 */
function heapViolations(queue: ExpiryQueue): string[] {
  const { heap, positions } = queue as unknown as { heap: Entry[]; positions: Map<number, number> };
  const problems: string[] = [];
  heap.forEach((entry, i) => {
    const parent = heap[(i - 1) >> 1] as Entry;
    if (i > 0 && (entry.dueMs < parent.dueMs || (entry.dueMs === parent.dueMs && entry.order < parent.order))) {
      problems.push(`entry ${entry.id} at ${i} comes before its parent ${parent.id}`);
    }
    if (positions.get(entry.id) !== i) problems.push(`entry ${entry.id} is at ${i}, its position says ${positions.get(entry.id)}`);
  });
  if (positions.size !== heap.length) problems.push(`${positions.size} positions for ${heap.length} entries`);
  return problems;
}

/** Empties the queue from the top: the order in which reservations would expire. */
function drain(queue: ExpiryQueue): number[] {
  const order: number[] = [];
  for (let top = queue.peek(); top; top = queue.peek()) {
    order.push(top.id);
    queue.remove(top.id);
  }
  return order;
}

describe('ExpiryQueue', () => {
  it('is empty at first', () => {
    const queue = new ExpiryQueue();
    expect(queue.size).toBe(0);
    expect(queue.peek()).toBeUndefined();
  });

  it('gives the earliest expiry first, whatever the insertion order', () => {
    const queue = new ExpiryQueue();
    queue.set(1, 300, 1);
    queue.set(2, 100, 2);
    queue.set(3, 200, 3);
    expect(queue.peek()).toMatchObject({ id: 2, dueMs: 100 });
    expect(drain(queue)).toEqual([2, 3, 1]);
  });

  it('breaks ties by order, lower first', () => {
    const queue = new ExpiryQueue();
    queue.set(1, 100, 3);
    queue.set(2, 100, 1);
    queue.set(3, 100, 2);
    expect(drain(queue)).toEqual([2, 3, 1]);
  });

  it('moves an id that is set again instead of queueing it twice', () => {
    const queue = new ExpiryQueue();
    queue.set(1, 100, 1);
    queue.set(2, 200, 2);
    queue.set(1, 300, 3);
    expect(queue.size).toBe(2);
    expect(queue.peek()).toMatchObject({ id: 2, dueMs: 200 });
    queue.set(1, 50, 4);
    expect(queue.peek()).toMatchObject({ id: 1, dueMs: 50 });
    expect(drain(queue)).toEqual([1, 2]);
  });

  it('removes from the top, the middle and the bottom, and says whether the id was queued', () => {
    const queue = new ExpiryQueue();
    for (let id = 1; id <= 7; id++) queue.set(id, id * 10, id);
    expect(queue.remove(1)).toBe(true);
    expect(queue.remove(4)).toBe(true);
    expect(queue.remove(7)).toBe(true);
    expect(queue.remove(4)).toBe(false);
    expect(queue.remove(99)).toBe(false);
    expect(queue.size).toBe(4);
    expect(drain(queue)).toEqual([2, 3, 5, 6]);
  });

  it('keeps 10,000 reservations in expiry order', () => {
    const queue = new ExpiryQueue();
    const dues = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_007) * 1000);
    dues.forEach((due, id) => queue.set(id, due, id));
    const expected = dues.map((due, id) => ({ due, id })).sort((a, b) => a.due - b.due || a.id - b.id).map((e) => e.id);
    expect(drain(queue)).toEqual(expected);
  });

  // Any interleaving of set and remove: the heap property holds after every step, and the queue
  // hands out its entries in (dueMs, order) order.
  it('keeps the heap order through any sequence of set and remove', () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('set' as const), id: fc.integer({ min: 0, max: 30 }), dueMs: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ op: fc.constant('remove' as const), id: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 10, maxLength: 200, size: 'max' }), (ops) => {
        const queue = new ExpiryQueue();
        const reference = new Map<number, { dueMs: number; order: number }>();
        ops.forEach((step, order) => {
          if (step.op === 'set') {
            queue.set(step.id, step.dueMs, order);
            reference.set(step.id, { dueMs: step.dueMs, order });
          } else if (queue.remove(step.id) !== reference.delete(step.id)) {
            throw new Error(`remove(${step.id}) disagrees with the reference`);
          }
          // Plain checks, not expect(): this loop runs tens of thousands of times.
          const violations = heapViolations(queue);
          if (queue.size !== reference.size || violations.length > 0) throw new Error(`after step ${order}: size ${queue.size}; ${violations.join('; ')}`);
        });
        const expected = [...reference].sort(([, a], [, b]) => a.dueMs - b.dueMs || a.order - b.order).map(([id]) => id);
        expect(drain(queue)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
});
