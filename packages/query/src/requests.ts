// The request queries behind `logs` and `slow`. Each builds one statement
// whose WHERE clause matches an index of the schema (ts, proxy+ts, tool+ts,
// status+ts, session_id, proxy+latency), so answers stay in milliseconds on
// millions of rows. Session prefixes become a range on session_id, which
// the session index serves, instead of a LIKE it could not.

import { REQUEST_FIELD_NAMES } from '@mcpr-store/protocol/fields';
import { type Source, storeOf } from './store.js';
import { Where } from './where.js';

/** One row of `logs` and `slow`: the request's fields (REQUEST_FIELDS), in the order they print. */
export interface RequestRow {
  request_id: string;
  ts: number;
  proxy: string;
  method: string;
  tool: string | null;
  latency_us: number;
  status: string;
  error_code: string | null;
  error_msg: string | null;
  session_id: string | null;
  bytes_in: number | null;
  bytes_out: number | null;
}

/** The internal row id rides along for follow mode; it is never printed. */
export type RequestRowWithId = RequestRow & { id: number };

/** A stored request's columns, in the order its row prints. */
export const REQUEST_COLUMNS = REQUEST_FIELD_NAMES.join(', ');
/** The same, with the row id that follow mode needs. */
const COLUMNS = `id, ${REQUEST_COLUMNS}`;

/** Largest code point: prefix || it is above every string starting with prefix. */
const MAX_CHAR = '\u{10FFFF}';

export interface LogsFilter {
  proxy?: string;
  /** Rows with ts >= sinceMs; undefined for all time. */
  sinceMs?: number;
  tool?: string;
  method?: string;
  /** Prefix of a session id. */
  session?: string;
  status?: string;
  errorCode?: string;
  /** Only rows with id greater than this (follow mode). */
  afterId?: number;
}

function whereClause(filter: LogsFilter & { minLatencyUs?: number }): Where {
  return new Where()
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }))
    .when(filter.sinceMs, 'ts >= @since', (since) => ({ since }))
    .when(filter.tool, 'tool = @tool', (tool) => ({ tool }))
    .when(filter.method, 'method = @method', (method) => ({ method }))
    .when(filter.session, 'session_id >= @session_lo AND session_id < @session_hi', (prefix) => ({
      session_lo: prefix,
      session_hi: prefix + MAX_CHAR,
    }))
    .when(filter.status, 'status = @status', (status) => ({ status }))
    .when(filter.errorCode, 'error_code = @error_code', (error_code) => ({ error_code }))
    .when(filter.minLatencyUs, 'latency_us >= @min_latency', (min_latency) => ({ min_latency }))
    .when(filter.afterId, 'id > @after_id', (after_id) => ({ after_id }));
}

/** Newest first, at most `limit` rows. */
export function queryLogs(source: Source, filter: LogsFilter, limit: number): RequestRowWithId[] {
  const where = whereClause(filter);
  return storeOf(source).all<RequestRowWithId>(
    `SELECT ${COLUMNS} FROM requests ${where.sql} ORDER BY ts DESC, id DESC LIMIT @limit`,
    { ...where.params, limit },
  );
}

export interface SlowFilter {
  proxy?: string;
  sinceMs?: number;
  tool?: string;
  thresholdUs: number;
  afterId?: number;
}

/** Requests at or above the threshold, slowest first. */
export function querySlow(source: Source, filter: SlowFilter, limit: number): RequestRowWithId[] {
  const where = whereClause({ ...filter, minLatencyUs: filter.thresholdUs });
  return storeOf(source).all<RequestRowWithId>(
    `SELECT ${COLUMNS} FROM requests ${where.sql} ORDER BY latency_us DESC, ts DESC, id DESC LIMIT @limit`,
    { ...where.params, limit },
  );
}

/** How many requests the slow filter finds in its window, and their mean latency. */
export function countSlow(source: Source, filter: SlowFilter): { calls: number; avg_us: number } {
  const where = whereClause({ ...filter, minLatencyUs: filter.thresholdUs });
  // The mean as a double sum over a count, as SQLite's AVG computes it.
  const row = storeOf(source).get<{ calls: number; avg_us: number | null }>(
    `SELECT COUNT(*) AS calls, CAST(SUM(latency_us) AS DOUBLE PRECISION) / COUNT(*) AS avg_us
     FROM requests ${where.sql}`,
    where.params,
  ) ?? { calls: 0, avg_us: null };
  return { calls: row.calls, avg_us: row.avg_us ?? 0 };
}

/** Rows added after `afterId` matching the filter, oldest first (follow mode). */
export function queryNewRequests(
  source: Source,
  filter: LogsFilter & { minLatencyUs?: number },
  afterId: number,
  limit = 10_000,
): RequestRowWithId[] {
  const where = whereClause({ ...filter, sinceMs: undefined, afterId });
  return storeOf(source).all<RequestRowWithId>(
    `SELECT ${COLUMNS} FROM requests ${where.sql} ORDER BY id LIMIT @limit`,
    { ...where.params, limit },
  );
}

/** The highest row id now; follow mode starts after it. */
export function lastRequestId(source: Source): number {
  return storeOf(source).get<{ id: number | null }>('SELECT MAX(id) AS id FROM requests')?.id ?? 0;
}

/** Drops the internal id before printing. */
export function publicRow(row: RequestRowWithId): RequestRow {
  const { id: _id, ...rest } = row;
  return rest;
}
