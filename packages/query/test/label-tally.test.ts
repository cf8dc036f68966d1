import { describe, expect, it } from 'vitest';
import { bucketStartUs, LATENCY_BUCKETS, LabelTotals, latencyBucket } from '../src/label-tally.js';
import { byUtf8 } from '../src/text-order.js';

describe('latencyBucket', () => {
  it('follows the order of the values, one step at a time, from 0 to 2^53 - 1', () => {
    const values = new Set<number>();
    for (let v = 0; v < 1024; v += 1) values.add(v);
    for (let bit = 7; bit <= 53; bit += 1) {
      for (let d = -3; d <= 3; d += 1) values.add(2 ** bit + d);
      // Inside the octave too, where a bucket's top bits change.
      for (let k = 1; k < 64; k += 7) values.add(2 ** bit + k * 2 ** (bit - 6) - 1);
    }
    const sorted = [...values].filter((v) => v >= 0 && v <= Number.MAX_SAFE_INTEGER);
    sorted.sort((a, b) => a - b);
    for (const v of sorted) {
      const bucket = latencyBucket(v);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(LATENCY_BUCKETS);
      if (v < Number.MAX_SAFE_INTEGER) {
        // The next value is in the same bucket or the next one.
        expect([bucket, bucket + 1]).toContain(latencyBucket(v + 1));
      }
    }
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(127)).toBe(127);
    expect(latencyBucket(128)).toBe(128);
    expect(latencyBucket(2 ** 32 - 1) + 1).toBe(latencyBucket(2 ** 32));
    expect(latencyBucket(Number.MAX_SAFE_INTEGER)).toBe(LATENCY_BUCKETS - 1);
  });

  it('keeps every bucket narrow: at most 1/64 of its values apart', () => {
    for (let bit = 8; bit <= 52; bit += 1) {
      const low = 2 ** bit;
      const width = 2 ** (bit - 6);
      expect(latencyBucket(low)).toBe(latencyBucket(low + width - 1));
      expect(latencyBucket(low + width)).toBe(latencyBucket(low) + 1);
    }
  });

  it('knows where each bucket starts', () => {
    for (let bucket = 0; bucket < LATENCY_BUCKETS; bucket += 1) {
      const start = bucketStartUs(bucket);
      expect(latencyBucket(start)).toBe(bucket);
      if (start > 0) expect(latencyBucket(start - 1)).toBe(bucket - 1);
    }
    // One past the last bucket: where the safe integers end.
    expect(bucketStartUs(LATENCY_BUCKETS)).toBe(Number.MAX_SAFE_INTEGER + 1);
  });
});

describe('LabelTotals.locate', () => {
  it('finds every rank, from below and from above, as a sort of the latencies does', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const size of [1, 2, 3, 10, 101, 1000]) {
      const latencies = Array.from({ length: size }, () => Math.floor(random() ** 3 * 5_000_000));
      const totals = new LabelTotals('t');
      for (const latency of latencies) {
        totals.calls += 1;
        totals.minUs = Math.min(totals.minUs, latency);
        totals.maxUs = Math.max(totals.maxUs, latency);
        totals.addLatency(latency);
      }
      const sorted = [...latencies].sort((a, b) => a - b);
      for (let rank = 1; rank <= size; rank += 1) {
        const { bucket, rankInBucket } = totals.locate(rank);
        const value = sorted[rank - 1] as number;
        expect(bucket).toBe(latencyBucket(value));
        // The rank among the bucket's own: how many sorted values of that bucket come before it, plus one.
        const firstInBucket = sorted.findIndex((v) => latencyBucket(v) === bucket);
        expect(rankInBucket).toBe(rank - firstInBucket);
      }
      expect(() => totals.locate(0)).toThrow(/beyond/);
      expect(() => totals.locate(size + 1)).toThrow(/beyond/);
    }
  });
});

describe('byUtf8', () => {
  it("orders text as SQLite's BINARY collation does: by UTF-8 bytes", () => {
    const samples = [
      '',
      'a',
      'B',
      'b',
      'ab',
      'a\u0000',
      '\u00e9',
      '\u4e2d',
      '\ue000',
      '\uffff',
      '\u{1f600}',
      '\u{10000}',
      'a\u{1f600}',
      'a\uffff',
      'zz',
      'Z',
    ];
    for (const a of samples) {
      for (const b of samples) {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(Math.sign(byUtf8(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(bytes);
      }
    }
  });
});
