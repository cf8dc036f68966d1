// Flags every query command shares (--db, --proxy, --json) and opening the
// database read-only for them: a read never creates a database.

import { type Db, openReadConnection } from '../db/connection.js';
import { resolveDbPath } from '../paths.js';
import { parseWindowMs } from '../query/durations.js';
import { type FlagSpec, type ParsedFlags, stringFlag } from './flags.js';

export const COMMON_QUERY_FLAGS: FlagSpec = {
  db: { type: 'string' },
  proxy: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export function openQueryDb(flags: ParsedFlags): { db: Db; dbPath: string } {
  const dbPath = resolveDbPath(stringFlag(flags, 'db'));
  return { db: openReadConnection(dbPath), dbPath };
}

/** `--since` as a start time, with the command's default window. */
export function sinceMs(flags: ParsedFlags, fallback: string, nowMs: number): number {
  return nowMs - parseWindowMs(stringFlag(flags, 'since') ?? fallback);
}

export function write(text: string): void {
  process.stdout.write(text);
}
