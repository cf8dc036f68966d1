// `store stats`: how much the store holds, over what span, and how big its
// files are. Every count rides an index; nothing scans the table.

import type { Db } from './connection.js';
import { fileSize } from './file-size.js';
import { ROLLUP_TABLE, usableSpan } from './rollup.js';
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
function listProxies(db: Db): string[] {
  const next = db.prepare('SELECT MIN(proxy) AS proxy FROM requests WHERE proxy > ?');
  const proxies: string[] = [];
  let current = (
    db.prepare('SELECT MIN(proxy) AS proxy FROM requests').get() as { proxy: string | null }
  ).proxy;
  while (current !== null) {
    proxies.push(current);
    current = (next.get(current) as { proxy: string | null }).proxy;
  }
  return proxies;
}

/**
 * Requests, counted without reading every row where the rollups match the
 * rows: the count the daemon keeps (all proxies), or the rollups' sum (one).
 */
function requestCount(db: Db, proxy: string | undefined, where: Where): number {
  const span = usableSpan(db);
  if (span === null) {
    return db
      .prepare(`SELECT COUNT(*) FROM requests ${where.sql}`)
      .pluck()
      .get(where.params) as number;
  }
  // And the writer's newest rows, not yet in the rollups (through the rowid, whatever the filter).
  const and = where.sql ? `${where.sql} AND` : 'WHERE';
  const unwritten = db
    .prepare(`SELECT COUNT(*) FROM requests NOT INDEXED ${and} id > @after`)
    .pluck()
    .get({ ...where.params, after: span.max_id ?? 0 }) as number;
  if (proxy === undefined && span.request_count !== null) return span.request_count + unwritten;
  const rolled = db
    .prepare(`SELECT COALESCE(SUM(calls), 0) FROM ${ROLLUP_TABLE} ${where.sql}`)
    .pluck()
    .get(where.params) as number;
  return rolled + unwritten;
}

export function queryStoreStats(db: Db, dbPath: string, proxy?: string): StoreStats {
  const where = new Where().when(proxy, 'proxy = @proxy', (p) => ({ proxy: p }));
  // Each extreme alone, so SQLite seeks one end of an index; counted from the
  // rollups when they match the rows (a count of every row reads an index whole).
  const [total, oldest, newest] = db.transaction((): [number, number | null, number | null] => [
    requestCount(db, proxy, where),
    db.prepare(`SELECT MIN(ts) FROM requests ${where.sql}`).pluck().get(where.params) as
      | number
      | null,
    db.prepare(`SELECT MAX(ts) FROM requests ${where.sql}`).pluck().get(where.params) as
      | number
      | null,
  ])();
  const requests = { n: total, oldest, newest };
  const sessions = db
    .prepare(`SELECT COUNT(*) AS n FROM sessions ${where.sql}`)
    .get(where.params) as {
    n: number;
  };
  const proxies = proxy === undefined ? listProxies(db) : requests.n > 0 ? [proxy] : [];
  const dbBytes = fileSize(dbPath);
  const walBytes = fileSize(`${dbPath}-wal`);
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
