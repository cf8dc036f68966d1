// Sessions and clients. A session is active when it has not ended and was
// seen in the last five minutes (mcpr's rule); `session ID` takes any
// unambiguous prefix, and an ambiguous one names the candidates.

import type { Db } from './connection.js';
import { QUERY_ERROR_CODES, QueryError } from './errors.js';
import type { RequestRow } from './requests.js';
import { REQUEST_COLUMNS } from './requests.js';
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
  db: Db,
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
  const rows = db
    .prepare(
      `SELECT ${SESSION_COLUMNS} FROM sessions ${where.sql} ORDER BY last_seen_at DESC, session_id LIMIT @limit`,
    )
    .all({ ...where.params, active_since: nowMs - ACTIVE_WINDOW_MS, limit }) as SessionRow[];
  return rows.map(withBooleans);
}

export type SessionDetail = SessionRow & { requests: RequestRow[] };

/** One session by id or unambiguous prefix, with all its requests oldest first. */
export function querySession(
  db: Db,
  idOrPrefix: string,
  nowMs: number,
  proxy?: string,
): SessionDetail {
  const params: Record<string, unknown> = {
    lo: idOrPrefix,
    hi: `${idOrPrefix}\u{10FFFF}`,
    active_since: nowMs - ACTIVE_WINDOW_MS,
    proxy: proxy ?? null,
  };
  const exact = db
    .prepare(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE session_id = @lo AND (@proxy IS NULL OR proxy = @proxy)`,
    )
    .get(params) as SessionRow | undefined;
  let session = exact;
  if (!session) {
    const matches = db
      .prepare(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE session_id >= @lo AND session_id < @hi
         AND (@proxy IS NULL OR proxy = @proxy) ORDER BY session_id LIMIT 11`,
      )
      .all(params) as SessionRow[];
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
  const requests = db
    .prepare(`SELECT ${REQUEST_COLUMNS} FROM requests WHERE session_id = ? ORDER BY ts, id`)
    .all(session.session_id) as RequestRow[];
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
export function queryClients(db: Db, filter: { proxy?: string; sinceMs?: number }): ClientRow[] {
  const where = new Where()
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }))
    .when(filter.sinceMs, 'started_at >= @since', (since) => ({ since }));
  return db
    .prepare(
      `SELECT client_name, client_version, client_platform,
              COUNT(*) AS sessions,
              SUM(total_calls) AS total_calls,
              SUM(total_errors) AS total_errors,
              CASE WHEN SUM(total_calls) = 0 THEN 0.0
                   ELSE 100.0 * SUM(total_errors) / SUM(total_calls) END AS error_pct,
              MIN(started_at) AS first_seen,
              MAX(last_seen_at) AS last_seen
       FROM sessions ${where.sql}
       GROUP BY client_name, client_version, client_platform
       ORDER BY total_calls DESC, sessions DESC, client_name`,
    )
    .all(where.params) as ClientRow[];
}
