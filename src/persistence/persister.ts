// Coalesces writes: every change made before a write starts is in that write, so a burst of
// commands costs one fsync, and each command is answered only once its change is on disk.
import type { Logger } from '../log';

export class Persister {
  private pending: Promise<void> | undefined;

  constructor(
    /** Writes the whole current state; undefined when persistence is off. */
    private readonly write: (() => void) | undefined,
    private readonly log: Logger,
  ) {}

  /** Resolves once everything changed so far is on disk (at once when persistence is off). */
  flush(): Promise<void> {
    if (!this.write) return Promise.resolve();
    const write = this.write;
    this.pending ??= new Promise<void>((resolve) => {
      setImmediate(() => {
        this.pending = undefined;
        try {
          write();
        } catch (err) {
          // Reservations keep working from memory; the operator must see that the disk does not.
          this.log.error({ err: (err as Error).message }, 'writing the persistence file failed; state is only in memory');
        }
        resolve();
      });
    });
    return this.pending;
  }
}
