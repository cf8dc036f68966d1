// Per-label statistics of the requests in a window: calls, average,
// extremes, errors, sizes and exact p50, p95 and p99 by mcpr's rank rule
// (sort, take index ceil(p/100 * n) - 1, so p95 of 1..10 is 10). No
// statement sorts the whole window and no latency list is held in memory.
// SQLite can only group by sorting, and over a wide window grouping by
// label and numbering every label's latencies (ROW_NUMBER) costs seconds
// (docs/performance.md). Instead, inside the caller's read transaction:
//  1. one pass tallies each label without sorting (label-tally.ts): calls,
//     exact sums, extremes and a histogram of latencies in narrow buckets;
//  2. each wanted rank falls in one bucket, and a second statement numbers
//     only the rows of those buckets, returning the rows at those ranks;
//     rows outside the span of those buckets are skipped in SQL first.
// The output is identical to the plain SQL's. Values the daemon never writes (text or real latencies,
// from other software) go through plain SQL, which orders them its own way.
// PostgreSQL groups by hashing and has ordered-set aggregates: there, one
// statement does it all (toolStatsInPostgres).

import type { Db } from './connection.js';
import { bucketStartUs, LATENCY_BUCKETS, latencyBucket, tallyLabels } from './label-tally.js';
import { oneIf, percentOf, type Source, type Store, storeOf } from './store.js';
import { byUtf8 } from './text-order.js';
import type { Where } from './where.js';

/** One label's statistics: mcpr's keys (label .. total_bytes_out) and ours beside them. */
export interface ToolStatsRow {
  /** The tool name, or `<method>` for requests without a tool. */
  label: string;
  calls: number;
  /** The mean latency, unrounded (mcpr's AVG). */
  avg_us: number;
  min_us: number;
  max_us: number;
  /** Requests whose status is not `ok` (timeouts included). */
  errors: number;
  p50_us: number;
  p90_us: number;
  p95_us: number;
  p99_us: number;
  /** The share of requests whose status is not `ok`, in percent, unrounded. */
  error_pct: number;
  total_bytes_in: number;
  total_bytes_out: number;
}

/** The percentiles reported: p50_us, p90_us, p95_us and p99_us. */
const PERCENTILES = [50, 90, 95, 99];

/** Nearest-rank position (1-based) of percentile p among n values. */
function nearestRank(p: number, n: number): number {
  return Math.max(1, Math.floor((p * n + 99) / 100));
}

const LABEL = `COALESCE(tool, '<' || method || '>')`;

type ToolTotals = Omit<ToolStatsRow, 'label' | 'p50_us' | 'p90_us' | 'p95_us' | 'p99_us'> & {
  label: string;
  label_hex: string;
};

/**
 * Every label's statistics from a tally (one pass, no sort) and a second
 * pass that sorts only the rows in the latency buckets holding the wanted
 * ranks. Null when the tally cannot be used (see label-tally.ts).
 */
function toolStatsTallied(db: Db, where: Where): ToolStatsRow[] | null {
  const tallies = tallyLabels(
    db,
    `SELECT COUNT(mcpr_tally(${LABEL}, latency_us, status <> 'ok', bytes_in, bytes_out))
     FROM requests ${where.sql}`,
    where.params,
  );
  if (tallies === null) return null;
  if (tallies.length === 0) return [];
  // For each label and percentile: the bucket holding its rank, and the
  // rank within that bucket.
  const labels = tallies.map((totals) => ({
    totals,
    located: PERCENTILES.map((p) => totals.locate(nearestRank(p, totals.calls))),
  }));
  const ranks = labels.flatMap(({ totals, located }) =>
    located.map((at) => [totals.label, at.bucket, at.rankInBucket]),
  );
  const wantedBuckets = new Uint8Array(LATENCY_BUCKETS);
  for (const [, bucket] of ranks) wantedBuckets[bucket as number] = 1;
  const buckets = ranks.map(([, bucket]) => bucket as number);
  // Rows outside the span of the wanted buckets (below the lowest p50,
  // typically half the window) are passed over before any function call.
  const span = `latency_us >= @lowest_us AND latency_us < @beyond_us`;
  db.function('mcpr_wanted_bucket', { deterministic: true, directOnly: true }, (latencyUs) => {
    const bucket = latencyBucket(latencyUs as number);
    return wantedBuckets[bucket] === 1 ? bucket : null;
  });
  const wanted = `SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(@ranks)`;
  const found = db
    .prepare(
      `SELECT label, bucket, rn, latency_us
       FROM (SELECT label, bucket, latency_us,
                    ROW_NUMBER() OVER (PARTITION BY label, bucket ORDER BY latency_us) AS rn
             FROM (SELECT ${LABEL} AS label, mcpr_wanted_bucket(latency_us) AS bucket, latency_us
                   FROM requests ${where.sql ? `${where.sql} AND ${span}` : `WHERE ${span}`})
             WHERE bucket IS NOT NULL AND (label, bucket) IN (${wanted}))
       WHERE (label, bucket, rn) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
                                            json_extract(value, '$[2]')
                                     FROM json_each(@ranks))`,
    )
    .all({
      ...where.params,
      lowest_us: bucketStartUs(Math.min(...buckets)),
      beyond_us: bucketStartUs(Math.max(...buckets) + 1),
      ranks: JSON.stringify(ranks),
    }) as { label: string; bucket: number; rn: number; latency_us: number }[];
  const latencyAt = new Map(
    found.map((row) => [`${row.bucket}:${row.rn}:${row.label}`, row.latency_us]),
  );
  const percentiles = labels.map(({ totals, located }) =>
    located.map((at) => latencyAt.get(`${at.bucket}:${at.rankInBucket}:${totals.label}`)),
  );
  // Every rank was counted in the same snapshot, so each is found; should
  // one not be, the plain SQL answers rather than a report with holes.
  if (percentiles.some((found) => found.includes(undefined))) return null;
  // Averages and percentages computed by SQLite itself, as AVG and the
  // division compute them in the plain SQL (and in mcpr's), to the last bit.
  const rounded = db.prepare(
    `SELECT @sum * 1.0 / @calls AS avg_us, 100.0 * @errors / @calls AS error_pct`,
  );
  const rows = tallies.map((totals, i) => {
    const [p50, p90, p95, p99] = percentiles[i] ?? [];
    const { avg_us, error_pct } = rounded.get({
      sum: asSqlInteger(totals.latencySum.value),
      calls: totals.calls,
      errors: totals.errors,
    }) as { avg_us: number; error_pct: number };
    return {
      label: totals.label,
      calls: totals.calls,
      avg_us,
      min_us: totals.minUs,
      max_us: totals.maxUs,
      errors: totals.errors,
      p50_us: p50 as number,
      p90_us: p90 as number,
      p95_us: p95 as number,
      p99_us: p99 as number,
      error_pct,
      total_bytes_in: Number(totals.bytesInSum.value),
      total_bytes_out: Number(totals.bytesOutSum.value),
    };
  });
  return rows.sort((a, b) => b.calls - a.calls || byUtf8(a.label, b.label));
}

const INT64_MAX = 2n ** 63n - 1n;

/** A sum as SQLite would hold it: an integer, or a real past 64 bits. */
function asSqlInteger(sum: number | bigint): number | bigint {
  return typeof sum === 'bigint' && sum > INT64_MAX ? Number(sum) : sum;
}

/** Every label's statistics in SQL alone: for data outside the tally's fast path. */
function toolStatsInSql(db: Db, where: Where): ToolStatsRow[] {
  const totals = db
    .prepare(
      `SELECT ${LABEL} AS label,
              hex(${LABEL}) AS label_hex,
              COUNT(*) AS calls,
              AVG(latency_us) AS avg_us,
              MIN(latency_us) AS min_us,
              MAX(latency_us) AS max_us,
              SUM(status <> 'ok') AS errors,
              100.0 * SUM(status <> 'ok') / COUNT(*) AS error_pct,
              COALESCE(SUM(bytes_in), 0) AS total_bytes_in,
              COALESCE(SUM(bytes_out), 0) AS total_bytes_out
       FROM requests ${where.sql}
       GROUP BY label
       ORDER BY calls DESC, label`,
    )
    .all(where.params) as ToolTotals[];
  if (totals.length === 0) return [];
  // Labels are matched by their bytes in hex: text that is not valid UTF-8
  // (from other software) comes out of SQLite with replacement characters,
  // and would no longer match itself.
  const wanted = totals.flatMap((row) =>
    PERCENTILES.map((p) => [row.label_hex, nearestRank(p, row.calls)]),
  );
  const found = db
    .prepare(
      `SELECT label_hex, rn, latency_us
       FROM (SELECT hex(${LABEL}) AS label_hex, latency_us,
                    ROW_NUMBER() OVER (PARTITION BY ${LABEL} ORDER BY latency_us) AS rn
             FROM requests ${where.sql})
       WHERE (label_hex, rn) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]')
                                 FROM json_each(@ranks))`,
    )
    .all({ ...where.params, ranks: JSON.stringify(wanted) }) as {
    label_hex: string;
    rn: number;
    latency_us: number;
  }[];
  const latencyAt = new Map(found.map((row) => [`${row.rn}:${row.label_hex}`, row.latency_us]));
  return totals.map((row) =>
    statsRow(
      row,
      PERCENTILES.map(
        (p) => latencyAt.get(`${nearestRank(p, row.calls)}:${row.label_hex}`) as number,
      ),
    ),
  );
}

/** A label's row in the report's key order, from its totals and its PERCENTILES in order. */
function statsRow(
  totals: Omit<ToolStatsRow, 'p50_us' | 'p90_us' | 'p95_us' | 'p99_us'>,
  percentiles: number[],
): ToolStatsRow {
  const [p50, p90, p95, p99] = percentiles;
  return {
    label: totals.label,
    calls: totals.calls,
    avg_us: totals.avg_us,
    min_us: totals.min_us,
    max_us: totals.max_us,
    errors: totals.errors,
    p50_us: p50 as number,
    p90_us: p90 as number,
    p95_us: p95 as number,
    p99_us: p99 as number,
    error_pct: totals.error_pct,
    total_bytes_in: totals.total_bytes_in,
    total_bytes_out: totals.total_bytes_out,
  };
}

/**
 * The fractions that make PostgreSQL's percentile_disc pick mcpr's rank.
 * It takes row ceil(f * n) with f * n in doubles, which for some fractions
 * lands a row high where p * n / 100 is whole (0.07 * 100 is
 * 7.000000000000001). Lowered by 1e-12, a fraction lands on the exact rank
 * for any n below 10^9: p * n / 100 is whole or at least 0.01 above one.
 */
export function pgPercentileFractions(percentiles: readonly number[]): string {
  return `ARRAY[${percentiles.map((p) => `${p / 100} - 1e-12`).join(', ')}]::float8[]`;
}

/** Every label's statistics in one PostgreSQL statement. */
function toolStatsInPostgres(store: Store, where: Where): ToolStatsRow[] {
  const rows = store.all<ToolStatsRow & { percentiles: number[] }>(
    `SELECT ${LABEL} AS label,
            COUNT(*) AS calls,
            CAST(SUM(latency_us) AS DOUBLE PRECISION) / COUNT(*) AS avg_us,
            MIN(latency_us) AS min_us,
            MAX(latency_us) AS max_us,
            SUM(${oneIf("status <> 'ok'")}) AS errors,
            ${percentOf(`SUM(${oneIf("status <> 'ok'")})`, 'COUNT(*)')} AS error_pct,
            COALESCE(SUM(bytes_in), 0) AS total_bytes_in,
            COALESCE(SUM(bytes_out), 0) AS total_bytes_out,
            percentile_disc(${pgPercentileFractions(PERCENTILES)}) WITHIN GROUP (ORDER BY latency_us)
              AS percentiles
     FROM requests ${where.sql}
     GROUP BY label
     ORDER BY calls DESC, label`,
    where.params,
  );
  return rows.map(({ percentiles, ...row }) => statsRow(row, percentiles.map(Number)));
}

/** Every label's statistics in the window `where` selects, busiest first. */
export function toolStats(source: Source, where: Where): ToolStatsRow[] {
  const store = storeOf(source);
  if (store.sqlite === null) return toolStatsInPostgres(store, where);
  return toolStatsTallied(store.sqlite, where) ?? toolStatsInSql(store.sqlite, where);
}
