// Store maintenance: size and span of the data, and retention. Retention
// deletes in one transaction, so a crash leaves all or nothing; a dry run
// runs the very same statements and rolls back, so it reports exactly what
// the real run would delete. Space is then reclaimed in small incremental
// steps, each its own short transaction, so a running daemon's writer is
// never held off for more than a moment (files created by mcpr, without
// incremental auto-vacuum, are converted once by a full VACUUM).

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { DatabaseMissingError, type Db } from '../db/connection.js';
import { fileSize } from '../db/file-size.js';
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

export interface VacuumResult {
  deleted_requests: number;
  deleted_sessions: number;
  dry_run: boolean;
  cutoff_ts: number;
  reclaimed_bytes: number;
}

/** Pages released per incremental step; each step is one short write transaction. */
const RECLAIM_STEP_PAGES = 256;

export function vacuumStore(
  dbPath: string,
  options: { cutoffMs: number; proxy?: string; dryRun: boolean },
): VacuumResult {
  if (!fs.existsSync(dbPath)) throw new DatabaseMissingError(dbPath);
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const where = new Where().when(options.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
    const params = { ...where.params, cutoff: options.cutoffMs };
    const and = where.sql ? ` AND ${where.sql.slice('WHERE '.length)}` : '';
    const deleteRequests = db.prepare(`DELETE FROM requests WHERE ts < @cutoff${and}`);
    // A session goes once no request refers to it and it was last seen before the cutoff.
    const deleteSessions = db.prepare(
      `DELETE FROM sessions WHERE last_seen_at < @cutoff${and}
       AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.session_id = sessions.session_id)`,
    );
    let deleted = { requests: 0, sessions: 0 };
    db.exec('BEGIN IMMEDIATE');
    try {
      deleted = {
        requests: deleteRequests.run(params).changes,
        sessions: deleteSessions.run(params).changes,
      };
      db.exec(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
    const sizeBefore = fileSize(dbPath);
    if (!options.dryRun) reclaimSpace(db);
    return {
      deleted_requests: deleted.requests,
      deleted_sessions: deleted.sessions,
      dry_run: options.dryRun,
      cutoff_ts: options.cutoffMs,
      reclaimed_bytes: Math.max(0, sizeBefore - fileSize(dbPath)),
    };
  } finally {
    db.close();
  }
}

function reclaimSpace(db: Db): void {
  const mode = db.pragma('auto_vacuum', { simple: true }) as number;
  if (mode === 2) {
    let free = db.pragma('freelist_count', { simple: true }) as number;
    while (free > 0) {
      db.pragma(`incremental_vacuum(${RECLAIM_STEP_PAGES})`);
      const left = db.pragma('freelist_count', { simple: true }) as number;
      if (left >= free) break; // nothing more can be released now
      free = left;
    }
  } else {
    // One-time conversion; later runs reclaim incrementally.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec('VACUUM');
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
}
