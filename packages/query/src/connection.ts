// Opening the database to read it. Only the daemon's writer thread may
// create, migrate or write the file; every question is asked on a
// read-only connection that never creates a file by accident, or of a
// read-only PostgreSQL session where daemons replicate (openStore takes
// either). The connection settings both sides share (mcpr's) are here
// too, one home for each.

import fs from 'node:fs';
import Database from 'better-sqlite3';
import { PostgresStore } from './postgres-store.js';
import { isPostgresUrl, postgresUrlProblem, redactPostgresUrl } from './postgres-url.js';
import { keepSettledRollups } from './settled-rollups.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

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

/** A file is there but cannot be read as a database: says which file and why. */
export class DatabaseUnreadableError extends Error {
  constructor(
    readonly dbPath: string,
    reason: string,
  ) {
    super(`cannot read the database ${dbPath}: ${reason}`);
    this.name = 'DatabaseUnreadableError';
  }
}

/** What is wrong with `dbPath`, in words, from the error SQLite or the system gave. */
export function describeOpenFailure(dbPath: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // An error that crossed from the writer thread keeps its code only in its text.
  const code = (error as { code?: string }).code ?? /^(SQLITE_[A-Z_]+):/.exec(message)?.[1] ?? '';
  try {
    if (fs.statSync(dbPath).isDirectory()) return 'it is a directory, not a file';
  } catch {
    // Gone or unreachable: SQLite's own words below say which.
  }
  if (code === 'SQLITE_NOTADB') return 'it is not an SQLite database';
  if (code === 'SQLITE_CORRUPT') return 'the file is damaged (SQLite reports it corrupt)';
  if (code.startsWith('SQLITE_CANTOPEN') || code === 'EACCES') {
    return `it cannot be opened (${message}); check that it exists and its permissions`;
  }
  if (code.startsWith('SQLITE_READONLY')) return `it is read-only (${message})`;
  return message;
}

/** A read-only connection for queries; never creates the file. */
export function openReadConnection(dbPath: string): Db {
  if (!fs.existsSync(dbPath)) throw new DatabaseMissingError(dbPath);
  let db: Db | null = null;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma(`cache_size = -${CACHE_KIB}`);
    // Percentiles and groupings sort; keep those sorts off the disk.
    db.pragma('temp_store = MEMORY');
    // Opening is lazy: this first read is where a file that is no database fails.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db?.close();
    throw new DatabaseUnreadableError(dbPath, describeOpenFailure(dbPath, error));
  }
}

/**
 * The store `location` names, opened to read: PostgreSQL for a
 * `postgres://` URL, else the SQLite file (read-only; never created).
 * `longLived`: a server that asks many questions, which keeps the settled
 * rollup rows it reads (settled-rollups.ts).
 */
export function openStore(location: string, options: { longLived?: boolean } = {}): Store {
  if (isPostgresUrl(location)) {
    const problem = postgresUrlProblem(location);
    if (problem) throw new DatabaseUnreadableError(redactPostgresUrl(location), problem);
    return new PostgresStore(location);
  }
  const db = openReadConnection(location);
  if (options.longLived) keepSettledRollups(db);
  return new SqliteStore(db);
}
