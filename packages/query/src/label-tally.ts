// Per-label totals of the requests in a window, tallied in one pass over the
// rows without sorting them. SQLite can only group by sorting, and sorting a
// week of a million requests by label costs it more than a second; a
// JavaScript function called once per row keeps a small tally per label in
// a Map instead. Each tally holds the calls, exact sums, the extremes and a
// histogram of latencies in narrow buckets, so that the buckets holding the
// wanted percentile ranks are known afterwards and only their rows need
// sorting (see tool-stats.ts). Memory is bounded by the number of labels
// (at most 1,024), never by the number of rows.
//
// The fast path takes what the daemon writes: integer latencies and sizes
// from 0 to 2^53 - 1, and labels of valid text. Anything else (a database
// written by other software may hold text, reals, negative numbers or bytes
// that are not UTF-8) marks the tally unusable, and the caller falls back
// to plain SQL, which orders every type its own way.

import { TWO_32 } from '@mcpr-store/protocol/fields';
import type { Db } from './connection.js';

/** Latencies below this each have a bucket of their own. */
const EXACT_BELOW = 128;
/** Above EXACT_BELOW, a bucket keeps a value's top 7 significant bits: 64 buckets per power of two. */
const BUCKETS_PER_OCTAVE = 64;
/** Buckets of values up to 2^53: the exact ones, then 64 per octave from 2^7. */
export const LATENCY_BUCKETS = EXACT_BELOW + (53 - 7) * BUCKETS_PER_OCTAVE;
/**
 * Labels tallied at most (12 KB of histogram each, 12 MB in all); past
 * this the caller falls back to SQL.
 */
const MAX_LABELS = 1024;
/** A histogram's counts are 32-bit; a label with more calls falls back to SQL. */
const MAX_CALLS = 2 ** 32 - 1;
/** Sums stay exact in a double up to 2^53; past 2^52 they move to a BigInt. */
const SPILL_AT = 2 ** 52;

/**
 * The bucket of a latency (an integer from 0 to 2^53 - 1). Buckets follow
 * the values' order: a larger value never has a smaller bucket.
 */
export function latencyBucket(latencyUs: number): number {
  if (latencyUs < EXACT_BELOW) return latencyUs;
  // The index of the top bit, exact (Math.log2 is not, near powers of
  // two); below 2^32 the JIT keeps it all in integer shifts.
  const small = latencyUs < TWO_32;
  const topBit = small
    ? 31 - Math.clz32(latencyUs)
    : 63 - Math.clz32(Math.floor(latencyUs / TWO_32));
  const shift = topBit - 6;
  const top7 = small ? latencyUs >>> shift : Math.floor(latencyUs / 2 ** shift);
  return EXACT_BELOW + (shift - 1) * BUCKETS_PER_OCTAVE + (top7 - BUCKETS_PER_OCTAVE);
}

/**
 * The smallest latency in `bucket`: the inverse of latencyBucket at a
 * bucket's start. One past the last bucket, it is 2^53.
 */
export function bucketStartUs(bucket: number): number {
  if (bucket < EXACT_BELOW) return bucket;
  const shift = Math.floor((bucket - EXACT_BELOW) / BUCKETS_PER_OCTAVE) + 1;
  const top7 = BUCKETS_PER_OCTAVE + ((bucket - EXACT_BELOW) % BUCKETS_PER_OCTAVE);
  return top7 * 2 ** shift;
}

/** A sum of non-negative integers, exact beyond 2^53. */
class ExactSum {
  private small = 0;
  private big = 0n;

  add(value: number): void {
    if (value > SPILL_AT) {
      this.big += BigInt(value);
      return;
    }
    this.small += value;
    if (this.small > SPILL_AT) {
      this.big += BigInt(this.small);
      this.small = 0;
    }
  }

  /** The sum: a number when it is a safe integer, else a BigInt. */
  get value(): number | bigint {
    if (this.big === 0n) return this.small;
    const sum = this.big + BigInt(this.small);
    return sum <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sum) : sum;
  }
}

export class LabelTotals {
  calls = 0;
  errors = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;
  readonly latencySum = new ExactSum();
  readonly bytesInSum = new ExactSum();
  readonly bytesOutSum = new ExactSum();
  /** Calls per latency bucket. */
  readonly histogram = new Uint32Array(LATENCY_BUCKETS);

  constructor(readonly label: string) {}

  /** Counts one latency in the histogram (the other totals are the caller's). */
  addLatency(latencyUs: number): void {
    const bucket = latencyBucket(latencyUs);
    this.histogram[bucket] = (this.histogram[bucket] as number) + 1;
  }

  /** Adds latencies listed as SQLite's group_concat lists them: numbers and commas. */
  addLatencies(list: string): void {
    let start = 0;
    for (;;) {
      const comma = list.indexOf(',', start);
      const end = comma < 0 ? list.length : comma;
      this.addLatency(Number(list.slice(start, end)));
      if (comma < 0) return;
      start = comma + 1;
    }
  }

  /** Adds another label's calls, extremes and histogram (its sums and errors are not needed where this is used). */
  addHistogramOf(other: LabelTotals): void {
    this.calls += other.calls;
    if (other.minUs < this.minUs) this.minUs = other.minUs;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
    for (let bucket = 0; bucket < LATENCY_BUCKETS; bucket += 1) {
      this.histogram[bucket] =
        (this.histogram[bucket] as number) + (other.histogram[bucket] as number);
    }
  }

  /**
   * The bucket holding the `rank`-th smallest latency (1-based) and that
   * latency's rank among the bucket's own.
   */
  locate(rank: number): { bucket: number; rankInBucket: number } {
    if (rank < 1 || rank > this.calls) {
      throw new Error(`rank ${rank} is beyond the ${this.calls} calls of ${this.label}`);
    }
    // Only the buckets between the extremes' hold calls, and a high rank is
    // nearer the top: a report locates four ranks per label, often in a
    // process that has just started, where each step of this loop is slow.
    const lowest = latencyBucket(this.minUs);
    const highest = latencyBucket(this.maxUs);
    if (rank * 2 <= this.calls) {
      let below = 0;
      for (let bucket = lowest; bucket <= highest; bucket += 1) {
        const count = this.histogram[bucket] as number;
        if (below + count >= rank) return { bucket, rankInBucket: rank - below };
        below += count;
      }
    } else {
      let above = 0;
      for (let bucket = highest; bucket >= lowest; bucket -= 1) {
        const count = this.histogram[bucket] as number;
        const below = this.calls - above - count;
        if (below < rank) return { bucket, rankInBucket: rank - below };
        above += count;
      }
    }
    throw new Error(`the histogram of ${this.label} does not hold its ${this.calls} calls`);
  }
}

/** A latency the fast path takes: a safe non-negative integer. */
function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** A size the fast path takes: a count, or null. */
function isSize(value: unknown): value is number | null {
  return value === null || isCount(value);
}

/** Thrown from the per-row function to stop the pass as soon as the fast path cannot hold. */
class Unusual extends Error {}

/**
 * Tallies, per label, the rows that `sql` selects. `sql` is run with
 * `params` and must call `mcpr_tally(label, latency_us, is_error,
 * bytes_in, bytes_out)` once per row, e.g. inside COUNT(). Returns the
 * tallies in the order their labels were first seen, or null when a value
 * is outside the fast path (or there are too many labels) and the caller
 * must use SQL.
 */
export function tallyLabels(
  db: Db,
  sql: string,
  params: Record<string, unknown>,
): LabelTotals[] | null {
  const byLabel = new Map<string, LabelTotals>();
  // A function called once per row for its effect, returning nothing: the
  // tallies stay here, where an aggregate's result would have to be a
  // single SQL value.
  db.function(
    'mcpr_tally',
    { directOnly: true },
    (label: unknown, latencyUs: unknown, isError: unknown, bytesIn: unknown, bytesOut: unknown) => {
      if (typeof label !== 'string' || !isCount(latencyUs)) throw new Unusual();
      if (!isSize(bytesIn) || !isSize(bytesOut)) throw new Unusual();
      let totals = byLabel.get(label);
      if (totals === undefined) {
        // A replacement character may stand for bytes that are not UTF-8
        // (from other software), which the second pass could not match.
        if (byLabel.size >= MAX_LABELS || label.includes('\ufffd')) throw new Unusual();
        totals = new LabelTotals(label);
        byLabel.set(label, totals);
      }
      if (totals.calls === MAX_CALLS) throw new Unusual();
      totals.calls += 1;
      if (isError === 1) totals.errors += 1;
      if (latencyUs < totals.minUs) totals.minUs = latencyUs;
      if (latencyUs > totals.maxUs) totals.maxUs = latencyUs;
      totals.latencySum.add(latencyUs);
      if (bytesIn !== null) totals.bytesInSum.add(bytesIn);
      if (bytesOut !== null) totals.bytesOutSum.add(bytesOut);
      const bucket = latencyBucket(latencyUs);
      totals.histogram[bucket] = (totals.histogram[bucket] as number) + 1;
      return null;
    },
  );
  try {
    db.prepare(sql).pluck().get(params);
  } catch (error) {
    if (error instanceof Unusual) return null;
    throw error;
  }
  return [...byLabel.values()];
}
