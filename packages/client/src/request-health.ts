// One question to the daemon, for tools rather than proxies: connect, say
// hello, ask for the health report, hang up. It uses the same connection
// code as StoreClient, so `mcpr-store health` checks exactly the path the
// proxies use. No retry: a monitor wants "nothing answers" at once.

import type { HealthReport } from '@mcpr-store/protocol';
import { DaemonConnection } from './daemon-connection.js';
import { CLIENT_ERROR_CODES, StoreClientError } from './errors.js';

/**
 * The daemon's health report; rejects with a StoreClientError
 * (ERR_DAEMON_UNREACHABLE, ERR_HEALTH_TIMEOUT, ERR_DAEMON_ERROR, ...) when
 * nothing sensible answers.
 */
export function requestHealth(
  socketPath: string,
  options: { timeoutMs?: number; client?: string } = {},
): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error: StoreClientError | null, health?: HealthReport) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      connection.close();
      if (error) reject(error);
      else resolve(health as HealthReport);
    };
    const connection = new DaemonConnection(
      {
        socketPath,
        hello: { client: options.client ?? '@mcpr-store/client requestHealth' },
        reconnectMinMs: 1,
        reconnectMaxMs: 1,
        keepAlive: true,
      },
      {
        onWelcome: () => connection.write({ type: 'health', id: 1 }),
        onAck: () => {},
        onHealth: (answer) => finish(null, answer.health),
        onDrain: () => {},
        onProblem: (error) => finish(error),
        onDisconnected: () =>
          finish(
            new StoreClientError(
              CLIENT_ERROR_CODES.DAEMON_UNREACHABLE,
              `the daemon at ${socketPath} closed the connection`,
            ),
          ),
      },
    );
    const timer = setTimeout(
      () =>
        finish(
          new StoreClientError(
            CLIENT_ERROR_CODES.HEALTH_TIMEOUT,
            `no answer within ${timeoutMs} ms from ${socketPath}`,
          ),
        ),
      timeoutMs,
    );
    connection.ensureConnected();
  });
}
