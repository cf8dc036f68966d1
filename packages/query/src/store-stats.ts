// `store stats`: how much the store holds, over what span, and how big its
// files are. Every count rides an index; nothing scans the table. On
// PostgreSQL the sizes are those of schema mcpr's tables and indexes (its
// WAL is the server's, shared, and reported as 0).

import { fileSize } from './file-size.js';
import { TOOL_ROLLUPS, usableSpan } from './rollup.js';
import { visitWindow } from './rollup-window.js';
import { type Source, type Store, storeOf } from './store.js';
import { Where } from './where.js';

export interface StoreStats {
  total_requests: number;
  total_sessions: number;
  oldest_ts: number | null;
  newest_ts: number | null;
  proxy_count: number;
  /** mcpr's name for the database file's size. */
  db_file_size: number;
  /** mcpr's name for the WAL's size. */
  wal_file_size: number;
  /** The same sizes by the names health uses. */
  db_size_bytes: number;
  wal_size_bytes: number;
  /** Ours: the proxies that wrote requests, by name (only the one asked about with a proxy). */
  proxies: string[];
}

/** Distinct proxies, in order, by skipping through the (proxy, ts) index: one seek per proxy. */
function listProxies(store: Store): string[] {
  const proxies: string[] = [];
  let current =
    store.get<{ proxy: string | null }>('SELECT MIN(proxy) AS proxy FROM requests')?.proxy ?? null;
  while (current !== null) {
    proxies.push(current);
    current =
      store.get<{ proxy: string | null }>(
        'SELECT MIN(proxy) AS proxy FROM requests WHERE proxy > @after',
        { after: current },
      )?.proxy ?? null;
  }
  return proxies;
}

/**
 * Requests, counted without reading every row where the rollups match the
 * rows: the count the daemon keeps (all proxies), or the rollups' sum (one).
 */
function requestCount(store: Store, proxy: string | undefined, where: Where): number {
  const db = store.sqlite;
  const span = db === null ? null : usableSpan(db);
  if (db === null || span === null) {
    return store.get<{ n: number }>(`SELECT COUNT(*) AS n FROM requests ${where.sql}`, where.params)
      ?.n as number;
  }
  if (proxy === undefined && span.request_count !== null) {
    // And the writer's newest rows, not yet in the rollups (through the rowid).
    const unwritten = db
      .prepare('SELECT COUNT(*) FROM requests NOT INDEXED WHERE id > @after')
      .pluck()
      .get({ after: span.max_id ?? 0 }) as number;
    return span.request_count + unwritten;
  }
  // One proxy's: its rows of every unit, from the coarsest tiers, and its newest rows.
  let calls = 0;
  visitWindow(
    db,
    { fromMs: Number.MIN_SAFE_INTEGER, toMs: null, proxy, countsOnly: true, family: TOOL_ROLLUPS },
    (row) => {
      calls += row.calls;
    },
  );
  return calls;
}

/** The bytes of schema mcpr's tables with their indexes and TOAST. */
function postgresBytes(store: Store): number {
  return (
    store.get<{ bytes: number }>(
      `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'mcpr' AND c.relkind = 'r'`,
    )?.bytes ?? 0
  );
}

export function queryStoreStats(source: Source, dbPath: string, proxy?: string): StoreStats {
  const store = storeOf(source);
  const where = new Where().when(proxy, 'proxy = @proxy', (p) => ({ proxy: p }));
  const extreme = (fn: 'MIN' | 'MAX') =>
    store.get<{ ts: number | null }>(
      `SELECT ${fn}(ts) AS ts FROM requests ${where.sql}`,
      where.params,
    )?.ts ?? null;
  // Each extreme alone, so SQLite seeks one end of an index; counted from the
  // rollups when they match the rows (a count of every row reads an index whole).
  const [total, oldest, newest] = store.snapshot((): [number, number | null, number | null] => [
    requestCount(store, proxy, where),
    extreme('MIN'),
    extreme('MAX'),
  ]);
  const requests = { n: total, oldest, newest };
  const sessions = store.get<{ n: number }>(
    `SELECT COUNT(*) AS n FROM sessions ${where.sql}`,
    where.params,
  ) as { n: number };
  const proxies = proxy === undefined ? listProxies(store) : requests.n > 0 ? [proxy] : [];
  const onFile = store.sqlite !== null;
  const dbBytes = onFile ? fileSize(dbPath) : postgresBytes(store);
  const walBytes = onFile ? fileSize(`${dbPath}-wal`) : 0;
  return {
    total_requests: requests.n,
    total_sessions: sessions.n,
    oldest_ts: requests.oldest,
    newest_ts: requests.newest,
    proxy_count: proxies.length,
    db_file_size: dbBytes,
    wal_file_size: walBytes,
    db_size_bytes: dbBytes,
    wal_size_bytes: walBytes,
    proxies,
  };
}
