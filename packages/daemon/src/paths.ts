// Where the database and the socket live: an explicit flag, else the
// environment, else ~/.mcpr/. One function each so that the daemon, the CLI
// and the client resolve the same defaults.

import os from 'node:os';
import path from 'node:path';

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCPR_DB || path.join(os.homedir(), '.mcpr', 'store.db');
}

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCPR_STORE_SOCKET || path.join(os.homedir(), '.mcpr', 'store.sock');
}

export function resolveDbPath(flag: string | undefined): string {
  return path.resolve(flag ?? defaultDbPath());
}

export function resolveSocketPath(flag: string | undefined): string {
  return path.resolve(flag ?? defaultSocketPath());
}
