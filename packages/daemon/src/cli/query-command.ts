// What every query command shares: the common flags (--db, --proxy, --json,
// --help) and printing the answer as JSON or for people. The questions
// themselves live in @mcpr-store/query, answered once for the CLI and the
// web page; asking them of the store is query-store.ts's, which loads the
// query layer, so that a command the daemon answers (daemon-query.ts)
// never loads it.

import type { HealthReport } from '@mcpr-store/protocol/fields';
import type { Store } from '@mcpr-store/query';
import { resolveDbPath, resolveSocketPath } from '../paths.js';
import { parseWindowMs } from './durations.js';
import { booleanFlag, type FlagSpec, type ParsedFlags, parseFlags, stringFlag } from './flags.js';
import { jsonLines } from './format.js';

/** What an answer may need beyond its flags and the database. */
export interface AnswerContext {
  nowMs: number;
  /** The database file (store stats reports its size). */
  dbPath: string;
  /** The daemon's socket, for answers that include what the running daemon says. */
  socketPath: string;
  /**
   * What the daemon says of itself, when the answer is made in the daemon
   * (its query thread): then nobody needs to ask it over the socket.
   */
  daemon?: HealthReport;
}

/**
 * A query command's answer: exactly what it prints with --json (a list for
 * JSON Lines), from its parsed flags. The CLI prints it; the web page's API
 * serves it.
 */
export interface QueryAnswer<T = unknown> {
  /** The command's own flags, beside the common ones. */
  flags: FlagSpec;
  /** Takes one positional argument (session ID). */
  positional?: true;
  /** The answer, or a promise of it for answers that ask the daemon too. */
  answer: (flags: ParsedFlags, db: Store, context: AnswerContext) => T;
}

/** The context of a command run from the CLI: now, and the paths its flags name. */
export function cliContext(flags: ParsedFlags): AnswerContext {
  return {
    nowMs: Date.now(),
    dbPath: resolveDbPath(stringFlag(flags, 'db')),
    socketPath: resolveSocketPath(stringFlag(flags, 'socket')),
  };
}

export const COMMON_QUERY_FLAGS: FlagSpec = {
  db: { type: 'string' },
  proxy: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** A query command's flags (the common ones and `extra`); null once `--help` has printed `help`. */
export function queryFlags(
  command: string,
  argv: string[],
  extra: FlagSpec,
  help: string,
): ParsedFlags | null {
  const flags = parseFlags(command, argv, { ...COMMON_QUERY_FLAGS, ...extra });
  if (booleanFlag(flags, 'help')) {
    write(help);
    return null;
  }
  return flags;
}

/** With --json: one object, or JSON Lines for a list. Returns whether it printed. */
export function printJson(flags: ParsedFlags, answer: unknown): boolean {
  if (!booleanFlag(flags, 'json')) return false;
  write(Array.isArray(answer) ? jsonLines(answer) : `${JSON.stringify(answer)}\n`);
  return true;
}

/** `--since` as a start time, with the command's default window. */
export function sinceMs(flags: ParsedFlags, fallback: string, nowMs: number): number {
  return nowMs - parseWindowMs(stringFlag(flags, 'since') ?? fallback);
}

export function write(text: string): void {
  process.stdout.write(text);
}
