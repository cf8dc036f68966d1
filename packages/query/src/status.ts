// The `status` report: per-tool statistics (tool-stats.ts) over a window,
// with the totals and session counts around them, in mcpr's JSON (its keys
// first, in its order, with its meanings) and ours beside it. The tool
// statistics are read in one transaction, so their statements all see the
// same snapshot whatever the daemon commits meanwhile.

import type { RunningProxyInfo } from '@mcpr-store/protocol/fields';
import type { Db } from './connection.js';
import {
  type ErrorCodeRow,
  errorCodes,
  type UnknownToolRow,
  unknownTools,
  unknownToolsOf,
} from './insights.js';
import { LabelTotals } from './label-tally.js';
import { rollupsUsable, TOOL_ROLLUPS } from './rollup.js';
import {
  addCounted,
  addToolCalls,
  estimatedToolRow,
  estimatePercentile,
  type ToolCalls,
  visitWindow,
  wideWindow,
} from './rollup-window.js';
import { ACTIVE_WINDOW_MS } from './sessions.js';
import { type Source, type Store, storeOf } from './store.js';
import { byUtf8 } from './text-order.js';
import { type ToolStatsRow, toolStats } from './tool-stats.js';
import { Where } from './where.js';

export type { ToolStatsRow } from './tool-stats.js';

/** mcpr counts the sessions started in a window up to this many. */
export const STATUS_SESSIONS_CAP = 1000;

export interface StatusReport {
  /** The proxy asked about, or null for all. */
  proxy: string | null;
  /** The window as it was given (`1h`). */
  since: string;
  total_requests: number;
  /** The share of requests whose status is not `ok`, in percent, unrounded. */
  error_pct: number;
  /** Sessions not ended and seen in the last five minutes. */
  active_sessions: number;
  /** Sessions started in the window, counted up to STATUS_SESSIONS_CAP. */
  total_sessions: number;
  running_proxies: RunningProxyInfo[];
  tools: StatusToolRow[];
  /** JSON-RPC error codes in the window, most first. */
  error_codes: ErrorCodeRow[];
  /** Calls to tools absent from their proxy's latest captured tools/list. */
  unknown_tools: UnknownToolRow[];
  /** With `compare`: the previous window of the same length. */
  total_requests_prev?: number;
  error_pct_prev?: number;
  /** Ours, with `compare`: the previous window's p95 over all its requests (null when none). */
  p95_us_prev?: number | null;
  /** Ours, with `compare`: sessions started in the previous window (capped as total_sessions). */
  total_sessions_prev?: number;
  /** Ours: the window's start and length, and its rate. */
  since_ms: number;
  window_ms: number;
  calls_per_minute: number;
  /** Ours: requests whose status is not `ok`. */
  total_errors: number;
  /** Ours: sessions seen in the window, started in it or before. */
  sessions_seen: number;
  /** Ours: the p95 latency over all requests of the window, mcpr's rule (null when none). */
  p95_us: number | null;
  /**
   * Ours: true when every percentile of this answer (p50/p90/p95/p99, and
   * p95_us_prev) was estimated from the rollups' histograms, within
   * 1/128 of the exact value; false when they are exact (--exact, or a
   * window of 6 hours or less).
   */
  p95_us_estimated: boolean;
}

/** A tool's row; with `compare`, the previous window's figures beside it (null where it had no calls then). */
export type StatusToolRow = ToolStatsRow & {
  calls_prev?: number | null;
  error_pct_prev?: number | null;
  p95_us_prev?: number | null;
};

export interface StatusFilter {
  proxy?: string;
  sinceMs: number;
  /** The window as the caller named it, echoed as `since` (default: its length in ms, `3600000ms`). */
  since?: string;
  /** The proxies connected now, when the caller could ask the daemon. */
  runningProxies?: RunningProxyInfo[];
  /** Also report the previous window of the same length. */
  compare?: boolean;
  /** Read every row even of a wide window: exact percentiles, at the cost of the rows. */
  exact?: boolean;
}

export function queryStatus(source: Source, filter: StatusFilter, nowMs: number): StatusReport {
  const store = storeOf(source);
  const db = store.sqlite;
  const where = new Where()
    .add('ts >= @since', { since: filter.sinceMs })
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  // One snapshot: the ranks asked for in the second statement are those of
  // the counts in the first, whatever the daemon commits in between.
  const windowLengthMs = Math.max(1, nowMs - filter.sinceMs);
  const previous = new Where()
    .add('ts >= @prev_since AND ts < @since', {
      prev_since: filter.sinceMs - windowLengthMs,
      since: filter.sinceMs,
    })
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  const [current, before, estimated] = store.snapshot(() => {
    // Wide windows from the rollups (percentiles estimated), when they match the rows.
    if (
      db &&
      !filter.exact &&
      wideWindow(db, { sinceMs: filter.sinceMs, nowMs, proxy: filter.proxy }) &&
      rollupsUsable(db)
    ) {
      const prevRange = { fromMs: filter.sinceMs - windowLengthMs, toMs: filter.sinceMs };
      return [
        rolledUpStats(db, { fromMs: filter.sinceMs, toMs: null, proxy: filter.proxy }),
        filter.compare ? rolledUpStats(db, { ...prevRange, proxy: filter.proxy }) : null,
        true,
      ] as const;
    }
    const exactly = (w: Where): WindowStats => {
      const tools = toolStats(store, w);
      return {
        tools,
        p95_us: windowP95Us(store, w, callsOf(tools)),
        error_codes: errorCodes(store, w),
      };
    };
    return [exactly(where), filter.compare ? exactly(previous) : null, false] as const;
  });
  const p95Us = current.p95_us;
  const p95UsPrev = before?.p95_us ?? null;
  const tools: StatusToolRow[] = current.tools;
  const totalRequests = callsOf(tools);
  const errors = tools.reduce((sum, row) => sum + row.errors, 0);
  const byProxy = new Where().when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  const and = byProxy.sql ? `${byProxy.sql} AND` : 'WHERE';
  const count = (sql: string, params: Record<string, unknown>): number =>
    store.get<{ n: number }>(sql, params)?.n ?? 0;
  const started = count(
    `SELECT COUNT(*) AS n FROM (SELECT 1 FROM sessions ${and} started_at >= @since LIMIT @cap) AS capped`,
    { ...byProxy.params, since: filter.sinceMs, cap: STATUS_SESSIONS_CAP },
  );
  const seen = count(`SELECT COUNT(*) AS n FROM sessions ${and} last_seen_at >= @since`, {
    ...byProxy.params,
    since: filter.sinceMs,
  });
  const active = count(
    `SELECT COUNT(*) AS n FROM sessions ${and} ended_at IS NULL AND last_seen_at >= @active_since`,
    { ...byProxy.params, active_since: nowMs - ACTIVE_WINDOW_MS },
  );
  const windowMs = windowLengthMs;
  const comparison: Partial<StatusReport> = {};
  if (before) {
    const prevByLabel = new Map(before.tools.map((row) => [row.label, row]));
    for (const row of tools) {
      const prev = prevByLabel.get(row.label);
      row.calls_prev = prev?.calls ?? null;
      row.error_pct_prev = prev?.error_pct ?? null;
      row.p95_us_prev = prev?.p95_us ?? null;
    }
    const prevRequests = callsOf(before.tools);
    const prevErrors = before.tools.reduce((sum, row) => sum + row.errors, 0);
    comparison.total_requests_prev = prevRequests;
    comparison.error_pct_prev = prevRequests === 0 ? 0 : (100 * prevErrors) / prevRequests;
    comparison.p95_us_prev = p95UsPrev;
    comparison.total_sessions_prev = count(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM sessions ${and}
         started_at >= @prev_since AND started_at < @since LIMIT @cap) AS capped`,
      {
        ...byProxy.params,
        prev_since: filter.sinceMs - windowLengthMs,
        since: filter.sinceMs,
        cap: STATUS_SESSIONS_CAP,
      },
    );
  }
  return {
    proxy: filter.proxy ?? null,
    since: filter.since ?? `${nowMs - filter.sinceMs}ms`,
    total_requests: totalRequests,
    error_pct: totalRequests === 0 ? 0 : (100 * errors) / totalRequests,
    active_sessions: active,
    total_sessions: started,
    running_proxies: filter.runningProxies ?? [],
    tools,
    error_codes: current.error_codes,
    unknown_tools: current.tool_calls
      ? unknownToolsOf(store, current.tool_calls.values(), filter.proxy)
      : unknownTools(store, where, filter.proxy),
    ...comparison,
    since_ms: filter.sinceMs,
    window_ms: windowMs,
    calls_per_minute: Math.round((100 * totalRequests * 60_000) / windowMs) / 100,
    total_errors: errors,
    sessions_seen: seen,
    p95_us: p95Us,
    p95_us_estimated: estimated,
  };
}

/** What one window gives the report. */
interface WindowStats {
  tools: ToolStatsRow[];
  p95_us: number | null;
  error_codes: ErrorCodeRow[];
  /** Calls by proxy and tool, when the window was read from the rollups (unknown tools come from them). */
  tool_calls?: Map<string, ToolCalls>;
}

/** A window's tool table, overall p95 and error codes from the rollups. */
function rolledUpStats(
  db: Db,
  range: { fromMs: number; toMs: number | null; proxy?: string },
): WindowStats {
  const labels = new Map<string, LabelTotals>();
  const codes = new Map<string, number>();
  const toolCalls = new Map<string, ToolCalls>();
  const addCode = (row: { error_code: string; calls: number }) =>
    codes.set(row.error_code, (codes.get(row.error_code) ?? 0) + row.calls);
  // Labels and calls per tool from the tool rollups, where a row's histogram
  // is every status's; error codes from the call rollups' failed counts
  // alone, and from the requests this visit reads (not read again).
  visitWindow(db, { ...range, family: TOOL_ROLLUPS }, (row) => {
    addToolCalls(toolCalls, row);
    const label = row.tool !== '' ? row.tool : `<${row.method}>`;
    let totals = labels.get(label);
    if (!totals) {
      totals = new LabelTotals(label);
      labels.set(label, totals);
    }
    addCounted(totals, row);
    if (row.request && row.failed > 0 && row.error_code !== '') {
      addCode({ error_code: row.error_code, calls: row.failed });
    }
  });
  visitWindow(db, { ...range, countsOnly: 'by error code', rollupsOnly: true }, addCode);
  // The whole window's histogram from its labels': each blob decoded once.
  const overall = new LabelTotals('');
  for (const totals of labels.values()) overall.addHistogramOf(totals);
  return {
    tools: [...labels.values()]
      .map(estimatedToolRow)
      .sort((a, b) => b.calls - a.calls || byUtf8(a.label, b.label)),
    p95_us: overall.calls === 0 ? null : estimatePercentile(overall, 95),
    error_codes: [...codes]
      .map(([error_code, calls]) => ({ error_code, calls }))
      .sort((a, b) => b.calls - a.calls || byUtf8(a.error_code, b.error_code)),
    tool_calls: toolCalls,
  };
}

function callsOf(rows: ToolStatsRow[]): number {
  return rows.reduce((sum, row) => sum + row.calls, 0);
}

/**
 * The p95 latency of every request in the window, by mcpr's nearest-rank
 * rule; null when there are none. Sorted from the top, so SQLite keeps
 * only the slowest twentieth of the rows while it looks.
 */
function windowP95Us(store: Store, where: Where, calls: number): number | null {
  if (calls === 0) return null;
  const rank = Math.max(1, Math.floor((95 * calls + 99) / 100));
  const row = store.get<{ latency_us: number }>(
    `SELECT latency_us FROM requests ${where.sql} ORDER BY latency_us DESC LIMIT 1 OFFSET @offset`,
    { ...where.params, offset: calls - rank },
  );
  return row?.latency_us ?? null;
}
