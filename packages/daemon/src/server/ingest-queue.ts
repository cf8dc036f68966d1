// Between the sockets and the writer thread. Client batches ("units") wait
// here and leave in writer batches that close on size or age; while the
// writer commits one batch, the next one gathers, so under load batches grow
// by themselves. A full batch gathered meanwhile goes to the writer at once,
// to wait there: the writer starts it the moment it finishes, without
// waiting for this (busy) thread to hand it over. A unit is settled (acked)
// only after the transaction holding it committed. A failed write puts its
// units back in arrival order and retries with backoff: nothing is acked
// that is not on disk, and nothing is dropped. What the queue holds is
// bounded: above the bound it asks the server to stop reading sockets until
// the writer catches up.

import type { AckMessage, RejectedEvent } from '@mcpr-store/protocol';
import type { BatchOutcome } from '../writer/batch-writer.js';
import type { WriterBatch } from '../writer/writer-batch.js';

/** One client batch after validation. */
export interface IngestUnit {
  seq: number;
  /**
   * The valid events, in batch order, packed as they arrive: what waits here
   * is a few compact arrays, not thousands of objects for the collector.
   */
  events: WriterBatch;
  /** For each valid event, its index in the client's batch. */
  indexes: number[];
  /** Events refused by validation (index in the client's batch, reason). */
  rejected: RejectedEvent[];
  /** Frame size, for the memory bound. */
  bytes: number;
  /** Called once the unit is settled. */
  settle(ack: AckMessage): void;
}

export interface BatchWriterPort {
  /** Writes the batches' events, in order, in one transaction. */
  write(batches: WriterBatch[]): Promise<BatchOutcome>;
}

export interface IngestQueueOptions {
  /** A writer batch closes when it holds this many events... */
  batchMaxEvents: number;
  /** ...or when its oldest event has waited this long. */
  batchDelayMs: number;
  /** Above this many events held (waiting and in flight), reading stops. */
  maxHeldEvents: number;
  /** Above this many frame bytes held, reading stops. */
  maxHeldBytes: number;
  /** First retry delay after a failed write; doubles up to retryMaxMs. */
  retryMinMs: number;
  retryMaxMs: number;
}

export interface IngestListener {
  /** Reading must stop (true) or may resume (false). */
  onPressure(paused: boolean): void;
  onCommitted(outcome: BatchOutcome, events: number, units: number): void;
  onWriteFailed(error: Error, retryInMs: number): void;
  onRecovered(): void;
}

/** Writer batches handed over at once: one being written, one waiting in the writer. */
const MAX_WRITER_BATCHES = 2;

interface WriterBatchInFlight {
  units: IngestUnit[];
  events: number;
  bytes: number;
}

export class IngestQueue {
  private pending: IngestUnit[] = [];
  /** Order of arrival, so that failed batches go back where they were. */
  private readonly arrival = new WeakMap<IngestUnit, number>();
  private arrivals = 0;
  private pendingEvents = 0;
  private pendingBytes = 0;
  private firstPendingAt = 0;
  /** Oldest first; the writer answers them in this order. */
  private inFlight: WriterBatchInFlight[] = [];
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
    private readonly writer: BatchWriterPort,
    private readonly options: IngestQueueOptions,
    private readonly listener: IngestListener,
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

  submit(unit: IngestUnit): void {
    if (this.pending.length === 0) this.firstPendingAt = Date.now();
    this.arrival.set(unit, this.arrivals);
    this.arrivals += 1;
    this.pending.push(unit);
    this.pendingEvents += unit.events.count;
    this.pendingBytes += unit.bytes;
    this.updatePressure();
    this.schedule();
  }

  /** Writes everything held now and later submitted, without waiting for batches to fill. */
  drain(): Promise<void> {
    this.flushAll = true;
    this.schedule();
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops timers; units still held are left unacked (their clients keep them). */
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
      // The writer is busy: only a full batch is handed over ahead (not
      // while writes fail); anything less keeps gathering until it is done.
      if (
        this.inFlight.length < MAX_WRITER_BATCHES &&
        !this.failing &&
        this.pendingEvents >= this.options.batchMaxEvents
      ) {
        this.dispatch();
      }
      return;
    }
    const waitedMs = Date.now() - this.firstPendingAt;
    if (
      this.flushAll ||
      this.pendingEvents >= this.options.batchMaxEvents ||
      waitedMs >= this.options.batchDelayMs
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
      }, this.options.batchDelayMs - waitedMs);
    }
  }

  private dispatch(): void {
    const units: IngestUnit[] = [];
    let events = 0;
    let bytes = 0;
    while (this.pending.length > 0) {
      const next = this.pending[0] as IngestUnit;
      if (units.length > 0 && events + next.events.count > this.options.batchMaxEvents) break;
      units.push(next);
      this.pending.shift();
      events += next.events.count;
      bytes += next.bytes;
    }
    this.pendingEvents -= events;
    this.pendingBytes -= bytes;
    if (this.pending.length > 0) this.firstPendingAt = Date.now();
    const batch: WriterBatchInFlight = { units, events, bytes };
    this.inFlight.push(batch);
    this.inFlightEvents += events;
    this.inFlightBytes += bytes;
    const written =
      events === 0
        ? Promise.resolve<BatchOutcome>({
            committed: 0,
            duplicate_positions: [],
            rejected: [],
            commit_us: 0,
          })
        : this.writer.write(units.map((unit) => unit.events));
    written.then(
      (outcome) => this.committed(batch, outcome),
      (error: unknown) => this.failed(batch, asError(error)),
    );
  }

  private committed(batch: WriterBatchInFlight, outcome: BatchOutcome): void {
    this.settled(batch);
    if (this.failing) {
      this.failing = false;
      this.retryDelayMs = 0;
      this.listener.onRecovered();
    }
    if (batch.events > 0) this.listener.onCommitted(outcome, batch.events, batch.units.length);
    settleUnits(batch.units, outcome);
    this.afterBatch();
  }

  private failed(batch: WriterBatchInFlight, error: Error): void {
    this.settled(batch);
    // Back among the waiting units in arrival order: the retry writes the
    // same events in the same order, a batch handed over after this one
    // (and failed too) included.
    this.pending = [...batch.units, ...this.pending].sort(
      (a, b) => (this.arrival.get(a) as number) - (this.arrival.get(b) as number),
    );
    this.pendingEvents += batch.events;
    this.pendingBytes += batch.bytes;
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
    this.afterBatch();
  }

  /** Takes an answered batch out of the writer's hands. */
  private settled(batch: WriterBatchInFlight): void {
    const at = this.inFlight.indexOf(batch);
    if (at >= 0) this.inFlight.splice(at, 1);
    this.inFlightEvents -= batch.events;
    this.inFlightBytes -= batch.bytes;
  }

  private afterBatch(): void {
    this.updatePressure();
    // Whatever gathered while the writer was busy leaves at once: under load
    // the writer never idles, and batches grow with the load by themselves.
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

/** Maps the writer's flat outcome back onto each client batch and acks it. */
function settleUnits(units: IngestUnit[], outcome: BatchOutcome): void {
  const duplicates = new Set(outcome.duplicate_positions);
  const refused = new Map(outcome.rejected.map((r) => [r.position, r.reason]));
  let position = 0;
  for (const unit of units) {
    let committed = 0;
    let duplicateCount = 0;
    const rejected = [...unit.rejected];
    for (let i = 0; i < unit.events.count; i += 1, position += 1) {
      const reason = refused.get(position);
      if (reason !== undefined) {
        rejected.push({ index: unit.indexes[i] as number, reason });
        continue;
      }
      committed += 1;
      if (duplicates.has(position)) duplicateCount += 1;
    }
    rejected.sort((a, b) => a.index - b.index);
    unit.settle({ type: 'ack', seq: unit.seq, committed, duplicates: duplicateCount, rejected });
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
