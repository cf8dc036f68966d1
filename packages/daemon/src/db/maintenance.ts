// Store maintenance, the CLI's one way to write: `store vacuum` deletes old
// rows and gives their space back. The query layer only reads, so this
// lives with the daemon's other writers. Deletes run in one transaction, so
// a crash leaves all or nothing; a dry run runs the very same statements
// and rolls back, so it reports exactly what the real run would delete.
// Space is then reclaimed in small incremental steps, each its own short
// transaction, so a running daemon's writer is never held off for more than
// a moment (files created by mcpr, without incremental auto-vacuum, are
// converted once by a full VACUUM).

import fs from 'node:fs';
import { DatabaseMissingError, type Db, fileSize, Where } from '@mcpr-store/query';
import Database from 'better-sqlite3';
import { MAINTENANCE_BUSY_TIMEOUT_MS } from './connection.js';

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
    db.pragma(`busy_timeout = ${MAINTENANCE_BUSY_TIMEOUT_MS}`);
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
