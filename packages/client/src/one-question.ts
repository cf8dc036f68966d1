// One question to the daemon, for tools rather than proxies: connect, say
// hello with the question right behind it (the daemon reads its messages in
// order, so one round trip does), take the answer, hang up. It uses the
// same connection code as StoreClient, so `mcpr-store health` checks
// exactly the path the proxies use. No retry: a monitor wants "nothing
// answers" at once, and a query command that gets no answer reads the
// store itself.

import type { ControlMessage, HealthReport, QueryRequestMessage } from '@mcpr-store/protocol';
import { type ConnectionListener, DaemonConnection } from './daemon-connection.js';
import { CLIENT_ERROR_CODES, StoreClientError } from './errors.js';

interface QuestionOptions {
  timeoutMs?: number;
  client?: string;
  /** Withdraws the question: the connection closes and the promise rejects with ERR_CLOSED. */
  signal?: AbortSignal;
  /** Called once the question is written to the socket (a caller may then get on with other work). */
  onSent?: () => void;
}

interface Question<T> {
  message: ControlMessage;
  /** Where the connection's listener hears the answer. */
  hear: (settle: (answer: T) => void) => Partial<ConnectionListener>;
  defaultClient: string;
  /**
   * `timeoutMs` bounds only the wait for the daemon's welcome: a query may
   * take long, and is worth its wait once the daemon is known to answer.
   * Otherwise it bounds the whole exchange.
   */
  patientAfterWelcome: boolean;
}

function askOnce<T>(
  socketPath: string,
  options: QuestionOptions,
  question: Question<T>,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 3000;
  return new Promise((resolve, reject) => {
    let done = false;
    const withdrawn = () =>
      finish(new StoreClientError(CLIENT_ERROR_CODES.CLOSED, 'the question was withdrawn'));
    const finish = (error: StoreClientError | null, answer?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', withdrawn);
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
    const connection = new DaemonConnection(
      {
        socketPath,
        hello: { client: options.client ?? question.defaultClient },
        afterHello: question.message,
        reconnectMinMs: 1,
        reconnectMaxMs: 1,
        keepAlive: true,
      },
      {
        onWelcome: () => {
          if (question.patientAfterWelcome) clearTimeout(timer);
        },
        onAck: () => {},
        onHealth: () => {},
        onDrain: () => {},
        onHelloWritten: options.onSent,
        onProblem: (error) => finish(error),
        onDisconnected: () =>
          finish(
            new StoreClientError(
              CLIENT_ERROR_CODES.DAEMON_UNREACHABLE,
              `the daemon at ${socketPath} closed the connection`,
            ),
          ),
        ...question.hear((answer) => finish(null, answer)),
      },
    );
    if (options.signal?.aborted) {
      withdrawn();
      return;
    }
    options.signal?.addEventListener('abort', withdrawn);
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
  return askOnce<HealthReport>(socketPath, options, {
    message: { type: 'health', id: 1 },
    hear: (settle) => ({ onHealth: (answer) => settle(answer.health) }),
    defaultClient: '@mcpr-store/client requestHealth',
    patientAfterWelcome: false,
  });
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
  return askOnce(socketPath, options, {
    message: { type: 'query', id: 1, ...query },
    hear: (settle) => ({
      onQueryResult: (answer) => settle({ json: answer.json, error: answer.error }),
    }),
    defaultClient: '@mcpr-store/client requestQuery',
    patientAfterWelcome: true,
  });
}
