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
/** 64 MiB of 4 KiB pages: room for several of a big store's transactions. */
const WAL_CHECKPOINT_PAGES_MAX = 16_384;

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
  if (boundBytes <= 0) return WAL_CHECKPOINT_PAGES_MAX;
  const share = Math.floor(boundBytes / pageBytes / 16);
  return Math.min(WAL_CHECKPOINT_PAGES_MAX, Math.max(WAL_CHECKPOINT_PAGES_MIN, share));
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

export function applyWriterPragmas(db: Db): void {
  for (const pragma of WRITER_PRAGMAS) db.pragma(pragma);
}
