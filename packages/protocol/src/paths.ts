// Where a daemon and its clients meet when nobody says: the socket's
// default, the one fact every side must agree on, so a proxy and a daemon
// started with no configuration find each other.

import os from 'node:os';
import path from 'node:path';

/** $MCPR_STORE_SOCKET, else ~/.mcpr/store.sock. */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCPR_STORE_SOCKET || path.join(os.homedir(), '.mcpr', 'store.sock');
}
