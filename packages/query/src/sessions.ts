// Sessions and clients. A session is active when it has not ended and was
// seen in the last five minutes (mcpr's rule); `session ID` takes any
// unambiguous prefix, and an ambiguous one names the candidates.

import { QUERY_ERROR_CODES, QueryError } from './errors.js';
import type { RequestRow } from './requests.js';
import { REQUEST_COLUMNS } from './requests.js';
import { percentOf, type Source, storeOf } from './store.js';
import { Where } from './where.js';

/** Seen within this long and not ended: active. */
export const ACTIVE_WINDOW_MS = 5 * 60_000;

export interface SessionRow {
  session_id: string;
  proxy: string;
  client_name: string | null;
  client_version: string | null;
  client_platform: string | null;
  started_at: number;
  last_seen_at: number;
  ended_at: number | null;
  total_calls: number;
  total_errors: number;
  is_active: boolean;
}

const SESSION_COLUMNS = `session_id, proxy, client_name, client_version, client_platform,
  started_at, last_seen_at, ended_at, total_calls, total_errors,
  (ended_at IS NULL AND last_seen_at >= @active_since) AS is_active`;

function withBooleans(row: SessionRow): SessionRow {
  return { ...row, is_active: Boolean(row.is_active) };
}

export interface SessionsFilter {
  proxy?: string;
  active?: boolean;
  /** Matches client_name (as mcpr does). */
  client?: string;
  /** Sessions started at or after this time (mcpr's rule). */
  sinceMs?: number;
}

/** Most recently seen first. */
export function querySessions(
  source: Source,
  filter: SessionsFilter,
  limit: number,
  nowMs: number,
): SessionRow[] {
  const where = new Where()
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }))
    .when(
      filter.active || undefined,
      'ended_at IS NULL AND last_seen_at >= @active_since',
      () => ({}),
    )
    .when(filter.client, 'client_name = @client', (client) => ({ client }))
    .when(filter.sinceMs, 'started_at >= @since', (since) => ({ since }));
  const rows = storeOf(source).all<SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM sessions ${where.sql} ORDER BY last_seen_at DESC, session_id LIMIT @limit`,
    { ...where.params, active_since: nowMs - ACTIVE_WINDOW_MS, limit },
  );
  return rows.map(withBooleans);
}

export type SessionDetail = SessionRow & { requests: RequestRow[] };

/** One session by id or unambiguous prefix, with all its requests oldest first. */
export function querySession(
  source: Source,
  idOrPrefix: string,
  nowMs: number,
  proxy?: string,
): SessionDetail {
  const store = storeOf(source);
  const byProxy = new Where().when(proxy, 'proxy = @proxy', (p) => ({ proxy: p }));
  const andProxy = byProxy.sql.replace(/^WHERE/, 'AND');
  const params: Record<string, unknown> = {
    ...byProxy.params,
    lo: idOrPrefix,
    active_since: nowMs - ACTIVE_WINDOW_MS,
  };
  const exact = store.get<SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM sessions WHERE session_id = @lo ${andProxy}`,
    params,
  );
  let session = exact;
  if (!session) {
    const matches = store.all<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE session_id >= @lo AND session_id < @hi
       ${andProxy} ORDER BY session_id LIMIT 11`,
      { ...params, hi: `${idOrPrefix}\u{10FFFF}` },
    );
    if (matches.length === 0)
      throw new QueryError(
        QUERY_ERROR_CODES.SESSION_NOT_FOUND,
        `no session matches "${idOrPrefix}"`,
      );
    if (matches.length > 1) {
      const shown = matches.slice(0, 10).map((m) => m.session_id);
      const more = matches.length > 10 ? ', ...' : '';
      throw new QueryError(
        QUERY_ERROR_CODES.SESSION_AMBIGUOUS,
        `"${idOrPrefix}" matches several sessions: ${shown.join(', ')}${more}; give more of the id`,
      );
    }
    session = matches[0] as SessionRow;
  }
  const requests = store.all<RequestRow>(
    `SELECT ${REQUEST_COLUMNS} FROM requests WHERE session_id = @session_id ORDER BY ts, id`,
    { session_id: session.session_id },
  );
  return { ...withBooleans(session), requests };
}

export interface ClientRow {
  client_name: string | null;
  client_version: string | null;
  client_platform: string | null;
  sessions: number;
  total_calls: number;
  total_errors: number;
  error_pct: number;
  first_seen: number;
  last_seen: number;
}

/**
 * Sessions started in the window, grouped by client name, version and
 * platform; most calls first. `error_pct` is unrounded, as in mcpr.
 */
export function queryClients(
  source: Source,
  filter: { proxy?: string; sinceMs?: number },
): ClientRow[] {
  const where = new Where()
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }))
    .when(filter.sinceMs, 'started_at >= @since', (since) => ({ since }));
  return storeOf(source).all<ClientRow>(
    `SELECT client_name, client_version, client_platform,
            COUNT(*) AS sessions,
            SUM(total_calls) AS total_calls,
            SUM(total_errors) AS total_errors,
            CASE WHEN SUM(total_calls) = 0 THEN CAST(0 AS DOUBLE PRECISION)
                 ELSE ${percentOf('SUM(total_errors)', 'SUM(total_calls)')} END AS error_pct,
            MIN(started_at) AS first_seen,
            MAX(last_seen_at) AS last_seen
     FROM sessions ${where.sql}
     GROUP BY client_name, client_version, client_platform
     ORDER BY total_calls DESC, sessions DESC, client_name NULLS FIRST`,
    where.params,
  );
}
