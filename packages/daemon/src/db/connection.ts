// Opening the database to write it. Only the writer thread (and `store
// vacuum`, db/maintenance.ts) may create, migrate or write the file; every
// read goes through the query package's read-only connection, which also
// holds the settings both sides share.

import fs from 'node:fs';
import path from 'node:path';
import { BUSY_TIMEOUT_MS, CACHE_KIB, type Db } from '@mcpr-store/query';
import Database from 'better-sqlite3';

export type { Db } from '@mcpr-store/query';

/** mcpr's pragmas: WAL with NORMAL sync (durable across a process crash) and its page cache. */
export const WRITER_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  `cache_size = -${CACHE_KIB}`,
  'temp_store = MEMORY',
  `busy_timeout = ${BUSY_TIMEOUT_MS}`,
];

/**
 * `store vacuum` waits longer for the lock than the daemon's writer: it runs
 * beside a live daemon and should wait out a busy moment rather than fail.
 */
export const MAINTENANCE_BUSY_TIMEOUT_MS = 2 * BUSY_TIMEOUT_MS;

/**
 * The one read-write connection, for the writer thread. Creates the parent
 * folder. Pragmas are applied separately (`applyWriterPragmas`) so that a
 * file can be checked before anything, the WAL switch included, touches it.
 */
export function openWriteConnection(dbPath: string): Db {
  fs.mkdirSync(path.dirname(dbPath), { recursive: true, mode: 0o700 });
  const db = new Database(dbPath);
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return db;
}

export function applyWriterPragmas(db: Db): void {
  for (const pragma of WRITER_PRAGMAS) db.pragma(pragma);
}
