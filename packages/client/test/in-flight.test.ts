// The batches in flight, alone: acks in any order, the oldest record held,
// and splitting a batch in place without losing its order.
import { encodeFrame } from '@mcpr-store/protocol';
import { describe, expect, it } from 'vitest';
import { batchEvents, InFlightBatches, type UnackedBatch } from '../src/in-flight.js';

function batch(held: InFlightBatches, first: number, names: string[]): UnackedBatch {
  const seq = held.takeSeq();
  const events = names.map((method) => ({ kind: 'request', method }));
  const sent: UnackedBatch = {
    seq,
    frame: encodeFrame({ type: 'batch', seq, events }),
    count: names.length,
    first,
    last: first + names.length - 1,
    sentOn: -1,
    positional: false,
  };
  held.add(sent);
  return sent;
}

describe('InFlightBatches', () => {
  it('takes acks in any order and knows the oldest record still held', () => {
    const held = new InFlightBatches();
    const a = batch(held, 0, ['a0', 'a1']);
    const b = batch(held, 2, ['b0']);
    expect([held.size, held.events, held.firstRecord]).toEqual([2, 3, 0]);
    expect(held.acked(b.seq)).toBe(b);
    expect(held.acked(b.seq)).toBeUndefined();
    expect([held.size, held.events, held.firstRecord]).toEqual([1, 2, 0]);
    expect(held.acked(a.seq)).toBe(a);
    expect(held.firstRecord).toBe(Number.POSITIVE_INFINITY);
  });

  it('splits a batch into halves in its own place, records and order kept', () => {
    const held = new InFlightBatches();
    batch(held, 0, ['x']);
    const big = batch(held, 1, ['m0', 'm1', 'm2', 'm3', 'm4']);
    batch(held, 6, ['z']);
    const { halves, lone } = held.split(big);
    expect(lone).toBeNull();
    expect(halves.map((h) => [h.first, h.last, h.count])).toEqual([
      [1, 3, 3],
      [4, 5, 2],
    ]);
    const methods = held
      .list()
      .flatMap((b) => batchEvents(b.frame).map((e) => (e as { method: string }).method));
    expect(methods).toEqual(['x', 'm0', 'm1', 'm2', 'm3', 'm4', 'z']);
    expect(held.events).toBe(7);
  });

  it('hands back a lone event that no frame can carry', () => {
    const held = new InFlightBatches();
    const one = batch(held, 0, ['huge']);
    const { halves, lone } = held.split(one);
    expect(halves).toEqual([]);
    expect(lone).toEqual({ kind: 'request', method: 'huge' });
    expect([held.size, held.events]).toEqual([0, 0]);
  });
});
