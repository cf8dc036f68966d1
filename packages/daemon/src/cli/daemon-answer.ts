// What the running daemon says of itself, for query commands that show it
// beside the data (status's running proxies, store stats' retention
// policy). Asked over the socket with a short timeout (unless the answer is
// made in the daemon, which knows); a daemon that is not there is an answer
// too (null), never an error of the command.

import fs from 'node:fs';
import type { HealthReport } from '@mcpr-store/protocol/fields';
import type { AnswerContext } from './query-command.js';

/** How long a query command waits for the daemon's word. */
const DAEMON_ANSWER_TIMEOUT_MS = 1000;

/** The daemon's health report, or null when no daemon answers on the context's socket. */
export async function askDaemon(
  { socketPath, daemon }: AnswerContext,
  client: string,
): Promise<HealthReport | null> {
  if (daemon !== undefined) return daemon;
  // Only a socket that is there is worth the client library's start-up.
  if (!fs.existsSync(socketPath)) return null;
  const { requestHealth } = await import('./daemon-question.js');
  try {
    return await requestHealth(socketPath, { timeoutMs: DAEMON_ANSWER_TIMEOUT_MS, client });
  } catch {
    return null;
  }
}
