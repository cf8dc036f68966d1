// The store on PostgreSQL, where daemons replicate (schema `mcpr`). The
// query layer is synchronous, as better-sqlite3 is, and asks several
// statements per answer; PostgreSQL's drivers are asynchronous. So the
// connection lives in a worker thread (postgres-thread.ts) and each
// statement waits for its answer with Atomics.wait, reading it from the
// thread's port as soon as it is there: one set of query definitions for
// both databases, at the cost of a round trip per statement. Read-only:
// the session refuses writes. Named parameters (`@name`) become `$n`.

import { createRequire } from 'node:module';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { DatabaseUnreadableError } from './connection.js';
import { describePostgresError } from './postgres-errors.js';
import { redactPostgresUrl } from './postgres-url.js';
import type { Dialect, Params, Store } from './store.js';

/** How long one statement may take before the command gives up. */
const STATEMENT_TIMEOUT_MS = 120_000;

/**
 * The thread's file, found by this package's name rather than next to this
 * module: the CLI bundles the query layer into files of its own, where a
 * path relative to the module would point elsewhere.
 */
const THREAD_FILE = createRequire(import.meta.url).resolve('@mcpr-store/query/postgres-thread');

export interface ThreadRequest {
  sql: string;
  values: unknown[];
}
export type ThreadAnswer =
  | { ok: true; rows: Record<string, unknown>[] }
  | { ok: false; code: string | undefined; message: string; connecting: boolean };

/** `@name` placeholders as `$1`, `$2`, ... (one number per name), outside quoted text. */
export function numberedParameters(sql: string, params: Params): ThreadRequest {
  const order = new Map<string, number>();
  const values: unknown[] = [];
  const text = sql.replace(/'(?:[^']|'')*'|"[^"]*"|@([A-Za-z_][A-Za-z0-9_]*)/g, (match, name) => {
    if (name === undefined) return match;
    let n = order.get(name);
    if (n === undefined) {
      if (!(name in params)) throw new Error(`no value for the parameter @${name}`);
      values.push(params[name]);
      n = values.length;
      order.set(name, n);
    }
    return `$${n}`;
  });
  return { sql: text, values };
}

export class PostgresStore implements Store {
  readonly dialect: Dialect = 'postgres';
  readonly sqlite = null;
  private readonly worker: Worker;
  private readonly port;
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private depth = 0;

  /** Connects (and checks schema mcpr is there) before returning; throws DatabaseUnreadableError. */
  constructor(private readonly url: string) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(THREAD_FILE, {
      workerData: { url, port: port2, signal: this.signal },
      transferList: [port2],
    });
    this.worker.unref();
    this.call({ sql: '', values: [] });
  }

  private call(request: ThreadRequest): Record<string, unknown>[] {
    Atomics.store(this.signal, 0, 0);
    this.worker.postMessage(request);
    const waited = Atomics.wait(this.signal, 0, 0, STATEMENT_TIMEOUT_MS);
    const received = receiveMessageOnPort(this.port);
    if (waited === 'timed-out' || !received) {
      throw new DatabaseUnreadableError(
        redactPostgresUrl(this.url),
        `PostgreSQL gave no answer within ${STATEMENT_TIMEOUT_MS / 1000} s`,
      );
    }
    const answer = received.message as ThreadAnswer;
    if (answer.ok) return answer.rows;
    const described = describePostgresError(
      { code: answer.code, message: answer.message },
      this.url,
    );
    if (answer.connecting)
      throw new DatabaseUnreadableError(redactPostgresUrl(this.url), described);
    throw new Error(described);
  }

  all<T>(sql: string, params: Params = {}): T[] {
    return this.call(numberedParameters(sql, params)) as T[];
  }

  get<T>(sql: string, params: Params = {}): T | undefined {
    return this.all<T>(sql, params)[0];
  }

  snapshot<T>(read: () => T): T {
    if (this.depth > 0) return read();
    this.call({ sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', values: [] });
    this.depth += 1;
    try {
      return read();
    } finally {
      this.depth -= 1;
      this.call({ sql: 'COMMIT', values: [] });
    }
  }

  close(): void {
    void this.worker.terminate();
  }
}
