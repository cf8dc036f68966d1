// The encoded event queue: order, the hard capacity, batches cut by count
// and by bytes, and events spread over many chunks during a backlog.
import { decodeBody, encodeBatchFrame, FRAME_HEADER_BYTES, putValue } from '@mcpr-store/protocol';
import { describe, expect, it } from 'vitest';
import { EventQueue, type TakenEvents } from '../src/event-queue.js';

function push(queue: EventQueue, value: unknown): boolean {
  const from = queue.begin();
  queue.writer.pos = putValue(queue.writer, queue.writer.pos, value);
  return queue.commit(from);
}

function values(taken: TakenEvents): unknown[] {
  const frame = encodeBatchFrame(1, taken.count, taken.parts);
  return (decodeBody(frame.subarray(FRAME_HEADER_BYTES)) as { events: unknown[] }).events;
}

describe('EventQueue', () => {
  it('keeps order and drops the oldest event when full', () => {
    const queue = new EventQueue(3);
    expect([1, 2, 3].map((n) => push(queue, n))).toEqual([false, false, false]);
    expect(push(queue, 4)).toBe(true);
    expect(values(queue.take(10, 1 << 20))).toEqual([2, 3, 4]);
    expect(queue.length).toBe(0);
    push(queue, 5);
    expect(queue.dropOldest()).toBe(true);
    expect(queue.dropOldest()).toBe(false);
    expect(queue.take(10, 1 << 20).count).toBe(0);
  });

  it('cuts batches by count and by bytes, always giving at least one event', () => {
    const queue = new EventQueue(100);
    for (let i = 0; i < 10; i += 1) push(queue, `event-${i}-${'x'.repeat(90)}`);
    const byCount = queue.take(3, 1 << 20);
    expect(byCount.count).toBe(3);
    const byBytes = queue.take(100, 250);
    expect(byBytes.count).toBe(2);
    expect(byBytes.bytes).toBeLessThanOrEqual(250);
    const lone = queue.take(100, 10);
    expect(lone.count).toBe(1);
    expect(lone.bytes).toBeGreaterThan(10);
    expect(values(queue.take(100, 1 << 20))).toEqual(
      Array.from({ length: 4 }, (_, i) => `event-${i + 6}-${'x'.repeat(90)}`),
    );
  });

  it('forgets an abandoned event', () => {
    const queue = new EventQueue(10);
    push(queue, 'kept');
    const from = queue.begin();
    queue.writer.pos = putValue(queue.writer, queue.writer.pos, 'half written');
    queue.abandon(from);
    push(queue, 'also kept');
    expect(values(queue.take(10, 1 << 20))).toEqual(['kept', 'also kept']);
  });

  it('holds a backlog over many chunks, in order, through drops and partial takes', () => {
    const queue = new EventQueue(200_000);
    const big = 'b'.repeat(40_000);
    let next = 0;
    const expected: unknown[] = [];
    const record = (value: unknown) => {
      push(queue, value);
      expected.push(value);
    };
    // About 14 MB: many 1 MiB chunks, with events larger than the room a
    // chunk keeps free for the next one.
    for (; next < 150_000; next += 1) record(next % 1000 === 0 ? `${next}:${big}` : next);
    for (let i = 0; i < 5000; i += 1) {
      queue.dropOldest();
      expected.shift();
    }
    const seen: unknown[] = [];
    while (queue.length > 0) {
      const taken = queue.take(7000, 300_000);
      seen.push(...values(taken));
      // Recording goes on while the backlog drains.
      if (next < 160_000) for (let i = 0; i < 500; i += 1, next += 1) record(next);
    }
    expect(seen).toEqual(expected);
  });

  it('starts over in a small buffer once empty', () => {
    const queue = new EventQueue(10);
    push(queue, 'x'.repeat(3 * 1024 * 1024));
    expect(queue.writer.capacity).toBeGreaterThan(1024 * 1024);
    queue.take(1, 1 << 30);
    queue.begin();
    expect(queue.writer.capacity).toBe(1024 * 1024);
    queue.clear();
    expect(queue.length).toBe(0);
  });
});
