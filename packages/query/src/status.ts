// The `status` report: per-tool statistics (tool-stats.ts) over a window,
// with the totals, calls per minute and session counts around them. The
// tool statistics are read in one transaction, so their statements all see
// the same snapshot whatever the daemon commits meanwhile.

import type { Db } from './connection.js';
import { ACTIVE_WINDOW_MS } from './sessions.js';
import { type ToolStatsRow, toolStats } from './tool-stats.js';
import { Where } from './where.js';

export type { ToolStatsRow } from './tool-stats.js';

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

export function queryStatus(
  db: Db,
  filter: { proxy?: string; sinceMs: number },
  nowMs: number,
): StatusReport {
  const where = new Where()
    .add('ts >= @since', { since: filter.sinceMs })
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  // One snapshot: the ranks asked for in the second statement are those of
  // the counts in the first, whatever the daemon commits in between.
  const tools = db.transaction(() => toolStats(db, where))();
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
