// Between the sockets and the writer thread. Client batches wait here and
// leave in transactions that close on size or age; while the writer commits
// one transaction, the next one gathers, so under load transactions grow by
// themselves. A full transaction gathered meanwhile goes to the writer at
// once, to wait there: the writer starts it the moment it finishes, without
// waiting for this (busy) thread to hand it over. A client batch is settled
// (acked) only after the transaction holding it committed. A failed write
// puts its batches back in arrival order and retries with backoff: nothing
// is acked that is not on disk, and nothing is dropped. What the queue holds
// is bounded: above the bound it asks the server to stop reading sockets
// until the writer catches up.

import type { ColumnBatch } from '../writer/column-batch.js';
import { emptyOutcome, type TransactionOutcome } from '../writer/transaction-writer.js';
import { type ClientBatch, settleBatches } from './client-batch.js';

export interface WriterPort {
  /** Writes the batches' events, in order, in one transaction. */
  write(batches: ColumnBatch[]): Promise<TransactionOutcome>;
}

export interface TransactionQueueOptions {
  /** A transaction closes when it holds this many events... */
  transactionMaxEvents: number;
  /** ...or when its oldest event has waited this long. */
  transactionDelayMs: number;
  /** Above this many events held (waiting and in flight), reading stops. */
  maxHeldEvents: number;
  /** Above this many frame bytes held, reading stops. */
  maxHeldBytes: number;
  /** First retry delay after a failed write; doubles up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
}

export interface TransactionListener {
  /** Reading must stop (true) or may resume (false). */
  onPressure(paused: boolean): void;
  onCommitted(outcome: TransactionOutcome, events: number, batches: number): void;
  onWriteFailed(error: Error, retryInMs: number): void;
  onRecovered(): void;
}

/** Transactions handed over at once: one being written, one waiting in the writer. */
const MAX_TRANSACTIONS_IN_FLIGHT = 2;

interface TransactionInFlight {
  batches: ClientBatch[];
  events: number;
  bytes: number;
}

export class TransactionQueue {
  private pending: ClientBatch[] = [];
  /** Order of arrival, so that failed batches go back where they were. */
  private readonly arrival = new WeakMap<ClientBatch, number>();
  private arrivals = 0;
  private pendingEvents = 0;
  private pendingBytes = 0;
  private firstPendingAt = 0;
  /** Oldest first; the writer answers them in this order. */
  private inFlight: TransactionInFlight[] = [];
  private inFlightEvents = 0;
  private inFlightBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelayMs = 0;
  private failing = false;
  private paused = false;
  private flushAll = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly writer: WriterPort,
    private readonly options: TransactionQueueOptions,
    private readonly listener: TransactionListener,
  ) {}

  get heldEvents(): number {
    return this.pendingEvents + this.inFlightEvents;
  }

  get heldBytes(): number {
    return this.pendingBytes + this.inFlightBytes;
  }

  get readingPaused(): boolean {
    return this.paused;
  }

  get writeFailing(): boolean {
    return this.failing;
  }

  submit(batch: ClientBatch): void {
    if (this.pending.length === 0) this.firstPendingAt = Date.now();
    this.arrival.set(batch, this.arrivals);
    this.arrivals += 1;
    this.pending.push(batch);
    this.pendingEvents += batch.columns.count;
    this.pendingBytes += batch.bytes;
    this.updatePressure();
    this.schedule();
  }

  /** Writes everything held now and later submitted, without waiting for transactions to fill. */
  drain(): Promise<void> {
    this.flushAll = true;
    this.schedule();
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops timers; client batches still held are left unacked (their clients keep them). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.timer = null;
    this.retryTimer = null;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private isIdle(): boolean {
    return this.pending.length === 0 && this.inFlight.length === 0;
  }

  private schedule(): void {
    if (this.retryTimer || this.pending.length === 0) return;
    if (this.inFlight.length > 0) {
      // The writer is busy: only a full transaction is handed over ahead
      // (not while writes fail); anything less keeps gathering until it is done.
      if (
        this.inFlight.length < MAX_TRANSACTIONS_IN_FLIGHT &&
        !this.failing &&
        this.pendingEvents >= this.options.transactionMaxEvents
      ) {
        this.dispatch();
      }
      return;
    }
    const waitedMs = Date.now() - this.firstPendingAt;
    if (
      this.flushAll ||
      this.pendingEvents >= this.options.transactionMaxEvents ||
      waitedMs >= this.options.transactionDelayMs
    ) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.dispatch();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.schedule();
      }, this.options.transactionDelayMs - waitedMs);
    }
  }

  private dispatch(): void {
    const batches: ClientBatch[] = [];
    let events = 0;
    let bytes = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as ClientBatch;
      if (batches.length > 0 && events + next.columns.count > this.options.transactionMaxEvents)
        break;
      batches.push(next);
      this.pending.shift();
      events += next.columns.count;
      bytes += next.bytes;
    }
    this.pendingEvents -= events;
    this.pendingBytes -= bytes;
    if (this.pending.length > 0) this.firstPendingAt = Date.now();
    const transaction: TransactionInFlight = { batches, events, bytes };
    this.inFlight.push(transaction);
    this.inFlightEvents += events;
    this.inFlightBytes += bytes;
    const written =
      events === 0
        ? Promise.resolve(emptyOutcome())
        : this.writer.write(batches.map((batch) => batch.columns));
    written.then(
      (outcome) => this.committed(transaction, outcome),
      (error: unknown) => this.failed(transaction, asError(error)),
    );
  }

  private committed(transaction: TransactionInFlight, outcome: TransactionOutcome): void {
    this.settled(transaction);
    if (this.failing) {
      this.failing = false;
      this.retryDelayMs = 0;
      this.listener.onRecovered();
    }
    if (transaction.events > 0) {
      this.listener.onCommitted(outcome, transaction.events, transaction.batches.length);
    }
    settleBatches(transaction.batches, outcome);
    this.afterTransaction();
  }

  private failed(transaction: TransactionInFlight, error: Error): void {
    this.settled(transaction);
    // Back among the waiting batches in arrival order: the retry writes the
    // same events in the same order, a transaction handed over after this
    // one (and failed too) included.
    this.pending = [...transaction.batches, ...this.pending].sort(
      (a, b) => (this.arrival.get(a) as number) - (this.arrival.get(b) as number),
    );
    this.pendingEvents += transaction.events;
    this.pendingBytes += transaction.bytes;
    this.failing = true;
    this.retryDelayMs = Math.min(
      this.options.retryMaxMs,
      this.retryDelayMs === 0 ? this.options.retryMinMs : this.retryDelayMs * 2,
    );
    this.listener.onWriteFailed(error, this.retryDelayMs);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.schedule();
    }, this.retryDelayMs);
    this.afterTransaction();
  }

  /** Takes an answered transaction out of the writer's hands. */
  private settled(transaction: TransactionInFlight): void {
    const at = this.inFlight.indexOf(transaction);
    if (at >= 0) this.inFlight.splice(at, 1);
    this.inFlightEvents -= transaction.events;
    this.inFlightBytes -= transaction.bytes;
  }

  private afterTransaction(): void {
    this.updatePressure();
    // Whatever gathered while the writer was busy leaves at once: under load
    // the writer never idles, and transactions grow with the load by themselves.
    if (this.pending.length > 0 && !this.retryTimer && this.inFlight.length === 0) {
      if (this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
      this.dispatch();
    }
    this.schedule();
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private updatePressure(): void {
    const over =
      this.heldEvents > this.options.maxHeldEvents || this.heldBytes > this.options.maxHeldBytes;
    const under =
      this.heldEvents <= this.options.maxHeldEvents / 2 &&
      this.heldBytes <= this.options.maxHeldBytes / 2;
    if (!this.paused && over) {
      this.paused = true;
      this.listener.onPressure(true);
    } else if (this.paused && under) {
      this.paused = false;
      this.listener.onPressure(false);
    }
  }
}

/** Errors from the writer thread may arrive as plain objects; keep message and code. */
function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  const fields = (value ?? {}) as { message?: unknown; code?: unknown };
  const error = new Error(typeof fields.message === 'string' ? fields.message : String(value));
  if (typeof fields.code === 'string') (error as Error & { code: string }).code = fields.code;
  return error;
}
