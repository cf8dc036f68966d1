// One question to the daemon, for tools rather than proxies: connect, say
// hello, ask, take the answer, hang up. It uses the same connection code as
// StoreClient, so `mcpr-store health` checks exactly the path the proxies
// use. No retry: a monitor wants "nothing answers" at once, and a query
// command that gets no answer reads the store itself.

import type { ControlMessage, HealthReport, QueryRequestMessage } from '@mcpr-store/protocol';
import { type ConnectionListener, DaemonConnection } from './daemon-connection.js';
import { CLIENT_ERROR_CODES, StoreClientError } from './errors.js';

interface QuestionOptions {
  timeoutMs?: number;
  client?: string;
}

/** The question's part of the connection's listener: what to send once welcomed, and what answers. */
type Answered<T> = (
  write: (message: ControlMessage) => void,
  settle: (answer: T) => void,
) => Pick<ConnectionListener, 'onWelcome'> & Partial<ConnectionListener>;

/**
 * Asks once. `timeoutMs` bounds the whole exchange, or only the time until
 * the daemon's welcome when `patientAfterWelcome` (a query may take long
 * and is worth its wait once the daemon is known to answer).
 */
function askOnce<T>(
  socketPath: string,
  options: QuestionOptions & { defaultClient: string; patientAfterWelcome: boolean },
  answered: Answered<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error: StoreClientError | null, answer?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      connection.close();
      if (error) reject(error);
      else resolve(answer as T);
    };
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
    const question = answered(
      (message) => connection.write(message),
      (answer) => finish(null, answer),
    );
    const connection = new DaemonConnection(
      {
        socketPath,
        hello: { client: options.client ?? options.defaultClient },
        reconnectMinMs: 1,
        reconnectMaxMs: 1,
        keepAlive: true,
      },
      {
        onAck: () => {},
        onHealth: () => {},
        onDrain: () => {},
        onProblem: (error) => finish(error),
        onDisconnected: () =>
          finish(
            new StoreClientError(
              CLIENT_ERROR_CODES.DAEMON_UNREACHABLE,
              `the daemon at ${socketPath} closed the connection`,
            ),
          ),
        ...question,
        onWelcome: (welcome, reconnected) => {
          if (options.patientAfterWelcome) clearTimeout(timer);
          question.onWelcome(welcome, reconnected);
        },
      },
    );
    connection.ensureConnected();
  });
}

/**
 * The daemon's health report; rejects with a StoreClientError
 * (ERR_DAEMON_UNREACHABLE, ERR_HEALTH_TIMEOUT, ERR_DAEMON_ERROR, ...) when
 * nothing sensible answers.
 */
export function requestHealth(
  socketPath: string,
  options: QuestionOptions = {},
): Promise<HealthReport> {
  return askOnce<HealthReport>(
    socketPath,
    { ...options, defaultClient: '@mcpr-store/client requestHealth', patientAfterWelcome: false },
    (write, settle) => ({
      onWelcome: () => write({ type: 'health', id: 1 }),
      onHealth: (answer) => settle(answer.health),
    }),
  );
}

/**
 * A query command's answer from the daemon that owns the store: its --json
 * text, or the daemon's reason for not answering (`error`). `timeoutMs`
 * bounds the wait for the daemon's welcome only. Rejects as requestHealth
 * does when nothing sensible answers.
 */
export function requestQuery(
  socketPath: string,
  query: Omit<QueryRequestMessage, 'type' | 'id'>,
  options: QuestionOptions = {},
): Promise<{ json?: string; error?: string }> {
  return askOnce(
    socketPath,
    { ...options, defaultClient: '@mcpr-store/client requestQuery', patientAfterWelcome: true },
    (write, settle) => ({
      onWelcome: () => write({ type: 'query', id: 1, ...query }),
      onQueryResult: (answer) => settle({ json: answer.json, error: answer.error }),
    }),
  );
}
