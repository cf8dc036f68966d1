// A query command asks the daemon that owns its store first: the daemon's
// query thread keeps its connection, statements and compiled code warm, so
// its answer comes sooner than a new process could open the store and
// compile the query layer. Asked only with the token the daemon wrote
// beside the database (whoever cannot read it is not answered), and never
// an error of the command: no daemon, another store's daemon, an older
// daemon, a refusal or a failed query all mean "answer it yourself", which
// then gives the command's own output and errors.

import fs from 'node:fs';
import { isPostgresUrl } from '@mcpr-store/query/postgres-url';
import { queryTokenPath } from '../paths.js';
import type { ParsedFlags } from './flags.js';
import type { AnswerContext, QueryAnswer } from './query-command.js';

/** How long a query command waits for the daemon's welcome (its answer may then take as long as it takes). */
const DAEMON_WELCOME_TIMEOUT_MS = 1000;

/**
 * The daemon's answer to `route`'s command with `argv` (the command's
 * arguments), as the command's --json text; null when the command must
 * answer itself.
 */
export async function answerFromDaemon(
  route: string,
  argv: string[],
  context: AnswerContext,
): Promise<string | null> {
  if (isPostgresUrl(context.dbPath) || !fs.existsSync(context.socketPath)) return null;
  let token: string;
  try {
    token = fs.readFileSync(queryTokenPath(context.dbPath), 'utf8');
  } catch {
    return null;
  }
  const { requestQuery } = await import('./daemon-question.js');
  try {
    const outcome = await requestQuery(
      context.socketPath,
      { route, argv, now_ms: context.nowMs, token },
      { timeoutMs: DAEMON_WELCOME_TIMEOUT_MS, client: `mcpr-store ${route}` },
    );
    return outcome.json ?? null;
  } catch {
    return null;
  }
}

/**
 * The daemon's answer to `route`'s command, parsed; else the answer `load`
 * gives, asked of the store by this process (loading the query layer only
 * then). For answers that are not promises: the store is closed once asked.
 */
export async function answerOf<T>(
  route: string,
  argv: string[],
  flags: ParsedFlags,
  context: AnswerContext,
  load: () => Promise<QueryAnswer<T>>,
): Promise<T> {
  const json = await answerFromDaemon(route, argv, context);
  if (json !== null) return JSON.parse(json) as T;
  const [answer, { ask }] = await Promise.all([load(), import('./query-store.js')]);
  return ask(flags, (db) => answer.answer(flags, db, context));
}
