// The web page's API: GET /api/COMMAND?FLAG=VALUE answers exactly what
// `mcpr-store COMMAND --FLAG VALUE --json` prints (JSON Lines as one array),
// from the same answer definitions the CLI uses. Query parameters are the
// CLI's flags without dashes, parsed as strictly as on the command line;
// the database and the socket are the server's own, never a parameter.

import type { Store } from '@mcpr-store/query';
import { type FlagSpec, parseFlags } from '../cli/flags.js';
import { HEALTH } from '../cli/health-command.js';
import { LOGS, SLOW } from '../cli/logs-command.js';
import { type AnswerContext, COMMON_QUERY_FLAGS, type QueryAnswer } from '../cli/query-command.js';
import { SCHEMA, SCHEMA_CHANGES, SCHEMA_UNUSED } from '../cli/schema-answer.js';
import { SERIES } from '../cli/series-answer.js';
import { CLIENTS, SESSION, SESSIONS } from '../cli/sessions-command.js';
import { STATUS } from '../cli/status-answer.js';
import { STORE_STATS } from '../cli/store-command.js';
import { UsageError } from '../cli/usage-error.js';

/** Each API path under /api/ and the command whose --json it answers. */
export const API_ROUTES: Record<string, { command: string; answer: QueryAnswer }> = {
  logs: { command: 'logs', answer: LOGS },
  slow: { command: 'slow', answer: SLOW },
  sessions: { command: 'sessions', answer: SESSIONS },
  session: { command: 'session', answer: SESSION },
  clients: { command: 'clients', answer: CLIENTS },
  status: { command: 'status', answer: STATUS },
  series: { command: 'series', answer: SERIES },
  schema: { command: 'schema', answer: SCHEMA },
  'schema/changes': { command: 'schema --changes', answer: SCHEMA_CHANGES },
  'schema/unused': { command: 'schema --unused', answer: SCHEMA_UNUSED },
  'store/stats': { command: 'store stats', answer: STORE_STATS },
  health: { command: 'health', answer: HEALTH },
};

/** Flags that name the server's files or change how the CLI prints: never a parameter. */
const SERVER_FLAGS = new Set(['db', 'socket', 'json', 'help', 'follow']);

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 404,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** `route` (the path after /api/) as its answer and the CLI argv its parameters make. */
export function resolveApiRequest(
  route: string,
  params: URLSearchParams,
): { answer: QueryAnswer; command: string; argv: string[] } {
  let name = route;
  const positionals: string[] = [];
  if (route.startsWith('session/')) {
    name = 'session';
    positionals.push(decodeURIComponent(route.slice('session/'.length)));
  }
  const found = API_ROUTES[name];
  if (!found || (name === 'session' && positionals.length === 0)) {
    throw new ApiError(
      404,
      `no such API: /api/${route} (one of ${Object.keys(API_ROUTES).join(', ')})`,
    );
  }
  const spec: FlagSpec = { ...COMMON_QUERY_FLAGS, ...found.answer.flags };
  const argv: string[] = [];
  for (const [key, value] of params) {
    const flag = spec[key];
    if (!flag || SERVER_FLAGS.has(key)) {
      throw new ApiError(400, `unknown parameter "${key}" for ${found.command}`);
    }
    if (flag.type === 'boolean') {
      if (value === 'false') continue;
      if (value !== '' && value !== 'true') {
        throw new ApiError(400, `parameter "${key}" is true or false, not "${value}"`);
      }
      argv.push(`--${key}`);
    } else {
      argv.push(`--${key}=${value}`);
    }
  }
  return { answer: found.answer, command: found.command, argv: [...argv, '--', ...positionals] };
}

/** The answer to one API request; bad parameters throw ApiError. */
export async function answerApi(
  route: string,
  params: URLSearchParams,
  db: Store,
  context: AnswerContext,
): Promise<unknown> {
  const { answer, command, argv } = resolveApiRequest(route, params);
  try {
    return await answerCommand(answer, command, argv, db, context);
  } catch (error) {
    const name = (error as Error).name;
    if (error instanceof UsageError) throw new ApiError(400, error.message);
    if (name === 'QueryError') {
      const notFound = (error as { code?: string }).code === 'ERR_SESSION_NOT_FOUND';
      throw new ApiError(notFound ? 404 : 400, (error as Error).message);
    }
    throw error;
  }
}

/**
 * The answer of `route`'s command to its CLI arguments (a query asked of the
 * daemon over its socket). Throws what the command would: UsageError,
 * QueryError, ApiError(404) for a route that is not a query command's.
 */
export async function answerRoute(
  route: string,
  argv: string[],
  db: Store,
  context: AnswerContext,
): Promise<unknown> {
  const found = API_ROUTES[route];
  if (!found || found.answer === HEALTH) {
    throw new ApiError(404, `no query command answers "${route}"`);
  }
  return answerCommand(found.answer, found.command, argv, db, context);
}

function answerCommand(
  answer: QueryAnswer,
  command: string,
  argv: string[],
  db: Store,
  context: AnswerContext,
): Promise<unknown> {
  const flags = parseFlags(command, argv, { ...COMMON_QUERY_FLAGS, ...answer.flags });
  return Promise.resolve(answer.answer(flags, db, context));
}
