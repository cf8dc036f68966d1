// Memory for batch frames, used again once the daemon has acked them. A
// busy client sends a frame of a couple of hundred kilobytes every few
// milliseconds; allocating each one fresh made the kernel fault its pages in
// every time (about one page fault per ten events). An acked frame is no
// longer referenced by any socket write, so its memory can hold the next one.
// Only memory the pool allocated itself (never from Node's shared buffer
// pool) is ever taken back.

/** Frames are cut from buffers of at least this size. */
const MIN_BUFFER_BYTES = 256 * 1024;
/** Memory of a frame larger than this (a rare batch of huge events) is not kept. */
const MAX_KEPT_BUFFER_BYTES = 1024 * 1024;

export class FramePool {
  private readonly free: ArrayBuffer[] = [];
  private readonly own = new WeakSet<ArrayBufferLike>();

  /** Keeps at most `keep` buffers for reuse. */
  constructor(private readonly keep: number) {}

  /** A buffer of exactly `bytes`, in memory given back earlier when one is large enough. */
  take(bytes: number): Buffer {
    const last = this.free[this.free.length - 1];
    if (last && last.byteLength >= bytes) {
      this.free.pop();
      return Buffer.from(last, 0, bytes);
    }
    const fresh = Buffer.allocUnsafeSlow(Math.max(bytes, MIN_BUFFER_BYTES));
    this.own.add(fresh.buffer);
    return fresh.subarray(0, bytes);
  }

  /** Takes back a frame that nothing will read again; ignores memory it did not allocate. */
  give(frame: Buffer): void {
    if (this.free.length >= this.keep || !this.own.has(frame.buffer)) return;
    if (frame.buffer.byteLength > MAX_KEPT_BUFFER_BYTES) return;
    this.free.push(frame.buffer as ArrayBuffer);
  }
}
