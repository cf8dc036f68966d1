// What replication keeps in the SQLite file, in mcpr's `meta` table under
// keys of our own: where this store's rows are shipped, the store's name
// there (its origin), and the cursor: the last request id and schema change
// id PostgreSQL has committed. Only the writer writes them, after
// PostgreSQL's commit, so after a crash the cursor is behind, never ahead,
// and the rows in between are shipped again (harmlessly: they are unique
// there). Retention reads the cursor to keep what is not shipped yet.

import os from 'node:os';
import type { Db } from '../db/connection.js';

const KEY = {
  target: 'mcpr_store_replication_target',
  origin: 'mcpr_store_replication_origin',
  requests: 'mcpr_store_replication_requests_id',
  schemaChanges: 'mcpr_store_replication_schema_changes_id',
} as const;

/** The last ids PostgreSQL committed, per table shipped in id order. */
export interface ReplicationCursor {
  requests_id: number;
  schema_changes_id: number;
}

export interface ReplicationStart {
  /** This store's name in PostgreSQL: its host and a random part, fixed for the file's life. */
  origin: string;
  cursor: ReplicationCursor;
}

function read(db: Db, key: string): string | undefined {
  return db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(key) as string | undefined;
}

function write(db: Db, key: string, value: string): void {
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

/**
 * The origin and cursor for shipping to `target` (a URL without password).
 * A new target starts from the first row: the cursor belongs to the
 * database it counted for.
 */
export function startReplication(db: Db, target: string): ReplicationStart {
  return db
    .transaction(() => {
      let origin = read(db, KEY.origin);
      if (origin === undefined) {
        origin = `${os.hostname()}-${Math.random().toString(16).slice(2, 10)}`;
        write(db, KEY.origin, origin);
      }
      if (read(db, KEY.target) !== target) {
        write(db, KEY.target, target);
        write(db, KEY.requests, '0');
        write(db, KEY.schemaChanges, '0');
      }
      return {
        origin,
        cursor: {
          requests_id: Number(read(db, KEY.requests) ?? 0),
          schema_changes_id: Number(read(db, KEY.schemaChanges) ?? 0),
        },
      };
    })
    .immediate();
}

/** Records what PostgreSQL committed. */
export function recordCursor(db: Db, cursor: ReplicationCursor): void {
  db.transaction(() => {
    write(db, KEY.requests, String(cursor.requests_id));
    write(db, KEY.schemaChanges, String(cursor.schema_changes_id));
  }).immediate();
}

/** The last request id shipped; 0 when none (or replication never ran). */
export function shippedRequestsThrough(db: Db): number {
  return Number(read(db, KEY.requests) ?? 0);
}
