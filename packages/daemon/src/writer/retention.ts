// Retention: the writer deletes what the policy no longer keeps, in short
// transactions of its own between ingest transactions, so the store stays
// bounded without ever holding the lock long enough to stall ingest. Each
// step deletes at most RETENTION_STEP_ROWS requests, oldest first through
// idx_requests_ts, and never a request at or after the cutoff (for the
// size bound, the oldest go first whatever their age). Sessions go once no
// request refers to them and they were last seen before the cutoff; their
// counters are never changed by a delete (they count what happened).
// Schema changes detected before the cutoff go too; the latest snapshots
// (server_schema) never do. Freed pages stay in SQLite's free list and are
// reused by the next inserts, so a store that reached its bound stops
// growing; `store vacuum` is what gives space back to the file system.
// While the daemon replicates, no request PostgreSQL has not committed
// goes, whatever the policy says: deletes stop short of the oldest
// unshipped request's time (unshipped-floor.ts), so what goes is still the
// oldest rows, which the rollups' bookkeeping relies on.

import type { Db } from '../db/connection.js';
import type { Rollups } from './rollups.js';
import { UnshippedFloor } from './unshipped-floor.js';

/**
 * Requests deleted in one step by age: a short transaction beside ingest's.
 * The ingest transaction waiting behind a step takes in what arrived
 * meanwhile, so a shorter step keeps commits short; steps back to back
 * still delete faster than a fleet writes (docs/performance.md).
 */
export const RETENTION_STEP_ROWS = 1000;
/**
 * Requests deleted in one step at most for the size bound. A step deletes
 * the rows that the excess bytes hold, so it keeps up with any ingest rate;
 * this caps how long one step can hold the lock.
 */
export const SIZE_STEP_MAX_ROWS = 25_000;
/** Over the size bound, delete down to this share of it: room for the next inserts in freed pages, without a burst of deletes. */
const SIZE_TARGET_SHARE = 0.98;

export interface RetentionPolicy {
  /** Keep requests this recent; 0 keeps everything. */
  retain_ms: number;
  /** Keep the pages in use under this many bytes; 0 for no bound. */
  retain_bytes: number;
}

export interface RetentionStep {
  deleted_requests: number;
  deleted_sessions: number;
  deleted_changes: number;
  /** More to delete now: the caller runs another step soon. */
  more: boolean;
  /** The oldest request left, or null. */
  oldest_ts: number | null;
  /** Pages in use, in bytes, after the step. */
  used_bytes: number;
  /** The policy would delete requests not shipped to PostgreSQL yet: they were kept. */
  held_for_replication: boolean;
}

/**
 * The delete steps retention and `store vacuum` share: by age, oldest
 * first through idx_requests_ts, optionally for one proxy, each a bounded
 * statement the caller runs in a short transaction of its own.
 */
export class AgeDeletes {
  private readonly requestsBefore;
  private readonly orphans;
  private readonly changesBefore;
  private readonly countRequests;
  private readonly countOrphans;

  /** `rollups`: kept level with each delete; null when they are not current (they are then rebuilt at the daemon's next start). */
  constructor(
    db: Db,
    private readonly rollups: Rollups | null,
  ) {
    const forProxy = '(@proxy IS NULL OR proxy = @proxy)';
    this.requestsBefore = db.prepare(
      `DELETE FROM requests WHERE id IN (
         SELECT id FROM requests INDEXED BY idx_requests_ts
         WHERE ts < @cutoff AND ${forProxy} ORDER BY ts LIMIT @rows)`,
    );
    // A session goes once no request refers to it and it was last seen before the cutoff.
    this.orphans = db.prepare(
      `DELETE FROM sessions WHERE last_seen_at < @cutoff AND ${forProxy}
         AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.session_id = sessions.session_id)`,
    );
    this.changesBefore = db.prepare('DELETE FROM schema_changes WHERE detected_at < @cutoff');
    this.countRequests = db
      .prepare(`SELECT COUNT(*) FROM requests WHERE ts < @cutoff AND ${forProxy}`)
      .pluck();
    // The sessions `orphans` would delete once the requests before the cutoff are gone.
    this.countOrphans = db
      .prepare(
        `SELECT COUNT(*) FROM sessions s WHERE last_seen_at < @cutoff AND ${forProxy}
           AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.session_id = s.session_id
                           AND NOT (r.ts < @cutoff AND (@proxy IS NULL OR r.proxy = @proxy)))`,
      )
      .pluck();
  }

  /** Deletes at most `rows` requests older than `cutoff`, oldest first; returns how many. */
  requests(cutoff: number, rows: number, proxy: string | null = null): number {
    const deleted = this.requestsBefore.run({ cutoff, rows, proxy }).changes;
    if (deleted > 0) this.rollups?.afterOldestDeleted(proxy, deleted);
    return deleted;
  }

  sessions(cutoff: number, proxy: string | null = null): number {
    return this.orphans.run({ cutoff, proxy }).changes;
  }

  changes(cutoff: number): number {
    return this.changesBefore.run({ cutoff }).changes;
  }

  /** What `requests` and then `sessions` would delete, to the row, without deleting. */
  wouldDelete(cutoff: number, proxy: string | null = null): { requests: number; sessions: number } {
    return {
      requests: this.countRequests.get({ cutoff, proxy }) as number,
      sessions: this.countOrphans.get({ cutoff, proxy }) as number,
    };
  }
}

export class Retention {
  private readonly byAge: AgeDeletes;
  private readonly oldestRequests;
  private readonly oldest;

  constructor(
    private readonly db: Db,
    private readonly rollups: Rollups,
  ) {
    this.byAge = new AgeDeletes(db, rollups);
    this.oldestRequests = db.prepare(
      `DELETE FROM requests WHERE id IN (
         SELECT id FROM requests INDEXED BY idx_requests_ts WHERE ts < @floor ORDER BY ts LIMIT @rows)`,
    );
    this.keptBefore = db
      .prepare(
        'SELECT EXISTS (SELECT 1 FROM requests INDEXED BY idx_requests_ts WHERE ts >= @floor AND ts < @cutoff)',
      )
      .pluck();
    this.unshipped = new UnshippedFloor(db);
    this.oldest = db.prepare('SELECT MIN(ts) AS ts FROM requests').pluck();
    this.idSpan = db.prepare('SELECT MAX(id) - MIN(id) + 1 AS n FROM requests').pluck();
  }

  private readonly idSpan;
  private readonly keptBefore;
  private readonly unshipped: UnshippedFloor;

  /**
   * Requests to delete to bring the pages in use down to the target share
   * of the bound: the excess bytes over the bytes a row takes on average
   * (row count estimated from the id span, which needs no scan).
   */
  private rowsOver(policy: RetentionPolicy, usedBytes: number): number {
    if (policy.retain_bytes <= 0 || usedBytes <= policy.retain_bytes) return 0;
    const rows = (this.idSpan.get() as number | null) ?? 0;
    if (rows <= 0) return 0;
    const excess = usedBytes - SIZE_TARGET_SHARE * policy.retain_bytes;
    const perRow = Math.max(1, usedBytes / rows);
    return Math.min(SIZE_STEP_MAX_ROWS, Math.max(1, Math.ceil(excess / perRow)));
  }

  /** Bytes of the pages that hold data (the file less its free pages). */
  usedBytes(): number {
    const pages = this.db.pragma('page_count', { simple: true }) as number;
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    const pageBytes = this.db.pragma('page_size', { simple: true }) as number;
    return (pages - free) * pageBytes;
  }

  /**
   * One step of the policy at `nowMs`, in one short transaction.
   * `shippedOnly`: replication is on; keep every request not shipped yet.
   */
  step(policy: RetentionPolicy, nowMs: number, shippedOnly = false): RetentionStep {
    const cutoff = policy.retain_ms > 0 ? nowMs - policy.retain_ms : Number.NEGATIVE_INFINITY;
    return this.db
      .transaction(() => {
        // Nothing at or after `floor` may go.
        const floor = shippedOnly ? this.unshipped.floorTs() : Number.MAX_SAFE_INTEGER;
        let deletedRequests = 0;
        let full = false;
        let held = false;
        if (Number.isFinite(cutoff)) {
          deletedRequests += this.byAge.requests(Math.min(cutoff, floor), RETENTION_STEP_ROWS);
          full = deletedRequests >= RETENTION_STEP_ROWS;
          if (!full && floor < cutoff) held = this.keptBefore.get({ floor, cutoff }) === 1;
        }
        const over = this.rowsOver(policy, this.usedBytes());
        if (over > 0) {
          const deleted = this.oldestRequests.run({ rows: over, floor }).changes;
          if (deleted > 0) this.rollups.afterOldestDeleted(null, deleted);
          if (deleted < over && shippedOnly) held = true;
          deletedRequests += deleted;
        }
        // Sessions and changes once this round's requests are gone: their
        // deletes scan, so they run at the end of a round, not at every step.
        let deletedSessions = 0;
        let deletedChanges = 0;
        if (!full && Number.isFinite(cutoff)) {
          deletedSessions = this.byAge.sessions(cutoff);
          deletedChanges = this.byAge.changes(cutoff);
        }
        const usedBytes = this.usedBytes();
        return {
          deleted_requests: deletedRequests,
          deleted_sessions: deletedSessions,
          deleted_changes: deletedChanges,
          more:
            full ||
            (policy.retain_bytes > 0 && usedBytes > policy.retain_bytes && deletedRequests > 0),
          oldest_ts: this.oldest.get() as number | null,
          used_bytes: usedBytes,
          held_for_replication: held,
        };
      })
      .immediate();
  }
}
