/**
 * Min-heap of the held reservations themselves by expiry, so that one timer can serve the whole
 * schedule (see module/scheduler.ts) and no operation scans all reservations.
 *
 * Compact on purpose: the heap holds references to the reservations (one array slot each, no
 * entry objects, no copies of their times, no id -> index map). A reservation that ends stays in
 * the heap as a dead entry until it reaches the top or the heap is rebuilt, which happens once the
 * dead outnumber the live, so the heap is never more than twice the reservations held.
 */
export interface Expiring {
  readonly expiresAtMs: number;
  /** Breaks ties between equal expiries: lower expires first. */
  readonly order: number;
}

/** Below this many entries dead ones are left to surface at the top; rebuilding would not pay. */
const MIN_ENTRIES_TO_REBUILD = 64;

export class ExpiryQueue<T extends Expiring> {
  private heap: T[] = [];
  private dead = 0;

  /** `isLive(item)`: whether the item is still held; the owner decides, the queue never keeps a second index. */
  constructor(private readonly isLive: (item: T) => boolean) {}

  /** Live entries. */
  get size(): number {
    return this.heap.length - this.dead;
  }

  add(item: T): void {
    this.heap.push(item);
    this.up(this.heap.length - 1);
    this.rebuildIfMostlyDead();
  }

  /** Tells the queue that one item it holds is no longer live. */
  removed(): void {
    this.dead++;
    this.rebuildIfMostlyDead();
  }

  /** The live item that expires first. */
  peek(): T | undefined {
    for (let top = this.heap[0]; top !== undefined; top = this.heap[0]) {
      if (this.isLive(top)) return top;
      this.popTop();
      this.dead--;
    }
    return undefined;
  }

  private popTop(): void {
    const last = this.heap.pop() as T;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
  }

  /** Drops the dead and restores the heap order bottom-up: O(n), paid for by the n/2 removals before it. */
  private rebuildIfMostlyDead(): void {
    if (this.dead <= this.heap.length / 2 || this.heap.length < MIN_ENTRIES_TO_REBUILD) return;
    this.heap = this.heap.filter(this.isLive);
    this.dead = 0;
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private before(a: T, b: T): boolean {
    return a.expiresAtMs < b.expiresAtMs || (a.expiresAtMs === b.expiresAtMs && a.order < b.order);
  }

  private up(index: number): void {
    const heap = this.heap;
    const item = heap[index] as T;
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(item, heap[parent] as T)) break;
      heap[child] = heap[parent] as T;
      child = parent;
    }
    heap[child] = item;
  }

  private down(index: number): void {
    const heap = this.heap;
    const item = heap[index] as T;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const smaller = right < heap.length && this.before(heap[right] as T, heap[left] as T) ? right : left;
      if (!this.before(heap[smaller] as T, item)) break;
      heap[parent] = heap[smaller] as T;
      parent = smaller;
    }
    heap[parent] = item;
  }
}
