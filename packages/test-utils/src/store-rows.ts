// Rows for hand-made query fixtures: a request and a session with sensible
// defaults around one fixed "now", each field overridable, request ids
// numbered in the order they were made. The query tests and the vacuum
// tests build their stores from these, and read them through openFixtureStore.

import Database from 'better-sqlite3';

export const FIXTURE_NOW = Date.now();
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

let made = 0;

/** A request a minute before FIXTURE_NOW: p1, session alpha-1, tools/call search, 1 ms, ok. */
export function fixtureRequest(fields: Record<string, unknown> = {}): Record<string, unknown> {
  made += 1;
  return {
    kind: 'request',
    request_id: `r-${String(made).padStart(4, '0')}`,
    ts: FIXTURE_NOW - MINUTE_MS,
    proxy: 'p1',
    session_id: 'alpha-1',
    method: 'tools/call',
    tool: 'search',
    latency_us: 1000,
    status: 'ok',
    ...fields,
  };
}

/** A session of p1 started ten minutes before FIXTURE_NOW by claude-ai 1. */
export function fixtureSession(
  id: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'session',
    session_id: id,
    proxy: 'p1',
    started_at: FIXTURE_NOW - 10 * MINUTE_MS,
    client_name: 'claude-ai',
    client_version: '1',
    client_platform: 'claude',
    ...fields,
  };
}

const opened: Database.Database[] = [];

/** A read-only connection to a fixture store; closeOpenedStores() (in afterEach) closes it. */
export function openFixtureStore(file: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  opened.push(db);
  return db;
}

export function closeOpenedStores(): void {
  for (const db of opened.splice(0)) db.close();
}

/**
 * A store's worth of rows of different ages, for `store stats` and `store
 * vacuum`: sessions closed, left open and still active 40 days back, one
 * recent one on another proxy, and their requests from 40 days to a minute
 * ago.
 */
export function agedStoreEvents(): Record<string, unknown>[] {
  const now = FIXTURE_NOW;
  return [
    fixtureSession('old-closed', { started_at: now - 40 * DAY_MS }),
    fixtureSession('old-open', { started_at: now - 40 * DAY_MS }),
    fixtureSession('old-but-active', { started_at: now - 40 * DAY_MS }),
    fixtureSession('recent'),
    { kind: 'session_closed', session_id: 'old-closed', ended_at: now - 39 * DAY_MS },
    fixtureRequest({ session_id: 'old-closed', ts: now - 40 * DAY_MS }),
    fixtureRequest({ session_id: 'old-open', ts: now - 35 * DAY_MS }),
    fixtureRequest({ session_id: 'old-but-active', ts: now - 35 * DAY_MS }),
    fixtureRequest({ session_id: 'old-but-active', ts: now - DAY_MS }),
    fixtureRequest({ session_id: 'recent', ts: now - MINUTE_MS, proxy: 'p2' }),
  ];
}

/** The rows a query returns from the store at `dbPath`, on a connection of its own. */
export function queryStore<T>(dbPath: string, sql: string): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/**
 * The base tier of both families of the rollups' counts (histograms aside) against a count of the rows
 * themselves, as two sorted lists of rows; equal when the rollups count
 * exactly the rows there are (after a clean stop: a running daemon writes
 * its newest counts once a second). After deletes of the oldest rows, from
 * the half-hour after the oldest row's on (readers read that half-hour from
 * its rows: rolledFromMs), and `stale` counts the base units left that end
 * before it (none, once deletes have dropped them).
 */
export function rollupsAgainstRows(
  dbPath: string,
  how: { afterDeletes?: boolean } = {},
): {
  rolled: unknown[];
  counted: unknown[];
  stale: number;
} {
  const columns = 'start_ms, proxy, method, tool, status, error_code';
  const oldestUnit = '(SELECT (MIN(ts) / 1800000) * 1800000 FROM requests)';
  const read = how.afterDeletes ? `start_ms > ${oldestUnit}` : '1';
  const rowsRead = how.afterDeletes ? `ts >= ${oldestUnit} + 1800000` : '1';
  // Both families: keyed by status and error code, and by proxy, method and tool alone.
  const families = [
    { table: 'mcpr_store_rollup_30m', status: 'status', errorCode: "COALESCE(error_code, '')" },
    { table: 'mcpr_store_rollup_tool_30m', status: "''", errorCode: "''" },
  ];
  const rolled = families.flatMap((family) =>
    queryStore(
      dbPath,
      `SELECT ${columns}, calls, failed, errors, timeouts, latency_sum, latency_min, latency_max,
              bytes_in, bytes_out, last_ts
       FROM ${family.table} WHERE ${read} ORDER BY ${columns}`,
    ),
  );
  const counted = families.flatMap((family) =>
    queryStore(
      dbPath,
      `SELECT (ts / 1800000) * 1800000 AS start_ms, proxy, method, COALESCE(tool, '') AS tool,
              ${family.status} AS status, ${family.errorCode} AS error_code, COUNT(*) AS calls,
              SUM(status <> 'ok') AS failed, SUM(status = 'error') AS errors,
              SUM(status = 'timeout') AS timeouts, SUM(latency_us) AS latency_sum,
              MIN(latency_us) AS latency_min, MAX(latency_us) AS latency_max,
              COALESCE(SUM(bytes_in), 0) AS bytes_in, COALESCE(SUM(bytes_out), 0) AS bytes_out,
              MAX(ts) AS last_ts
       FROM requests WHERE ${rowsRead} GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY ${columns}`,
    ),
  );
  const stale = families
    .map(
      (family) =>
        queryStore<{ n: number }>(
          dbPath,
          `SELECT COUNT(*) AS n FROM ${family.table} WHERE start_ms < ${oldestUnit}`,
        )[0]?.n as number,
    )
    .reduce((sum, n) => sum + n, 0);
  return { rolled, counted, stale };
}
