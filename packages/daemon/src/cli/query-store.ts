// Asking a question of the store the flags name, on a read-only connection
// that is closed whatever happens (a read never creates a database). Apart
// from query-command.ts because it loads the query layer and SQLite, which
// a command answered by the daemon does without.

import { openStore, type Store } from '@mcpr-store/query';
import { resolveDbPath } from '../paths.js';
import { type ParsedFlags, stringFlag } from './flags.js';

/**
 * The store the flags name (a SQLite file, or PostgreSQL for a postgres://
 * URL), opened read-only; the caller closes it (follow mode keeps it).
 */
export function openQueryDb(flags: ParsedFlags): { db: Store; dbPath: string } {
  const dbPath = resolveDbPath(stringFlag(flags, 'db'));
  return { db: openStore(dbPath), dbPath };
}

/** Asks one question of the database the flags name, and closes it whatever happens. */
export function ask<T>(flags: ParsedFlags, question: (db: Store, dbPath: string) => T): T {
  const { db, dbPath } = openQueryDb(flags);
  try {
    return question(db, dbPath);
  } finally {
    db.close();
  }
}
