// A window's requests read from the rollups: each stretch of it from the
// coarsest tier whose whole units fit there (a month's middle from daily
// rows, its ends from six-hour, hourly and half-hour rows), the part
// half-hours at its edges, and the half-hour of the oldest request, from
// the rows themselves (through the ts index), summed by SQLite.
// Calls, errors, sums, extremes, bytes, error codes and last calls come out
// exact; percentiles come from the merged histograms (rollup.ts's
// estimateAt), which callers say so of.

import type { Db } from './connection.js';
import type { LabelTotals } from './label-tally.js';
import {
  addHistogram,
  BASE_TIER,
  CALL_ROLLUPS,
  estimateAt,
  HOUR_MS,
  type RollupCounts,
  type RollupFamily,
  type RollupTier,
  rolledFromMs,
  rollupSpan,
} from './rollup.js';
import { keptRequests, sumKept } from './settled-requests.js';
import { settledRows } from './settled-rollups.js';
import type { ToolStatsRow } from './tool-stats.js';

/** Windows longer than this are answered from the rollups (when usable); shorter ones exactly. */
export const EXACT_WINDOW_MAX_MS = 6 * HOUR_MS;
/**
 * Windows holding more requests than this are answered from the rollups
 * too, however short, when that reads fewer rows: read row by row, a busy
 * proxy's last hour would take the command seconds.
 */
export const EXACT_ROWS_MAX = 50_000;
/**
 * What a request read at a window's edge costs, in requests read by the
 * exact path: an edge reads each row whole, the exact path mostly what its
 * indexes hold (measured; docs/performance.md).
 */
const EDGE_ROW_COST = 2;

/**
 * Whether the window from `sinceMs` on is answered from the rollups (when
 * usable): past EXACT_WINDOW_MAX_MS, or when it holds over EXACT_ROWS_MAX
 * requests (of one proxy, when given) and the part half-hour it starts in,
 * which the rollups read row by row, holds few enough of them. Requests
 * are counted through the ts index, which reads no row.
 */
export function wideWindow(
  db: Db,
  window: { sinceMs: number; nowMs: number; proxy?: string | undefined },
): boolean {
  if (window.nowMs - window.sinceMs > EXACT_WINDOW_MAX_MS) return true;
  const forProxy = window.proxy === undefined ? '' : 'AND proxy = @proxy';
  const count = db
    .prepare(
      `SELECT COUNT(*) FROM (SELECT 1 FROM requests
         WHERE ts >= @from AND ts < @to ${forProxy} LIMIT @limit)`,
    )
    .pluck();
  const rows = (from: number, to: number, limit: number) =>
    count.get({ from, to, proxy: window.proxy, limit }) as number;
  const inWindow = rows(window.sinceMs, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (inWindow <= EXACT_ROWS_MAX) return false;
  return (
    rows(window.sinceMs, firstRolledUnit(db, window.sinceMs), inWindow) * EDGE_ROW_COST < inWindow
  );
}

/**
 * Where a window from `fromMs` starts reading the rollups: its first whole
 * half-hour, and not before the oldest request's half-hour is over
 * (rolledFromMs). What comes before is read from the rows.
 */
function firstRolledUnit(db: Db, fromMs: number): number {
  const baseMs = BASE_TIER.unit_ms;
  return Math.max(Math.ceil(fromMs / baseMs) * baseMs, rolledFromMs(db));
}

/** One rollup row or one request (its last_ts its time), as the window tallies it. */
type Counted = RollupCounts & {
  /** The rollup's histogram blob; null for requests read from the rows, or counts only. */
  histogram: Uint8Array | null;
  /**
   * Requests read from the rows, summed by their whole key (status and
   * error code their own, in any family; and by bucket, for a bucketMs).
   */
  request: boolean;
  /**
   * Those requests' latencies, comma-separated (or listed, when summed from
   * kept rows: settled-requests.ts); null for rollup rows, or counts only.
   */
  latencies: string | number[] | null;
};

const COUNTED_COLUMNS = `proxy, method, tool, status, error_code, calls, failed, errors, timeouts,
  latency_sum, latency_min, latency_max, bytes_in, bytes_out, last_ts, histogram`;

/**
 * The rollup rows of the whole half-hours in [fromMs, toMs), each from the
 * coarsest tier that has it whole (only tiers whose unit divides `bucketMs`,
 * when given), and the requests of the part half-hours around them, summed
 * by key (and bucket), each passed to `visit`. `toMs` null: no end (every later unit, as `ts >= since`
 * reads). The row passed is reused: copy what you keep.
 */
export function visitWindow(
  db: Db,
  range: {
    fromMs: number;
    toMs: number | null;
    proxy?: string;
    tool?: string;
    errorCode?: string;
    /** Each row must fall in one bucket of this size: tiers with longer units are not read. */
    bucketMs?: number;
    /**
     * The rollups read (default CALL_ROLLUPS). Of a family that does not keep
     * them, status and error code are '' in its rows (not in the rows of the
     * part half-hours): read failed, errors and timeouts instead.
     */
    family?: RollupFamily;
    /**
     * The caller needs neither each row's time nor percentiles: rows of one
     * key may come summed, without histograms (null). 'by error code': only
     * failed calls with an error code (of the call family: the tool family
     * has none), summed per code, the rest of their key '' (far fewer rows).
     */
    countsOnly?: boolean | 'by error code';
    /**
     * Only the rollups' rows: the caller has the window's requests (its
     * part half-hours, the newest rows) from another visit of the window.
     */
    rollupsOnly?: boolean;
  },
  visit: (counted: Counted) => void,
): void {
  const span = rollupSpan(db);
  const family = range.family ?? CALL_ROLLUPS;
  const base = family.tiers[0] as RollupTier;
  const baseMs = BASE_TIER.unit_ms;
  const firstUnit = firstRolledUnit(db, range.fromMs);
  const endUnit = range.toMs === null ? null : Math.floor(range.toMs / baseMs) * baseMs;
  const filters = [
    range.proxy === undefined ? '' : 'AND proxy = @proxy',
    range.tool === undefined ? '' : 'AND tool = @tool',
    range.errorCode === undefined ? '' : 'AND error_code = @error_code',
  ].join(' ');
  const byErrorCode = range.countsOnly === 'by error code';
  const rolledFilters = `${filters} ${byErrorCode ? "AND failed > 0 AND error_code <> ''" : ''}`;
  const requestFilters = `${filters} ${byErrorCode ? "AND status <> 'ok' AND error_code <> ''" : ''}`;
  const params = { proxy: range.proxy, tool: range.tool, error_code: range.errorCode };
  const row = {} as Counted;
  const pass = (values: unknown[]) => {
    row.proxy = values[0] as string;
    row.method = values[1] as string;
    row.tool = values[2] as string;
    row.status = values[3] as string;
    row.error_code = values[4] as string;
    row.calls = values[5] as number;
    row.failed = values[6] as number;
    row.errors = values[7] as number;
    row.timeouts = values[8] as number;
    row.latency_sum = values[9] as number;
    row.latency_min = values[10] as number;
    row.latency_max = values[11] as number;
    row.bytes_in = values[12] as number;
    row.bytes_out = values[13] as number;
    row.last_ts = values[14] as number;
    row.histogram = values[15] as Uint8Array | null;
    row.request = values[16] === 1;
    row.latencies = values[17] as string | number[] | null;
    visit(row);
  };
  // The rows at a window's edges, summed by SQLite as the rollups are:
  // taking each row into JavaScript would cost far more than summing it
  // there. Their histograms are made here from the latencies, which SQLite
  // lists per key (numbers in a string cross over at a fraction of a row's
  // cost). A series groups them by its buckets too (aligned to the epoch).
  const bucketMs = range.bucketMs;
  if (bucketMs !== undefined && !Number.isSafeInteger(bucketMs)) {
    throw new RangeError(`bucketMs must be an integer, got ${bucketMs}`);
  }
  const REQUESTS_AS_COUNTED = `proxy, method, COALESCE(tool, ''), status, COALESCE(error_code, ''),
    COUNT(*), SUM(status <> 'ok'), SUM(status = 'error'), SUM(status = 'timeout'),
    SUM(latency_us), MIN(latency_us), MAX(latency_us), SUM(COALESCE(bytes_in, 0)),
    SUM(COALESCE(bytes_out, 0)), MAX(ts), NULL, 1,
    ${range.countsOnly ? 'NULL' : 'group_concat(latency_us)'}`;
  const REQUEST_GROUPS = `GROUP BY 1, 2, 3, 4, 5${bucketMs === undefined ? '' : `, ts / ${bucketMs}`}`;
  const each = (sql: string, bound: Record<string, unknown>) => {
    for (const values of db
      .prepare(sql)
      .raw()
      .iterate({ ...params, ...bound })) {
      pass(values as unknown[]);
    }
  };
  const raw = (from: number, to: number) => {
    if (to <= from || range.rollupsOnly) return;
    const kept = settledHalfHour(from, to);
    if (kept !== null) {
      sumKept(
        kept,
        { fromMs: from, toMs: to, bucketMs, countsOnly: Boolean(range.countsOnly) },
        {
          proxy: range.proxy,
          tool: range.tool,
          errorCode: range.errorCode,
          failedWithCode: byErrorCode,
        },
        pass,
      );
      return;
    }
    each(
      `SELECT ${REQUESTS_AS_COUNTED}
       FROM requests INDEXED BY idx_requests_ts WHERE ts >= @from AND ts < @to ${requestFilters}
       ${REQUEST_GROUPS}`,
      { from, to },
    );
  };
  // The rows of [from, to), kept by a long-lived reader, when they lie in one
  // half-hour that is settled: the hourly tier is made only once the
  // half-hours in it are over and their grace for late events has passed.
  const settledHalfHour = (from: number, to: number) => {
    const unit = Math.floor(from / baseMs) * baseMs;
    if (to > unit + baseMs || unit + baseMs > (span?.through_ms[1] ?? 0)) return null;
    return keptRequests(db, unit, unit + baseMs);
  };
  // The writer's newest rows, not yet in the rollups, inside the whole units.
  const unwritten = (from: number, to: number | null) => {
    if (range.rollupsOnly) return;
    each(
      `SELECT ${REQUESTS_AS_COUNTED} FROM requests NOT INDEXED
       WHERE id > @after AND ts >= @from ${to === null ? '' : 'AND ts < @to'} ${requestFilters}
       ${REQUEST_GROUPS}`,
      { after: span?.max_id ?? 0, from, to },
    );
  };
  // `live`: the half-hour the writer is filling; other closed ranges are
  // settled, and a long-lived reader keeps their rows (settled-rollups.ts).
  const rolled = (table: string, from: number, to: number | null, live = false) => {
    if (to !== null && to <= from) return;
    const where = `WHERE start_ms >= @from ${to === null ? '' : 'AND start_ms < @to'} ${rolledFilters}`;
    // Callers of counts only get one row a key: SQLite sums the window's
    // rows, and far fewer cross into JavaScript (each costs more there than
    // SQLite takes to sum it). Histograms cannot be summed so cheaply: a
    // JavaScript aggregate costs what the rows do.
    const [keyColumns, group] = byErrorCode
      ? ["'', '', '', '', error_code", 'error_code']
      : ['proxy, method, tool, status, error_code', 'proxy, method, tool, status, error_code'];
    const sql = range.countsOnly
      ? `SELECT ${keyColumns}, SUM(calls), SUM(failed), SUM(errors), SUM(timeouts),
                SUM(latency_sum), MIN(latency_min), MAX(latency_max), SUM(bytes_in),
                SUM(bytes_out), MAX(last_ts), NULL, 0, NULL
         FROM ${table} ${where} GROUP BY ${group}`
      : `SELECT ${COUNTED_COLUMNS}, 0, NULL FROM ${table} ${where}`;
    if (to === null || live) {
      each(sql, { from, to });
      return;
    }
    const bound = { ...params, from, to };
    for (const values of settledRows(db, { table, fromMs: from, toMs: to }, sql, bound)) {
      pass(values);
    }
  };
  // The tiers this window may read, finest first, and how far each is made.
  const tiers = family.tiers
    .map((tier, i) => ({
      tier,
      throughMs: span?.through_ms[i] ?? 0,
    }))
    .filter(({ tier }) => range.bucketMs === undefined || range.bucketMs % tier.unit_ms === 0);
  // [from, to) in whole base units: the middle from tier `at`, where it has
  // whole units, the ends from the finer tiers.
  const cover = (at: number, from: number, to: number | null): void => {
    const { tier, throughMs } = tiers[at] as (typeof tiers)[number];
    if (at === 0) {
      rolled(tier.table, from, to);
      return;
    }
    const unit = tier.unit_ms;
    const first = Math.ceil(from / unit) * unit;
    const end = Math.floor(Math.min(throughMs, to ?? throughMs) / unit) * unit;
    if (end <= first) {
      cover(at - 1, from, to);
      return;
    }
    cover(at - 1, from, first);
    rolled(tier.table, first, end);
    cover(at - 1, end, to);
  };
  if (endUnit !== null && endUnit <= firstUnit) {
    // No whole unit inside: every row of the window is read.
    raw(range.fromMs, range.toMs as number);
    return;
  }
  raw(range.fromMs, firstUnit);
  if (endUnit !== null && endInBaseTier(db, base, endUnit, range.toMs as number)) {
    // The live half-hour a window ends in ("now"), from its base rows and
    // the newest rows: what a busy proxy wrote in it is not read again at
    // every question.
    cover(tiers.length - 1, firstUnit, endUnit);
    rolled(base.table, endUnit, endUnit + baseMs, true);
    unwritten(firstUnit, range.toMs);
    return;
  }
  cover(tiers.length - 1, firstUnit, endUnit);
  unwritten(firstUnit, endUnit);
  if (endUnit !== null) raw(endUnit, range.toMs as number);
}

/**
 * Whether the window's last, part half-hour [endUnit, toMs) is whole in
 * its base rows: every call they hold is before toMs (a window that ends
 * now, with no request stamped later by a clock ahead of this one). The
 * rows after the rollups' highest id are then all the window lacks.
 */
function endInBaseTier(db: Db, base: RollupTier, endUnit: number, toMs: number): boolean {
  const lastTs = db
    .prepare(`SELECT MAX(last_ts) FROM ${base.table} WHERE start_ms = @start`)
    .pluck()
    .get({ start: endUnit }) as number | null;
  return lastTs === null || lastTs < toMs;
}

/** One proxy's calls of one tool in a window, as visited rows count them. */
export interface ToolCalls {
  proxy: string;
  tool: string;
  calls: number;
  /** Status `error`. */
  errors: number;
  last_called_at: number;
}

/**
 * A proxy and tool as one map key, whatever characters they hold (the
 * proxy's length first). Built once a visited row, so it is a plain
 * concatenation rather than JSON.
 */
export function toolKey(proxy: string, tool: string): string {
  return `${proxy.length}:${proxy}${tool}`;
}

/** The proxy and tool a toolKey was made of. */
export function splitToolKey(key: string): [proxy: string, tool: string] {
  const colon = key.indexOf(':');
  const end = colon + 1 + Number(key.slice(0, colon));
  return [key.slice(colon + 1, end), key.slice(end)];
}

/** Adds a visited row's calls to its proxy and tool (keyed by toolKey); rows without a tool count nowhere. */
export function addToolCalls(tally: Map<string, ToolCalls>, row: Counted): void {
  if (row.tool === '') return;
  const key = toolKey(row.proxy, row.tool);
  const counted = tally.get(key);
  if (counted === undefined) {
    tally.set(key, {
      proxy: row.proxy,
      tool: row.tool,
      calls: row.calls,
      errors: row.errors,
      last_called_at: row.last_ts,
    });
    return;
  }
  counted.calls += row.calls;
  counted.errors += row.errors;
  counted.last_called_at = Math.max(counted.last_called_at, row.last_ts);
}

/** Adds one visited row into a label's totals. */
export function addCounted(totals: LabelTotals, row: Counted): void {
  totals.calls += row.calls;
  totals.errors += row.failed;
  if (row.latency_min < totals.minUs) totals.minUs = row.latency_min;
  if (row.latency_max > totals.maxUs) totals.maxUs = row.latency_max;
  totals.latencySum.add(row.latency_sum);
  totals.bytesInSum.add(row.bytes_in);
  totals.bytesOutSum.add(row.bytes_out);
  if (row.histogram !== null) addHistogram(row.histogram, totals.histogram);
  else if (typeof row.latencies === 'string') totals.addLatencies(row.latencies);
  else if (row.latencies !== null)
    for (const latencyUs of row.latencies) totals.addLatency(latencyUs);
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
