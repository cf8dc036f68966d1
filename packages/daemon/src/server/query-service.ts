// Query commands answered over the socket. A client proves it may read the
// store by presenting the token this service writes beside the database
// (mode 0600) when the daemon starts: the socket may be open to a group of
// proxies that send events, and sending events is no licence to read
// them. Queries run in a thread of their own (query-thread.ts), started at
// the first one and kept; its memory is bounded, and when it fails or dies
// the question is refused with a reason and the client answers it itself.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { HealthReport, QueryRequestMessage } from '@mcpr-store/protocol';
import type { Logger } from '../log.js';
import { queryTokenPath } from '../paths.js';
import type { QueryOutcome, QueryThreadReply, QueryThreadSettings } from './query-messages.js';

/** Questions waiting for the query thread beyond this many are refused (the client answers them). */
const MAX_WAITING_QUERIES = 64;
/** The query thread's heap; past it only the thread dies, never the daemon. */
const QUERY_THREAD_HEAP_MB = 512;

export class QueryService {
  private readonly token: Buffer;
  private readonly tokenPath: string;
  private worker: Worker | null = null;
  private readonly waiting = new Map<number, (outcome: QueryOutcome) => void>();
  private nextId = 1;

  /** Writes a new token beside the database (replacing a dead daemon's). */
  constructor(
    private readonly settings: QueryThreadSettings,
    private readonly health: () => HealthReport,
    private readonly log: Logger,
  ) {
    this.token = Buffer.from(randomBytes(32).toString('hex'));
    this.tokenPath = queryTokenPath(settings.db_path);
    // Written whole under another name, then renamed: a reader never sees
    // part of it. Created anew ('wx'), never through a link someone left there.
    const partPath = `${this.tokenPath}.${process.pid}`;
    fs.rmSync(partPath, { force: true });
    fs.writeFileSync(partPath, this.token, { mode: 0o600, flag: 'wx' });
    fs.renameSync(partPath, this.tokenPath);
  }

  /** The answer to a client's query, or why there is none. */
  async answer(message: QueryRequestMessage): Promise<QueryOutcome> {
    const startedMs = Date.now();
    const outcome = await this.ask(message);
    this.log.debug(outcome.error === undefined ? 'query answered' : 'query not answered', {
      route: message.route,
      ms: Date.now() - startedMs,
      ...(outcome.error === undefined ? {} : { reason: outcome.error }),
    });
    return outcome;
  }

  private ask(message: QueryRequestMessage): Promise<QueryOutcome> {
    const presented = Buffer.from(message.token);
    if (presented.length !== this.token.length || !timingSafeEqual(presented, this.token)) {
      return Promise.resolve({
        error: `wrong token: read it from ${this.tokenPath}, or answer the query yourself`,
      });
    }
    if (this.waiting.size >= MAX_WAITING_QUERIES) {
      return Promise.resolve({
        error: `${this.waiting.size} queries are waiting already; answer this one yourself`,
      });
    }
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      worker.postMessage({
        id,
        route: message.route,
        argv: message.argv,
        now_ms: message.now_ms,
        health: this.health(),
      });
    });
  }

  private start(): Worker {
    const worker = new Worker(new URL('./query-thread.js', import.meta.url), {
      workerData: this.settings,
      resourceLimits: { maxOldGenerationSizeMb: QUERY_THREAD_HEAP_MB },
    });
    // Never what keeps the daemon running.
    worker.unref();
    worker.on('message', (reply: QueryThreadReply) => {
      const resolve = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      resolve?.(reply.error === undefined ? { json: reply.json } : { error: reply.error });
    });
    worker.on('error', (error) => {
      this.log.warn('the query thread failed; the next query starts another', {
        error: error.message,
      });
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      for (const resolve of this.waiting.values()) {
        resolve({ error: 'the query thread stopped; answer this one yourself' });
      }
      this.waiting.clear();
    });
    this.worker = worker;
    return worker;
  }

  /** Stops the thread and removes the token: no client is answered after this. */
  async close(): Promise<void> {
    fs.rmSync(this.tokenPath, { force: true });
    await this.worker?.terminate();
  }
}
