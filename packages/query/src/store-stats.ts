// `store stats`: how much the store holds, over what span, and how big its
// files are. Every count rides an index; nothing scans the table.

import type { Db } from './connection.js';
import { fileSize } from './file-size.js';
import { Where } from './where.js';

export interface StoreStats {
  total_requests: number;
  total_sessions: number;
  oldest_ts: number | null;
  newest_ts: number | null;
  proxy_count: number;
  db_file_size: number;
  wal_file_size: number;
}

/** Distinct proxies by skipping through the (proxy, ts) index: one seek per proxy. */
function countProxies(db: Db): number {
  const next = db.prepare('SELECT MIN(proxy) AS proxy FROM requests WHERE proxy > ?');
  let count = 0;
  let current = (
    db.prepare('SELECT MIN(proxy) AS proxy FROM requests').get() as { proxy: string | null }
  ).proxy;
  while (current !== null) {
    count += 1;
    current = (next.get(current) as { proxy: string | null }).proxy;
  }
  return count;
}

export function queryStoreStats(db: Db, dbPath: string, proxy?: string): StoreStats {
  const where = new Where().when(proxy, 'proxy = @proxy', (p) => ({ proxy: p }));
  const requests = db
    .prepare(
      `SELECT COUNT(*) AS n, MIN(ts) AS oldest, MAX(ts) AS newest FROM requests ${where.sql}`,
    )
    .get(where.params) as { n: number; oldest: number | null; newest: number | null };
  const sessions = db
    .prepare(`SELECT COUNT(*) AS n FROM sessions ${where.sql}`)
    .get(where.params) as {
    n: number;
  };
  return {
    total_requests: requests.n,
    total_sessions: sessions.n,
    oldest_ts: requests.oldest,
    newest_ts: requests.newest,
    proxy_count: proxy === undefined ? countProxies(db) : requests.n > 0 ? 1 : 0,
    db_file_size: fileSize(dbPath),
    wal_file_size: fileSize(`${dbPath}-wal`),
  };
}
