// Opening the database to write it. Only the writer thread (and `store
// vacuum`, db/maintenance.ts) may create, migrate or write the file; every
// read goes through the query package's read-only connection, which also
// holds the settings both sides share.

import fs from 'node:fs';
import path from 'node:path';
import { BUSY_TIMEOUT_MS, CACHE_KIB, type Db } from '@mcpr-store/query';
import Database from 'better-sqlite3';

export type { Db } from '@mcpr-store/query';

/** The WAL file is cut back to this after a checkpoint that emptied it, so a spike does not stay on disk. */
const WAL_KEPT_BYTES = 64 * 1024 * 1024;

/** mcpr's pragmas: WAL with NORMAL sync (durable across a process crash) and its page cache; ours for the WAL's size. */
export const WRITER_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  `cache_size = -${CACHE_KIB}`,
  'temp_store = MEMORY',
  `busy_timeout = ${BUSY_TIMEOUT_MS}`,
  `journal_size_limit = ${WAL_KEPT_BYTES}`,
];

/** SQLite's own checkpoint interval, in WAL pages: what the daemon keeps under a small size bound. */
const WAL_CHECKPOINT_PAGES_MIN = 1_000;
/** Room for several of a big store's transactions, whatever the page size. */
const WAL_CHECKPOINT_BYTES_MAX = 64 * 1024 * 1024;

/**
 * Pages the WAL may hold before a commit checkpoints it. At SQLite's 1,000,
 * one busy transaction on a big store (each row on its own page of the
 * latency index) fills the WAL, so every commit checkpoints and writes each
 * page twice at once; with room for several transactions, a page dirtied
 * by several of them is copied into the database once (docs/performance.md,
 * "Ingest as the store grows"). The WAL is outside the file the size bounds
 * measure, so under a bound (the smaller of --retain-bytes and
 * --max-db-bytes, 0 for none) it may hold a sixteenth of it at most, and
 * never less than SQLite's own interval.
 */
export function walCheckpointPages(boundBytes: number, pageBytes: number): number {
  const most = Math.floor(WAL_CHECKPOINT_BYTES_MAX / pageBytes);
  if (boundBytes <= 0) return most;
  const share = Math.floor(boundBytes / pageBytes / 16);
  return Math.min(most, Math.max(WAL_CHECKPOINT_PAGES_MIN, share));
}

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

/** The page size of a file the daemon creates (a file property, not the schema's: mcpr's files keep theirs). */
export const NEW_FILE_PAGE_BYTES = 4096;

/**
 * Settings only a new, empty file can take, before its first table: its page
 * size, and incremental auto-vacuum (store vacuum and retention release
 * freed pages in small steps). A file that exists keeps its own.
 */
export function prepareNewFile(db: Db): void {
  db.pragma(`page_size = ${NEW_FILE_PAGE_BYTES}`);
  db.pragma('auto_vacuum = INCREMENTAL');
}

export function applyWriterPragmas(db: Db): void {
  for (const pragma of WRITER_PRAGMAS) db.pragma(pragma);
}
