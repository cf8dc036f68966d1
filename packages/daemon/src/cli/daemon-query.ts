// A query command asks the daemon that owns its store first: the daemon's
// query thread keeps its connection, statements and compiled code warm, so
// its answer comes sooner than a new process could open the store and
// compile the query layer. Asked only with the token the daemon wrote
// beside the database (whoever cannot read it is not answered), and never
// an error of the command: no daemon, another store's daemon, an older
// daemon, a refusal or a failed query all mean "answer it yourself", which
// then gives the command's own output and errors.
// The CLI's entry asks before the command's module has loaded (askFirst):
// the daemon works on the question while this process loads the rest.

import fs from 'node:fs';
import { isPostgresUrl } from '@mcpr-store/query/postgres-url';
import { queryTokenPath, resolveDbPath, resolveSocketPath } from '../paths.js';
import { requestQuery } from './daemon-question.js';
import type { ParsedFlags } from './flags.js';
import type { AnswerContext, QueryAnswer } from './query-command.js';

/** How long a query command waits for the daemon's welcome (its answer may then take as long as it takes). */
const DAEMON_WELCOME_TIMEOUT_MS = 1000;

/** A question asked before its command parsed its flags, waiting for that command. */
interface AskedFirst {
  route: string;
  argv: string[];
  dbPath: string;
  socketPath: string;
  answer: Promise<string | null>;
  withdraw: AbortController;
}

let askedFirst: AskedFirst | null = null;

/**
 * The daemon's route for a command and its arguments (the web API's name
 * for the same answer: schema's mode is part of it); null for a command the
 * daemon does not answer.
 */
export function daemonRoute(
  command: string,
  argv: string[],
): { route: string; argv: string[] } | null {
  if (command === 'status' || command === 'series') return { route: command, argv };
  if (command !== 'schema') return null;
  const mode = argv.includes('--unused') ? 'unused' : argv.includes('--changes') ? 'changes' : null;
  if (mode === null) return null;
  return {
    route: `schema/${mode}`,
    argv: argv.filter((arg) => arg !== '--changes' && arg !== '--unused'),
  };
}

/**
 * Asks the daemon `command`'s question from its bare arguments, before the
 * command's module has loaded and parsed them; answerFromDaemon hands the
 * answer to the command when it asks the same of the same store. The store
 * and socket come from a lenient reading of --db and --socket: where the
 * command's strict parse reads otherwise, it asks again, so a misreading
 * costs time and never gives another store's answer. Resolves once the
 * question is written (or cannot be): the caller loads the command then,
 * so that loading does not hold back the socket's connect callback.
 */
export function askFirst(command: string, argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return Promise.resolve();
  const routed = daemonRoute(command, argv);
  if (routed === null) return Promise.resolve();
  const context = {
    nowMs: Date.now(),
    dbPath: resolveDbPath(flagValue(argv, 'db')),
    socketPath: resolveSocketPath(flagValue(argv, 'socket')),
  };
  const token = tokenFor(context);
  if (token === null) return Promise.resolve();
  const withdraw = new AbortController();
  return new Promise((sent) => {
    const answer = queryDaemon(routed.route, routed.argv, context, token, {
      signal: withdraw.signal,
      onSent: sent,
    });
    // Not sent at all (no daemon answers there): the caller goes on too.
    void answer.finally(sent);
    askedFirst = {
      ...routed,
      dbPath: context.dbPath,
      socketPath: context.socketPath,
      answer,
      withdraw,
    };
  });
}

/**
 * The last value of `--name VALUE` or `--name=VALUE` before any `--`: a
 * lenient reading (the command's own parse is strict), without loading
 * node:util's parser before the question is out.
 */
function flagValue(argv: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (arg === `--${name}`) value = argv[i + 1];
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  }
  return value;
}

/**
 * Withdraws a question askFirst asked that no command took (it stopped at a
 * bad flag, or printed its help): its open connection would otherwise keep
 * the process waiting for the answer.
 */
export function withdrawUntaken(): void {
  askedFirst?.withdraw.abort();
  askedFirst = null;
}

/**
 * The daemon's answer to `route`'s command with `argv` (the command's
 * arguments), as the command's --json text; null when the command must
 * answer itself. Taken from the question askFirst asked when it is the same.
 */
export function answerFromDaemon(
  route: string,
  argv: string[],
  context: AnswerContext,
): Promise<string | null> {
  const first = askedFirst;
  askedFirst = null;
  if (
    first !== null &&
    first.route === route &&
    first.dbPath === context.dbPath &&
    first.socketPath === context.socketPath &&
    first.argv.length === argv.length &&
    first.argv.every((arg, i) => arg === argv[i])
  ) {
    return first.answer;
  }
  first?.withdraw.abort();
  const token = tokenFor(context);
  return token === null ? Promise.resolve(null) : queryDaemon(route, argv, context, token);
}

/** The token to present to the daemon of `context`'s store; null when there is none to ask. */
function tokenFor(context: Pick<AnswerContext, 'dbPath' | 'socketPath'>): string | null {
  if (isPostgresUrl(context.dbPath) || !fs.existsSync(context.socketPath)) return null;
  try {
    return fs.readFileSync(queryTokenPath(context.dbPath), 'utf8');
  } catch {
    return null;
  }
}

async function queryDaemon(
  route: string,
  argv: string[],
  context: Pick<AnswerContext, 'nowMs' | 'socketPath'>,
  token: string,
  options: { signal?: AbortSignal; onSent?: () => void } = {},
): Promise<string | null> {
  try {
    const outcome = await requestQuery(
      context.socketPath,
      { route, argv, now_ms: context.nowMs, token },
      { timeoutMs: DAEMON_WELCOME_TIMEOUT_MS, client: `mcpr-store ${route}`, ...options },
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
