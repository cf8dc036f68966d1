// One shipment: what the shipper reads from SQLite past its cursor, in
// mcpr's column order, for a target to write in one transaction (all or
// nothing, so the cursor that follows it is exact).

import type { Db } from '../db/connection.js';
import type { ReplicationCursor } from '../writer/replication-meta.js';

export const REQUEST_COLUMNS = [
  'request_id',
  'ts',
  'proxy',
  'session_id',
  'method',
  'tool',
  'latency_us',
  'status',
  'error_code',
  'error_msg',
  'bytes_in',
  'bytes_out',
] as const;
export const SESSION_COLUMNS = [
  'session_id',
  'proxy',
  'started_at',
  'last_seen_at',
  'ended_at',
  'client_name',
  'client_version',
  'client_platform',
  'total_calls',
  'total_errors',
] as const;
export const SESSION_TYPES = [
  'text',
  'text',
  'bigint',
  'bigint',
  'bigint',
  'text',
  'text',
  'text',
  'bigint',
  'bigint',
];
export const SCHEMA_COLUMNS = [
  'proxy',
  'upstream_url',
  'method',
  'payload',
  'captured_at',
  'schema_hash',
] as const;
export const CHANGE_COLUMNS = [
  'proxy',
  'upstream_url',
  'method',
  'change_type',
  'item_name',
  'old_hash',
  'new_hash',
  'detected_at',
] as const;

export type Row = unknown[];

export interface Shipment {
  /** Request rows (REQUEST_COLUMNS then the SQLite id), in id order. */
  requests: Row[];
  /** Session rows (SESSION_COLUMNS), each session once. */
  sessions: Row[];
  /** Snapshot rows (SCHEMA_COLUMNS); empty when none changed. */
  snapshots: Row[];
  /** Schema change rows (CHANGE_COLUMNS then the SQLite id), in id order. */
  changes: Row[];
  /** The cursor once PostgreSQL has committed this shipment. */
  cursor: ReplicationCursor;
}

export function isEmpty(shipment: Shipment): boolean {
  return (
    shipment.requests.length === 0 &&
    shipment.sessions.length === 0 &&
    shipment.snapshots.length === 0 &&
    shipment.changes.length === 0
  );
}

/** How much one shipment carries at most. */
export interface ShipmentLimits {
  requests: number;
  sessions: number;
  changes: number;
}

/** Reads shipments from the SQLite file, on the shipper's own read-only connection. */
export class ShipmentReader {
  private readonly requestsAfter;
  private readonly sessionsByIds;
  private readonly sessionsAfterRowid;
  private readonly snapshots;
  private readonly changesAfter;
  private readonly maxRequestId;
  private readonly firstUnshipped;

  constructor(db: Db) {
    this.requestsAfter = db
      .prepare(
        `SELECT ${REQUEST_COLUMNS.join(', ')}, id FROM requests WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .raw();
    this.sessionsByIds = db
      .prepare(
        `SELECT ${SESSION_COLUMNS.join(', ')} FROM sessions
         WHERE session_id IN (SELECT value FROM json_each(?))`,
      )
      .raw();
    this.sessionsAfterRowid = db
      .prepare(
        `SELECT ${SESSION_COLUMNS.join(', ')}, rowid FROM sessions WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      )
      .raw();
    this.snapshots = db.prepare(`SELECT ${SCHEMA_COLUMNS.join(', ')} FROM server_schema`).raw();
    this.changesAfter = db
      .prepare(
        `SELECT ${CHANGE_COLUMNS.join(', ')}, id FROM schema_changes WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .raw();
    this.maxRequestId = db.prepare('SELECT MAX(id) FROM requests').pluck();
    this.firstUnshipped = db
      .prepare('SELECT ts FROM requests WHERE id > ? ORDER BY id LIMIT 1')
      .pluck();
  }

  /**
   * The next shipment after `cursor`: requests and schema changes past it,
   * the sessions of those requests and those in `sessionIds`, and every
   * snapshot when `withSnapshots`.
   */
  read(
    cursor: ReplicationCursor,
    sessionIds: Iterable<string>,
    withSnapshots: boolean,
    limits: ShipmentLimits,
  ): Shipment {
    const requests = this.requestsAfter.all(cursor.requests_id, limits.requests) as Row[];
    const ids = new Set(sessionIds);
    for (const row of requests) if (row[3] !== null) ids.add(row[3] as string);
    const sessions =
      ids.size > 0 ? (this.sessionsByIds.all(JSON.stringify([...ids])) as Row[]) : [];
    const changes = this.changesAfter.all(cursor.schema_changes_id, limits.changes) as Row[];
    return {
      requests,
      sessions,
      snapshots: withSnapshots ? (this.snapshots.all() as Row[]) : [],
      changes,
      cursor: {
        requests_id: requests.length > 0 ? (requests.at(-1)?.at(-1) as number) : cursor.requests_id,
        schema_changes_id:
          changes.length > 0 ? (changes.at(-1)?.at(-1) as number) : cursor.schema_changes_id,
      },
    };
  }

  /** Up to `limit` sessions after `rowid` (the sweep at start); the last rowid, or null when done. */
  sweepSessions(rowid: number, limit: number): { sessions: Row[]; next: number | null } {
    const rows = this.sessionsAfterRowid.all(rowid, limit) as Row[];
    return {
      sessions: rows.map((row) => row.slice(0, SESSION_COLUMNS.length)),
      next: rows.length < limit ? null : (rows.at(-1)?.at(-1) as number),
    };
  }

  /** Requests past the cursor, and the time of the oldest of them (null when none). */
  lag(cursor: ReplicationCursor): { rows: number; oldest_ts: number | null } {
    const max = (this.maxRequestId.get() as number | null) ?? 0;
    const oldest = (this.firstUnshipped.get(cursor.requests_id) as number | undefined) ?? null;
    return { rows: Math.max(0, max - cursor.requests_id), oldest_ts: oldest };
  }
}
