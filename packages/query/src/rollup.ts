// Rollups of the requests table in tiers of time: per unit (half an hour,
// an hour, six hours, a day), proxy, method, tool, status and error code,
// the calls, failures, exact sums and extremes, the last call and a
// histogram of latencies in the buckets of label-tally.ts (1/64 of a power
// of two wide). A second family of the same tables keys its rows by proxy,
// method and tool only (status and error code ''): a report of tools or of
// traffic over time reads several times fewer rows from it, and each row
// costs a reader more to take in (its histogram above all) than SQLite
// takes to find it.
// Wide windows are answered from them instead of from every row, each part
// of the window from the coarsest tier whose whole units fit in it. The
// tables are ours (mcpr_store_*), outside mcpr's schema and its migration
// steps; mcpr's tools never need them, and a store written by anything else
// is answered from the rows until the daemon rebuilds them. The daemon
// writes the finest tier about once a second (the daemon's rollups.ts), and
// each coarser one from the tier below once its unit is over; the state
// table records the span of request ids they count and how far each
// coarser tier is made, so a reader can tell whether they match the rows
// and counts the newer rows itself (see usableSpan and rollup-window.ts).

import type { Db } from './connection.js';
import { bucketStartUs, LATENCY_BUCKETS } from './label-tally.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** One tier of a family of rollups: a table of rows per unit of time and key. */
export interface RollupTier {
  /** The unit's name (30m, 1h, 6h, 1d): the same in every family. */
  name: string;
  table: string;
  /** The unit's length: a multiple of the finer tier's, and units start at midnight UTC. */
  unit_ms: number;
}

/** The tiers of one key, and what the key keeps apart. */
export interface RollupFamily {
  /** Finest first, with the units of ROLLUP_UNITS. */
  tiers: readonly RollupTier[];
  /** Rows are kept apart by status and error code; else both columns hold ''. */
  keepsStatus: boolean;
}

/**
 * The units of every family, finest first. Half an hour is the finest so
 * that a day's series (about 60 buckets: half an hour each) comes from
 * rollups; a month reads thirty daily rows per key instead of 1,440.
 */
const ROLLUP_UNITS: readonly [name: string, unitMs: number][] = [
  ['30m', 30 * MINUTE_MS],
  ['1h', HOUR_MS],
  ['6h', 6 * HOUR_MS],
  ['1d', DAY_MS],
];

function family(prefix: string, keepsStatus: boolean): RollupFamily {
  return {
    tiers: ROLLUP_UNITS.map(([name, unitMs]) => ({
      name,
      table: `mcpr_store_rollup_${prefix}${name}`,
      unit_ms: unitMs,
    })),
    keepsStatus,
  };
}

/** Keyed by proxy, method, tool, status and error code: mcpr_store_rollup_<unit>. */
export const CALL_ROLLUPS = family('', true);
/** Keyed by proxy, method and tool: mcpr_store_rollup_tool_<unit>. */
export const TOOL_ROLLUPS = family('tool_', false);
export const ROLLUP_FAMILIES: readonly RollupFamily[] = [CALL_ROLLUPS, TOOL_ROLLUPS];
/** The call family's tiers; every family's units are made as far (the state's through_ms_<unit>). */
export const ROLLUP_TIERS = CALL_ROLLUPS.tiers;
/** The tier the writer writes as rows arrive; the others are made from it. */
export const BASE_TIER = ROLLUP_TIERS[0] as RollupTier;
/** Every family's tables. */
export const ROLLUP_TABLES: readonly string[] = ROLLUP_FAMILIES.flatMap((f) =>
  f.tiers.map((t) => t.table),
);
export const ROLLUP_STATE_TABLE = 'mcpr_store_rollup_state';
/** Tables of earlier formats, dropped when the rollups are rebuilt in this one. */
export const RETIRED_ROLLUP_TABLES = ['mcpr_store_rollup_hourly'];

/** The columns of every tier's table after its time column, in this order. */
const ROLLUP_COLUMNS = `
  proxy       TEXT    NOT NULL,
  method      TEXT    NOT NULL,
  tool        TEXT    NOT NULL,  -- '' for requests without a tool
  status      TEXT    NOT NULL,  -- '' in the tool family
  error_code  TEXT    NOT NULL,  -- '' for none, and in the tool family
  calls       INTEGER NOT NULL,
  failed      INTEGER NOT NULL,  -- status other than ok
  errors      INTEGER NOT NULL,  -- status error
  timeouts    INTEGER NOT NULL,  -- status timeout
  latency_sum INTEGER NOT NULL,
  latency_min INTEGER NOT NULL,
  latency_max INTEGER NOT NULL,
  bytes_in    INTEGER NOT NULL,
  bytes_out   INTEGER NOT NULL,
  last_ts     INTEGER NOT NULL,
  histogram   BLOB    NOT NULL,  -- (bucket step, count) varint pairs: encodeHistogram`;
const ROLLUP_KEY = 'proxy, method, tool, status, error_code';
/** Every column of a rollup table, in order: for INSERT and SELECT lists. */
export const ROLLUP_COLUMN_NAMES = `start_ms, ${ROLLUP_KEY}, calls, failed, errors, timeouts,
  latency_sum, latency_min, latency_max, bytes_in, bytes_out, last_ts, histogram`;

export const ROLLUP_DDL = `${ROLLUP_FAMILIES.flatMap((f) => f.tiers)
  .map(
    (t) => `
CREATE TABLE IF NOT EXISTS ${t.table} (
  start_ms    INTEGER NOT NULL,  -- the unix ms the unit starts at${ROLLUP_COLUMNS}
  PRIMARY KEY (start_ms, ${ROLLUP_KEY})
) WITHOUT ROWID;`,
  )
  .join('')}
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
  /** Calls whose status is not ok. */
  failed: number;
  /** Status error. */
  errors: number;
  /** Status timeout. */
  timeouts: number;
  latency_sum: number;
  latency_min: number;
  latency_max: number;
  bytes_in: number;
  bytes_out: number;
  /** The last call counted. */
  last_ts: number;
}

/** The unit of `unitMs` a timestamp falls in, as the unix ms of its start. */
export function unitOf(ts: number, unitMs: number): number {
  return Math.floor(ts / unitMs) * unitMs;
}

/** The state's name for how far a coarser tier is made. */
export function throughName(t: RollupTier): string {
  return `through_ms_${t.name}`;
}

/**
 * The histogram blob's format, recorded in the state: rollups written in
 * another are rebuilt at open and not read until then.
 */
export const ROLLUP_FORMAT = 4;

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

/**
 * Adds a histogram blob's counts into `into` (a full bucket array or a
 * sparse map). A wide window decodes megabytes of these in a process that
 * has just started, so the varints are read inline, without a call each.
 */
export function addHistogram(blob: Uint8Array, into: Uint32Array | Map<number, number>): void {
  const dense = into instanceof Map ? null : into;
  const end = blob.length;
  let at = 0;
  let bucket = 0;
  while (at < end) {
    let byte = blob[at++] as number;
    let step = byte & 0x7f;
    for (let scale = 0x80; byte >= 0x80; scale *= 0x80) {
      byte = blob[at++] as number;
      step += (byte & 0x7f) * scale;
    }
    bucket += step;
    byte = blob[at++] as number;
    let count = byte & 0x7f;
    for (let scale = 0x80; byte >= 0x80; scale *= 0x80) {
      byte = blob[at++] as number;
      count += (byte & 0x7f) * scale;
    }
    if (dense !== null) dense[bucket] = (dense[bucket] as number) + count;
    else
      (into as Map<number, number>).set(
        bucket,
        ((into as Map<number, number>).get(bucket) ?? 0) + count,
      );
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
  /**
   * Per tier (ROLLUP_TIERS' order), the units before this are made in it
   * (0: none yet); the base tier's is unbounded.
   */
  through_ms: number[];
  /** Requests the rollups count, all proxies together (null when not recorded). */
  request_count: number | null;
  /** The histograms' format (ROLLUP_FORMAT when current). */
  format: number | null;
}

/**
 * Rollup units that start before this are never read: those of the half-
 * hour the oldest request falls in, and before. Deletes take the oldest
 * requests first (retention, store vacuum, mcpr's vacuum), so that
 * half-hour is often part deleted and its units, in every tier, count
 * requests that are gone; readers read its requests instead, and a delete
 * need not count it again (at a busy proxy's rate, half an hour of rows
 * at every step). 0 when there are no requests.
 */
export function rolledFromMs(db: Db): number {
  const oldest = db.prepare('SELECT MIN(ts) FROM requests').pluck().get() as number | null;
  return oldest === null ? 0 : unitOf(oldest, BASE_TIER.unit_ms) + BASE_TIER.unit_ms;
}

/** What the rollups reflect, as the daemon recorded it; null when there are none. */
export function rollupSpan(db: Db): RollupSpan | null {
  const tables = [...ROLLUP_TABLES, ROLLUP_STATE_TABLE];
  const found = db
    .prepare(
      `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN (${tables.map(() => '?').join(', ')})`,
    )
    .pluck()
    .get(...tables);
  if (found !== tables.length) return null;
  const rows = db.prepare(`SELECT name, value FROM ${ROLLUP_STATE_TABLE}`).all() as {
    name: string;
    value: number | null;
  }[];
  const span = new Map(rows.map((r) => [r.name, r.value]));
  if (!span.has('min_id') || !span.has('max_id')) return null;
  return {
    min_id: span.get('min_id') ?? null,
    max_id: span.get('max_id') ?? null,
    through_ms: ROLLUP_TIERS.map((t) =>
      t === BASE_TIER ? Number.POSITIVE_INFINITY : (span.get(throughName(t)) ?? 0),
    ),
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
