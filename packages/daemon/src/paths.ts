// Where the database and the socket live: an explicit flag, else the
// environment, else ~/.mcpr/. One function each so that the daemon, the CLI
// and the client resolve the same defaults (the socket's lives in protocol).

import os from 'node:os';
import path from 'node:path';
import { defaultSocketPath } from '@mcpr-store/protocol/fields';
import { isPostgresUrl } from '@mcpr-store/query/postgres-url';

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCPR_DB || path.join(os.homedir(), '.mcpr', 'store.db');
}

/** The database: a file's absolute path, or a `postgres://` URL as given (query commands read those). */
export function resolveDbPath(flag: string | undefined): string {
  const chosen = flag ?? defaultDbPath();
  return isPostgresUrl(chosen) ? chosen : path.resolve(chosen);
}

export function resolveSocketPath(flag: string | undefined): string {
  return path.resolve(flag ?? defaultSocketPath());
}

/**
 * The file beside a database where its daemon writes the token that query
 * commands present to be answered over the socket (mode 0600: only who can
 * read it is answered).
 */
export function queryTokenPath(dbPath: string): string {
  return `${dbPath}.query-token`;
}
