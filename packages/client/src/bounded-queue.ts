// A FIFO with a hard capacity that drops its oldest item to make room, in
// O(1): the proxy must never block or grow without bound while the daemon is
// away, and the freshest events are the ones worth keeping.

export class BoundedQueue<T> {
  private readonly items: (T | undefined)[];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Adds an item; returns true when the oldest item was dropped to make room. */
  push(item: T): boolean {
    if (this.capacity === 0) return true;
    if (this.count === this.capacity) {
      this.items[(this.head + this.count) % this.capacity] = item;
      this.head = (this.head + 1) % this.capacity;
      return true;
    }
    this.items[(this.head + this.count) % this.capacity] = item;
    this.count += 1;
    return false;
  }

  /** Drops the oldest item; returns false when empty. */
  dropOldest(): boolean {
    if (this.count === 0) return false;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count -= 1;
    return true;
  }

  /** Removes and returns up to `max` oldest items. */
  take(max: number): T[] {
    const n = Math.min(max, this.count);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i += 1) {
      out[i] = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
    }
    this.count -= n;
    return out;
  }
}
