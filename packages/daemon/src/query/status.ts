// Per-tool statistics. Percentiles are computed inside SQLite with window
// functions (a row number per label over latency order, then the nearest
// rank), never by pulling every latency into JavaScript. The rank rule is
// mcpr's: sort, take index ceil(p/100 * n) - 1, so p95 of 1..10 is 10.

import type { Db } from '../db/connection.js';
import { ACTIVE_WINDOW_MS } from './sessions.js';
import { Where } from './where.js';

export interface ToolStatsRow {
  /** The tool name, or `<method>` for requests without a tool. */
  tool: string;
  calls: number;
  avg_us: number;
  min_us: number;
  max_us: number;
  errors: number;
  p50_us: number;
  p95_us: number;
  p99_us: number;
  error_pct: number;
  total_bytes_in: number;
  total_bytes_out: number;
}

export interface StatusReport {
  since_ms: number;
  window_ms: number;
  total_calls: number;
  error_pct: number;
  calls_per_minute: number;
  total_sessions: number;
  active_sessions: number;
  tools: ToolStatsRow[];
}

/** Nearest-rank position (1-based) of percentile p among n values, in integer SQL. */
function rank(p: number): string {
  return `MAX(1, (${p} * n + 99) / 100)`;
}

export function queryStatus(
  db: Db,
  filter: { proxy?: string; sinceMs: number },
  nowMs: number,
): StatusReport {
  const where = new Where()
    .add('ts >= @since', { since: filter.sinceMs })
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  const tools = db
    .prepare(
      `WITH ranked AS (
         SELECT COALESCE(tool, '<' || method || '>') AS label, latency_us, status, bytes_in, bytes_out,
                ROW_NUMBER() OVER (PARTITION BY COALESCE(tool, '<' || method || '>') ORDER BY latency_us) AS rn,
                COUNT(*) OVER (PARTITION BY COALESCE(tool, '<' || method || '>')) AS n
         FROM requests ${where.sql}
       )
       SELECT label AS tool,
              COUNT(*) AS calls,
              CAST(ROUND(AVG(latency_us)) AS INTEGER) AS avg_us,
              MIN(latency_us) AS min_us,
              MAX(latency_us) AS max_us,
              SUM(status <> 'ok') AS errors,
              MAX(CASE WHEN rn = ${rank(50)} THEN latency_us END) AS p50_us,
              MAX(CASE WHEN rn = ${rank(95)} THEN latency_us END) AS p95_us,
              MAX(CASE WHEN rn = ${rank(99)} THEN latency_us END) AS p99_us,
              ROUND(100.0 * SUM(status <> 'ok') / COUNT(*), 2) AS error_pct,
              COALESCE(SUM(bytes_in), 0) AS total_bytes_in,
              COALESCE(SUM(bytes_out), 0) AS total_bytes_out
       FROM ranked
       GROUP BY label
       ORDER BY calls DESC, label`,
    )
    .all(where.params) as ToolStatsRow[];
  const totalCalls = tools.reduce((sum, row) => sum + row.calls, 0);
  const errors = tools.reduce((sum, row) => sum + row.errors, 0);
  const sessionWhere = new Where()
    .add('last_seen_at >= @since', { since: filter.sinceMs })
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  const sessions = db
    .prepare(
      `SELECT COUNT(*) AS total,
              COALESCE(SUM(ended_at IS NULL AND last_seen_at >= @active_since), 0) AS active
       FROM sessions ${sessionWhere.sql}`,
    )
    .get({ ...sessionWhere.params, active_since: nowMs - ACTIVE_WINDOW_MS }) as {
    total: number;
    active: number;
  };
  const windowMs = Math.max(1, nowMs - filter.sinceMs);
  return {
    since_ms: filter.sinceMs,
    window_ms: windowMs,
    total_calls: totalCalls,
    error_pct: totalCalls === 0 ? 0 : Math.round((10_000 * errors) / totalCalls) / 100,
    calls_per_minute: Math.round((100 * totalCalls * 60_000) / windowMs) / 100,
    total_sessions: sessions.total,
    active_sessions: sessions.active,
    tools,
  };
}
