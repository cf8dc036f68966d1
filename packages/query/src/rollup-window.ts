// A window's requests read from the hourly rollups: the whole hours inside
// it from mcpr_store_rollup_hourly, the part hours at its edges from the
// rows themselves (through the ts index). Calls, errors, sums, extremes,
// bytes, error codes and last calls come out exact; percentiles come from
// the merged histograms (rollup.ts's estimateAt), which callers say so of.

import type { Db } from './connection.js';
import type { LabelTotals } from './label-tally.js';
import { addHistogram, estimateAt, HOUR_MS, ROLLUP_TABLE } from './rollup.js';
import type { ToolStatsRow } from './tool-stats.js';

/** Windows longer than this are answered from the rollups (when usable); shorter ones exactly. */
export const EXACT_WINDOW_MAX_MS = 6 * HOUR_MS;

/** One rollup row or one request, as the window tallies it. */
interface Counted {
  proxy: string;
  method: string;
  tool: string;
  status: string;
  error_code: string;
  calls: number;
  latency_sum: number;
  latency_min: number;
  latency_max: number;
  bytes_in: number;
  bytes_out: number;
  /** The request's time, or the rollup's last call (within its hour). */
  last_ts: number;
  /** The rollup's histogram blob; null for a single request (its latency is latency_min). */
  histogram: Uint8Array | null;
}

/**
 * The rollup rows of the whole hours in [fromMs, toMs) and the requests of
 * the part hours around them, each passed to `visit`. `toMs` null: no end
 * (every later hour, as `ts >= since` reads).
 */
export function visitWindow(
  db: Db,
  range: { fromMs: number; toMs: number | null; proxy?: string; tool?: string },
  visit: (counted: Counted) => void,
): void {
  const firstHour = Math.ceil(range.fromMs / HOUR_MS) * HOUR_MS;
  const endHour = range.toMs === null ? null : Math.floor(range.toMs / HOUR_MS) * HOUR_MS;
  const forProxy = `${range.proxy === undefined ? '' : 'AND proxy = @proxy'} ${range.tool === undefined ? '' : 'AND tool = @tool'}`;
  const rawRows = db.prepare(
    `SELECT proxy, method, COALESCE(tool, '') AS tool, status, COALESCE(error_code, '') AS error_code,
            1 AS calls, latency_us AS latency_sum, latency_us AS latency_min, latency_us AS latency_max,
            COALESCE(bytes_in, 0) AS bytes_in, COALESCE(bytes_out, 0) AS bytes_out, ts AS last_ts,
            NULL AS histogram
     FROM requests INDEXED BY idx_requests_ts WHERE ts >= @from AND ts < @to ${forProxy}`,
  );
  const edge = (from: number, to: number) => {
    if (to <= from) return;
    for (const row of rawRows.iterate({ from, to, proxy: range.proxy, tool: range.tool })) {
      visit(row as Counted);
    }
  };
  if (endHour !== null && endHour <= firstHour) {
    // No whole hour inside: every row of the window is read.
    edge(range.fromMs, range.toMs as number);
    return;
  }
  edge(range.fromMs, firstHour);
  const hours = db.prepare(
    `SELECT proxy, method, tool, status, error_code, calls, latency_sum, latency_min, latency_max,
            bytes_in, bytes_out, last_ts, histogram
     FROM ${ROLLUP_TABLE} WHERE hour_ms >= @first ${endHour === null ? '' : 'AND hour_ms < @end'} ${forProxy}`,
  );
  for (const row of hours.iterate({
    first: firstHour,
    end: endHour,
    proxy: range.proxy,
    tool: range.tool,
  })) {
    visit(row as Counted);
  }
  if (endHour !== null) edge(endHour, range.toMs as number);
}

/** Adds one visited row into a label's totals. */
export function addCounted(totals: LabelTotals, row: Counted): void {
  totals.calls += row.calls;
  if (row.status !== 'ok') totals.errors += row.calls;
  if (row.latency_min < totals.minUs) totals.minUs = row.latency_min;
  if (row.latency_max > totals.maxUs) totals.maxUs = row.latency_max;
  totals.latencySum.add(row.latency_sum);
  totals.bytesInSum.add(row.bytes_in);
  totals.bytesOutSum.add(row.bytes_out);
  if (row.histogram === null) totals.addLatency(row.latency_min);
  else addHistogram(row.histogram, totals.histogram);
}

/** The latency at mcpr's nearest rank for percentile `p`, estimated from the histogram. */
export function estimatePercentile(totals: LabelTotals, p: number): number {
  const rank = Math.max(1, Math.floor((p * totals.calls + 99) / 100));
  return estimateAt(totals.locate(rank).bucket, totals.minUs, totals.maxUs);
}

/** A label's row of the status table, its percentiles estimated. */
export function estimatedToolRow(totals: LabelTotals): ToolStatsRow {
  const sum = Number(totals.latencySum.value);
  return {
    label: totals.label,
    calls: totals.calls,
    // As SQLite computes AVG and the percentage: the same operations on doubles.
    avg_us: (sum * 1.0) / totals.calls,
    min_us: totals.minUs,
    max_us: totals.maxUs,
    errors: totals.errors,
    p50_us: estimatePercentile(totals, 50),
    p90_us: estimatePercentile(totals, 90),
    p95_us: estimatePercentile(totals, 95),
    p99_us: estimatePercentile(totals, 99),
    error_pct: (100.0 * totals.errors) / totals.calls,
    total_bytes_in: Number(totals.bytesInSum.value),
    total_bytes_out: Number(totals.bytesOutSum.value),
  };
}
