// The socket the client connects to by default: the daemon's default, so a
// proxy and a daemon started with no configuration find each other.

import os from 'node:os';
import path from 'node:path';

export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCPR_STORE_SOCKET || path.join(os.homedir(), '.mcpr', 'store.sock');
}
