// Opening the database to read it. Only the daemon's writer thread may
// create, migrate or write the file; every question is asked on a
// read-only connection that never creates a file by accident. The
// connection settings both sides share (mcpr's) are here too, one home for
// each.

import fs from 'node:fs';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** How long a statement waits for another connection's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;
/** SQLite's page cache per connection, in KiB (mcpr's 64 MB). */
export const CACHE_KIB = 64_000;

/** A read found no database where it looked. */
export class DatabaseMissingError extends Error {
  constructor(readonly dbPath: string) {
    super(`no database at ${dbPath}`);
    this.name = 'DatabaseMissingError';
  }
}

/** A read-only connection for queries; never creates the file. */
export function openReadConnection(dbPath: string): Db {
  if (!fs.existsSync(dbPath)) throw new DatabaseMissingError(dbPath);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma(`cache_size = -${CACHE_KIB}`);
  // Percentiles and groupings sort; keep those sorts off the disk.
  db.pragma('temp_store = MEMORY');
  return db;
}
