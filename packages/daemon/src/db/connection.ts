// Opening the database. The writer and the CLI open it differently on
// purpose: only the writer thread may create, migrate or write it; every
// read is a read-only connection that never creates a file by accident.

import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** mcpr's pragmas: WAL with NORMAL sync (durable across a process crash), 64 MB cache. */
export const WRITER_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'cache_size = -64000',
  'temp_store = MEMORY',
  'busy_timeout = 5000',
];

/**
 * The one read-write connection, for the writer thread. Creates the parent
 * folder. Pragmas are applied separately (`applyWriterPragmas`) so that a
 * file can be checked before anything, the WAL switch included, touches it.
 */
export function openWriteConnection(dbPath: string): Db {
  fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  const db = new Database(dbPath);
  db.pragma('busy_timeout = 5000');
  return db;
}

export function applyWriterPragmas(db: Db): void {
  for (const pragma of WRITER_PRAGMAS) db.pragma(pragma);
}

/** Thrown when a read finds no database; the CLI turns it into one line and exit 1. */
export class DatabaseMissingError extends Error {
  constructor(readonly dbPath: string) {
    super(`no database at ${dbPath} (start the daemon, or pass --db PATH or set MCPR_DB)`);
    this.name = 'DatabaseMissingError';
  }
}

/** A read-only connection for queries; never creates the file. */
export function openReadConnection(dbPath: string): Db {
  if (!fs.existsSync(dbPath)) throw new DatabaseMissingError(dbPath);
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.pragma('cache_size = -64000');
  // Percentiles and groupings sort; keep those sorts off the disk.
  db.pragma('temp_store = MEMORY');
  return db;
}
