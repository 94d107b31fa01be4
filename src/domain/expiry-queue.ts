/**
 * Min-heap of reservation ids by expiry, with O(log n) insert, remove and pop, so that one
 * timer can serve the whole schedule (see module/scheduler.ts) and no operation scans all
 * reservations.
 */
interface Entry {
  id: number;
  dueMs: number;
  order: number;
}

export class ExpiryQueue {
  private readonly heap: Entry[] = [];
  private readonly positions = new Map<number, number>();

  get size(): number {
    return this.heap.length;
  }

  /** Adds `id` (or moves it, if already queued). `order` breaks ties: lower expires first. */
  set(id: number, dueMs: number, order: number): void {
    this.remove(id);
    this.heap.push({ id, dueMs, order });
    this.positions.set(id, this.heap.length - 1);
    this.up(this.heap.length - 1);
  }

  remove(id: number): boolean {
    const index = this.positions.get(id);
    if (index === undefined) return false;
    const last = this.heap.pop() as Entry;
    this.positions.delete(id);
    if (index < this.heap.length) {
      this.heap[index] = last;
      this.positions.set(last.id, index);
      this.down(index);
      this.up(index);
    }
    return true;
  }

  peek(): { id: number; dueMs: number } | undefined {
    return this.heap[0];
  }

  private before(a: Entry, b: Entry): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.order < b.order);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i] as Entry;
    const b = this.heap[j] as Entry;
    this.heap[i] = b;
    this.heap[j] = a;
    this.positions.set(b.id, i);
    this.positions.set(a.id, j);
  }

  private up(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.before(this.heap[child] as Entry, this.heap[parent] as Entry)) return;
      this.swap(child, parent);
      child = parent;
    }
  }

  private down(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      if (left < this.heap.length && this.before(this.heap[left] as Entry, this.heap[smallest] as Entry)) smallest = left;
      if (right < this.heap.length && this.before(this.heap[right] as Entry, this.heap[smallest] as Entry)) smallest = right;
      if (smallest === parent) return;
      this.swap(parent, smallest);
      parent = smallest;
    }
  }
}
