// Traffic over time: one row per bucket of the window, oldest first, empty
// buckets included with zeros so a chart has no gaps. Percentiles follow
// mcpr's rule within each bucket. The window's rows are read once through
// the ts index and bucketed here; PostgreSQL buckets them itself, with its
// ordered-set aggregates for the percentiles.

import type { Db } from './connection.js';
import { LabelTotals } from './label-tally.js';
import { BASE_TIER, CALL_ROLLUPS, rollupsUsable, TOOL_ROLLUPS } from './rollup.js';
import {
  addCounted,
  EXACT_WINDOW_MAX_MS,
  estimatePercentile,
  visitWindow,
} from './rollup-window.js';
import { type Source, type Store, storeOf } from './store.js';
import { pgPercentileFractions } from './tool-stats.js';
import { Where } from './where.js';

export interface SeriesRow {
  /** Unix ms at which the bucket starts; buckets align to multiples of their size. */
  bucket_start: number;
  calls: number;
  /** Status `error`. */
  errors: number;
  /** Status `timeout`. */
  timeouts: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
  /** Ours: the percentiles were estimated from the rollups (within 1/128); false when exact. */
  p95_us_estimated: boolean;
}

export interface SeriesFilter {
  proxy?: string;
  tool?: string;
  sinceMs: number;
  bucketMs: number;
  /** Only requests that failed with this JSON-RPC error code. */
  errorCode?: string;
  /** Read every row even of a wide window. */
  exact?: boolean;
}

/** mcpr's nearest rank: sort, take index ceil(p/100*n)-1; 0 when empty. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] as number;
}

function seriesWhere(filter: SeriesFilter, nowMs: number): Where {
  return new Where()
    .add('ts >= @since AND ts <= @now', { since: filter.sinceMs, now: nowMs })
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }))
    .when(filter.tool, 'tool = @tool', (tool) => ({ tool }))
    .when(filter.errorCode, 'error_code = @error_code', (error_code) => ({ error_code }));
}

export function querySeries(source: Source, filter: SeriesFilter, nowMs: number): SeriesRow[] {
  const store = storeOf(source);
  const db = store.sqlite;
  if (db === null) return seriesInPostgres(store, filter, nowMs);
  const wide =
    nowMs - filter.sinceMs > EXACT_WINDOW_MAX_MS && filter.bucketMs % BASE_TIER.unit_ms === 0;
  if (!filter.exact && wide && rollupsUsable(db)) return seriesFromRollups(db, filter, nowMs);
  const bucketMs = filter.bucketMs;
  const first = Math.floor(filter.sinceMs / bucketMs) * bucketMs;
  const last = Math.floor(nowMs / bucketMs) * bucketMs;
  const count = Math.max(0, Math.floor((last - first) / bucketMs) + 1);
  const latencies: number[][] = Array.from({ length: count }, () => []);
  const errors = new Array<number>(count).fill(0);
  const timeouts = new Array<number>(count).fill(0);
  const where = seriesWhere(filter, nowMs);
  const rows = db
    .prepare(`SELECT ts, latency_us, status FROM requests ${where.sql}`)
    .raw()
    .iterate(where.params) as IterableIterator<[number, number, string]>;
  for (const [ts, latencyUs, status] of rows) {
    const at = Math.floor((ts - first) / bucketMs);
    if (at < 0 || at >= count) continue;
    (latencies[at] as number[]).push(latencyUs);
    if (status === 'error') errors[at] = (errors[at] as number) + 1;
    else if (status === 'timeout') timeouts[at] = (timeouts[at] as number) + 1;
  }
  return latencies.map((values, i) => {
    values.sort((a, b) => a - b);
    return {
      bucket_start: first + i * bucketMs,
      calls: values.length,
      errors: errors[i] as number,
      timeouts: timeouts[i] as number,
      p50_us: percentile(values, 50),
      p95_us: percentile(values, 95),
      p99_us: percentile(values, 99),
      p95_us_estimated: false,
    };
  });
}

/** The same rows, bucketed and ranked by PostgreSQL; empty buckets filled in here. */
function seriesInPostgres(store: Store, filter: SeriesFilter, nowMs: number): SeriesRow[] {
  const bucketMs = filter.bucketMs;
  const first = Math.floor(filter.sinceMs / bucketMs) * bucketMs;
  const last = Math.floor(nowMs / bucketMs) * bucketMs;
  const count = Math.max(0, Math.floor((last - first) / bucketMs) + 1);
  const where = seriesWhere(filter, nowMs);
  const found = store.all<{
    at: number;
    calls: number;
    errors: number;
    timeouts: number;
    percentiles: string[];
  }>(
    `SELECT (ts - @first) / @bucket_ms AS at, COUNT(*) AS calls,
            SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors,
            SUM(CASE WHEN status = 'timeout' THEN 1 ELSE 0 END) AS timeouts,
            percentile_disc(${pgPercentileFractions([50, 95, 99])}) WITHIN GROUP (ORDER BY latency_us)
              AS percentiles
     FROM requests ${where.sql}
     GROUP BY at`,
    { ...where.params, first, bucket_ms: bucketMs },
  );
  const byBucket = new Map(found.map((row) => [row.at, row]));
  return Array.from({ length: count }, (_, i) => {
    const row = byBucket.get(i);
    const [p50, p95, p99] = (row?.percentiles ?? [0, 0, 0]).map(Number);
    return {
      bucket_start: first + i * bucketMs,
      calls: row?.calls ?? 0,
      errors: row?.errors ?? 0,
      timeouts: row?.timeouts ?? 0,
      p50_us: p50 as number,
      p95_us: p95 as number,
      p99_us: p99 as number,
      p95_us_estimated: false,
    };
  });
}

/**
 * The same rows from the rollups, for buckets of whole half-hours: whole
 * units from the rollups, the part half-hours at each end from the rows (up
 * to now, as above), percentiles from each bucket's merged histogram.
 */
function seriesFromRollups(db: Db, filter: SeriesFilter, nowMs: number): SeriesRow[] {
  const bucketMs = filter.bucketMs;
  const first = Math.floor(filter.sinceMs / bucketMs) * bucketMs;
  const last = Math.floor(nowMs / bucketMs) * bucketMs;
  const count = Math.max(0, Math.floor((last - first) / bucketMs) + 1);
  const totals = Array.from({ length: count }, (_, i) => new LabelTotals(String(i)));
  const errors = new Array<number>(count).fill(0);
  const timeouts = new Array<number>(count).fill(0);
  const range = {
    fromMs: filter.sinceMs,
    toMs: nowMs + 1,
    proxy: filter.proxy,
    tool: filter.tool,
    errorCode: filter.errorCode,
    // A rollup row's calls belong to one bucket only when buckets are whole units of its tier.
    bucketMs,
    // Fewer rows, each every status's; only a filter on the error code needs them apart.
    family: filter.errorCode === undefined ? TOOL_ROLLUPS : CALL_ROLLUPS,
  };
  db.transaction(() =>
    visitWindow(db, range, (row) => {
      // A rollup's last call is in its unit, and so in its bucket.
      const at = Math.floor((row.last_ts - first) / bucketMs);
      const bucket = totals[at];
      if (!bucket) return;
      addCounted(bucket, row);
      errors[at] = (errors[at] as number) + row.errors;
      timeouts[at] = (timeouts[at] as number) + row.timeouts;
    }),
  )();
  return totals.map((bucket, i) => {
    const estimate = (p: number) => (bucket.calls === 0 ? 0 : estimatePercentile(bucket, p));
    return {
      bucket_start: first + i * bucketMs,
      calls: bucket.calls,
      errors: errors[i] as number,
      timeouts: timeouts[i] as number,
      p50_us: estimate(50),
      p95_us: estimate(95),
      p99_us: estimate(99),
      p95_us_estimated: true,
    };
  });
}
