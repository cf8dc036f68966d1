// Store maintenance, the CLI's one way to write: `store vacuum` deletes old
// rows and gives their space back. The query layer only reads, so this
// lives with the daemon's other writers. It deletes with retention's own
// steps (writer/retention.ts), each a short transaction, so a running
// daemon's writer is never held off for more than one step; a crash in
// between leaves every step either done or not, and running it again
// finishes the job. A dry run counts exactly what those steps would delete.
// Space is then reclaimed in small incremental steps, each its own short
// transaction (files created by mcpr, without incremental auto-vacuum, are
// converted once by a full VACUUM).

import fs from 'node:fs';
import { DatabaseMissingError, type Db, fileSize, rollupsUsable } from '@mcpr-store/query';
import Database from 'better-sqlite3';
import { AgeDeletes, RETENTION_STEP_ROWS } from '../writer/retention.js';
import { Rollups } from '../writer/rollups.js';
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
    // Rollups that match the rows are kept matching; stale ones are left for
    // the daemon to rebuild at its next start (readers do not use them).
    const rollups = !options.dryRun && rollupsUsable(db) ? new Rollups(db) : null;
    const deletes = new AgeDeletes(db, rollups);
    const cutoff = options.cutoffMs;
    const proxy = options.proxy ?? null;
    const result = (requests: number, sessions: number, reclaimed: number): VacuumResult => ({
      deleted_requests: requests,
      deleted_sessions: sessions,
      dry_run: options.dryRun,
      cutoff_ts: cutoff,
      reclaimed_bytes: reclaimed,
    });
    if (options.dryRun) {
      const would = deletes.wouldDelete(cutoff, proxy);
      return result(would.requests, would.sessions, 0);
    }
    // The same short steps as the daemon's retention: a running daemon's
    // writer waits for one step at most, never for the whole clean-up.
    const step = db.transaction(() => deletes.requests(cutoff, RETENTION_STEP_ROWS, proxy));
    let requests = 0;
    for (;;) {
      const deleted = step.immediate();
      requests += deleted;
      if (deleted < RETENTION_STEP_ROWS) break;
    }
    const sessions = db.transaction(() => deletes.sessions(cutoff, proxy)).immediate();
    const sizeBefore = fileSize(dbPath);
    reclaimSpace(db);
    return result(requests, sessions, Math.max(0, sizeBefore - fileSize(dbPath)));
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
