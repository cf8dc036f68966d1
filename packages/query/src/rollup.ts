// Hourly rollups of the requests table: per hour, proxy, method, tool,
// status and error code, the calls, exact sums and extremes, the last call
// and a histogram of latencies in the buckets of label-tally.ts (1/64 of a
// power of two wide). Wide windows are answered from them instead of from
// every row. The tables are ours (mcpr_store_*), outside mcpr's schema and
// its migration steps; mcpr's tools never need them, and a store written by
// anything else is answered from the rows until the daemon rebuilds them.
// The daemon writes them about once a second (the daemon's rollups.ts), and
// six-hour rows from the hourly ones once each block is over; the state
// table records the span of request ids they count, so a reader can tell
// whether they match the rows and counts the newer rows itself (see
// usableSpan and rollup-window.ts).

import type { Db } from './connection.js';
import { bucketStartUs, LATENCY_BUCKETS } from './label-tally.js';

export const ROLLUP_TABLE = 'mcpr_store_rollup_hourly';
/** The same counts per six hours, made from the hourly rows once the six hours are over (see rollups.ts). */
export const BLOCK_ROLLUP_TABLE = 'mcpr_store_rollup_6h';
export const ROLLUP_STATE_TABLE = 'mcpr_store_rollup_state';
export const HOUR_MS = 3_600_000;
/** A block of the coarser table: wide windows read a quarter of a day per row. */
export const BLOCK_MS = 6 * HOUR_MS;

/** The columns of both rollup tables after their time column, in this order. */
const ROLLUP_COLUMNS = `
  proxy       TEXT    NOT NULL,
  method      TEXT    NOT NULL,
  tool        TEXT    NOT NULL,  -- '' for requests without a tool
  status      TEXT    NOT NULL,
  error_code  TEXT    NOT NULL,  -- '' for none
  calls       INTEGER NOT NULL,
  latency_sum INTEGER NOT NULL,
  latency_min INTEGER NOT NULL,
  latency_max INTEGER NOT NULL,
  bytes_in    INTEGER NOT NULL,
  bytes_out   INTEGER NOT NULL,
  last_ts     INTEGER NOT NULL,
  histogram   BLOB    NOT NULL,  -- (bucket step, count) varint pairs: encodeHistogram`;
const ROLLUP_KEY = 'proxy, method, tool, status, error_code';

export const ROLLUP_DDL = `
CREATE TABLE IF NOT EXISTS ${ROLLUP_TABLE} (
  hour_ms     INTEGER NOT NULL,${ROLLUP_COLUMNS}
  PRIMARY KEY (hour_ms, ${ROLLUP_KEY})
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${BLOCK_ROLLUP_TABLE} (
  block_ms      INTEGER NOT NULL,${ROLLUP_COLUMNS}
  PRIMARY KEY (block_ms, ${ROLLUP_KEY})
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ${ROLLUP_STATE_TABLE} (
  name  TEXT PRIMARY KEY,
  value INTEGER
) WITHOUT ROWID;
`;

/** A rollup row's key and counts, beside its time and its histogram. */
export interface RollupCounts {
  proxy: string;
  method: string;
  /** '' for requests without a tool. */
  tool: string;
  status: string;
  /** '' for none. */
  error_code: string;
  calls: number;
  latency_sum: number;
  latency_min: number;
  latency_max: number;
  bytes_in: number;
  bytes_out: number;
  /** The last call counted. */
  last_ts: number;
}

/** The hour a timestamp falls in, as the unix ms of its start. */
export function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

/** The block (six hours, from midnight UTC) a timestamp falls in, as the unix ms of its start. */
export function blockOf(ts: number): number {
  return Math.floor(ts / BLOCK_MS) * BLOCK_MS;
}

/**
 * The histogram blob's format, recorded in the state: rollups written in
 * another are rebuilt at open and not read until then.
 */
export const ROLLUP_FORMAT = 2;

/**
 * A histogram as its blob: for each non-empty bucket in order, the step
 * from the previous bucket and the count, each an unsigned LEB128 varint.
 * Both are small in practice, so a pair takes two or three bytes and a row
 * stays inside its b-tree page (a row past about a kilobyte spills into
 * overflow pages, and a wide window would read one more page a row).
 */
export function encodeHistogram(counts: Map<number, number>): Buffer {
  // A varint of a count below 2^32 takes at most five bytes; a pair ten.
  const blob = Buffer.allocUnsafe(counts.size * 10);
  let at = 0;
  const push = (value: number) => {
    let rest = value;
    while (rest >= 0x80) {
      blob[at] = (rest & 0x7f) | 0x80;
      at += 1;
      rest = Math.floor(rest / 0x80);
    }
    blob[at] = rest;
    at += 1;
  };
  let previous = 0;
  for (const bucket of [...counts.keys()].sort((a, b) => a - b)) {
    const count = counts.get(bucket) as number;
    if (count === 0) continue;
    push(bucket - previous);
    push(count);
    previous = bucket;
  }
  return Buffer.from(blob.subarray(0, at));
}

/** Adds a histogram blob's counts into `into` (a full bucket array or a sparse map). */
export function addHistogram(blob: Uint8Array, into: Uint32Array | Map<number, number>): void {
  let at = 0;
  let bucket = 0;
  const next = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = blob[at] as number;
      at += 1;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  };
  while (at < blob.length) {
    bucket += next();
    const count = next();
    if (into instanceof Map) into.set(bucket, (into.get(bucket) ?? 0) + count);
    else into[bucket] = (into[bucket] as number) + count;
  }
}

/**
 * The latency a histogram gives for a rank: the middle of the bucket that
 * holds it, within the label's own extremes. Buckets below 128 µs are one
 * value wide (exact); above, the estimate is within 1/128 of the true value.
 */
export function estimateAt(bucket: number, minUs: number, maxUs: number): number {
  if (bucket >= LATENCY_BUCKETS) return maxUs;
  const start = bucketStartUs(bucket);
  const end = bucketStartUs(bucket + 1);
  const middle = end - start <= 1 ? start : Math.floor((start + end - 1) / 2);
  return Math.min(maxUs, Math.max(minUs, middle));
}

export interface RollupSpan {
  /** The span of request ids the rollups count. */
  min_id: number | null;
  max_id: number | null;
  /** Blocks before this are in the six-hour table too (0: none yet). */
  blocks_through_ms: number;
  /** Requests the rollups count, all proxies together (null when not recorded). */
  request_count: number | null;
  /** The histograms' format (ROLLUP_FORMAT when current). */
  format: number | null;
}

/** What the rollups reflect, as the daemon recorded it; null when there are none. */
export function rollupSpan(db: Db): RollupSpan | null {
  const tables = db
    .prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?)")
    .pluck()
    .get(ROLLUP_TABLE, BLOCK_ROLLUP_TABLE, ROLLUP_STATE_TABLE);
  if (tables !== 3) return null;
  const rows = db.prepare(`SELECT name, value FROM ${ROLLUP_STATE_TABLE}`).all() as {
    name: string;
    value: number | null;
  }[];
  const span = new Map(rows.map((r) => [r.name, r.value]));
  if (!span.has('min_id') || !span.has('max_id')) return null;
  return {
    min_id: span.get('min_id') ?? null,
    max_id: span.get('max_id') ?? null,
    blocks_through_ms: span.get('blocks_through_ms') ?? 0,
    request_count: span.get('request_count') ?? null,
    format: span.get('format') ?? null,
  };
}

/**
 * Whether the rollups count exactly the rows up to their recorded highest
 * id, which readers add the rows after to: they exist, the requests' lowest
 * id is the one they were kept for and the highest is not below theirs.
 * Rows deleted by other software (mcpr's vacuum, oldest first) change the
 * lowest; rows it adds are read as the writer's newest are.
 */
export function rollupsUsable(db: Db): boolean {
  return usableSpan(db) !== null;
}

/** The rollups' span when they count exactly the rows there are (see rollupsUsable), else null. */
export function usableSpan(db: Db): RollupSpan | null {
  const span = rollupSpan(db);
  if (span === null || span.format !== ROLLUP_FORMAT) return null;
  // Two statements: a lone MIN or MAX of the rowid is one seek; together they scan.
  const minId = db.prepare('SELECT MIN(id) FROM requests').pluck().get() as number | null;
  const maxId = db.prepare('SELECT MAX(id) FROM requests').pluck().get() as number | null;
  // Rows after the recorded highest id are the writer's last second, not yet
  // written into the rollups: readers count them from the rows.
  const covered = span.max_id === null || (maxId !== null && span.max_id <= maxId);
  return minId === span.min_id && covered ? span : null;
}
