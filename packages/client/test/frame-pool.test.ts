// Frame memory is reused only when it came from the pool, and only as much
// of it as asked for.
import { describe, expect, it } from 'vitest';
import { FramePool } from '../src/frame-pool.js';

describe('FramePool', () => {
  it('hands back the memory of a returned frame for the next one', () => {
    const pool = new FramePool(2);
    const first = pool.take(1000);
    expect(first).toHaveLength(1000);
    first.fill(7);
    pool.give(first);
    const second = pool.take(5000);
    expect(second).toHaveLength(5000);
    expect(second.buffer).toBe(first.buffer);
    // Not returned: the next frame gets other memory.
    expect(pool.take(10).buffer).not.toBe(first.buffer);
  });

  it('allocates afresh when the returned memory is too small, and keeps at most its bound', () => {
    const pool = new FramePool(1);
    const small = pool.take(10);
    pool.give(small);
    const big = pool.take(1024 * 1024);
    expect(big).toHaveLength(1024 * 1024);
    expect(big.buffer).not.toBe(small.buffer);
    pool.give(big); // over the bound of one: dropped
    expect(pool.take(10).buffer).toBe(small.buffer);
    expect(pool.take(10).buffer).not.toBe(big.buffer);
    // The memory of a huge frame is never kept, however much room is left.
    const roomy = new FramePool(4);
    const huge = roomy.take(4 * 1024 * 1024);
    const usual = roomy.take(200 * 1024);
    roomy.give(huge);
    expect(roomy.take(10).buffer).not.toBe(huge.buffer);
    roomy.give(usual);
    expect(roomy.take(10).buffer).toBe(usual.buffer);
  });

  it('never takes in memory it did not allocate', () => {
    const pool = new FramePool(4);
    const foreign = Buffer.allocUnsafe(100); // a slice of Node's shared pool
    pool.give(foreign);
    pool.give(Buffer.allocUnsafeSlow(300 * 1024));
    const next = pool.take(100);
    expect(next.buffer).not.toBe(foreign.buffer);
    expect(next.byteLength).toBe(100);
  });
});
