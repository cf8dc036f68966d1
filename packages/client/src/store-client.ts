// StoreClient: what a proxy holds to report its traffic. record() is
// synchronous, never throws and never waits: it fills in ids and times and
// writes the event's MessagePack into a bounded queue. Everything else
// happens off the proxy's path on timers and socket events, in three parts:
// this facade (the queue, the drop policy, send scheduling, flush and
// health waiters, stats), the connection (daemon-connection.ts: the socket,
// the handshake, reconnecting) and the batches in flight (in-flight.ts:
// unacknowledged batches, resent in order after a reconnect). The socket and
// timers are unref'd: the client never keeps a process alive by itself,
// and problems surface as 'error' events and in stats(), never as throws.

import { EventEmitter } from 'node:events';
import {
  type AckMessage,
  BATCH_BODY_OVERHEAD_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  decodeBody,
  type EventInput,
  encodeBatchFrame,
  eventAsMap,
  FRAME_HEADER_BYTES,
  type HealthReport,
  type HealthResponseMessage,
  MAX_BATCH_EVENTS,
  type WelcomeMessage,
} from '@mcpr-store/protocol';
import { DaemonConnection } from './daemon-connection.js';
import {
  CLIENT_ERROR_CODES,
  REJECTION_CODES,
  type RejectionCode,
  StoreClientError,
} from './errors.js';
import { EventEncoder } from './event-encoding.js';
import { EventQueue } from './event-queue.js';
import { FramePool } from './frame-pool.js';
import { batchEvents, InFlightBatches, type UnackedBatch } from './in-flight.js';
import { type ResolvedOptions, resolveOptions, type StoreClientOptions } from './options.js';
import { uuidv7 } from './uuidv7.js';

export type { StoreClientOptions } from './options.js';

/** An event as it went on the wire (or as it was given, when it could not be encoded). */
export type WireEvent = Record<string, unknown>;

/** An event that was not stored, and why. */
export interface RejectionRecord {
  code: RejectionCode;
  reason: string;
  event: WireEvent;
}

export interface StoreClientStats {
  /** Recorded, not yet sent. */
  queued: number;
  /** Sent, not yet acked. */
  in_flight: number;
  committed: number;
  duplicates: number;
  rejected: number;
  dropped: number;
  /** Connections re-established after the first one. */
  reconnects: number;
  /** Connected and welcomed by the daemon now (false after close()). */
  connected: boolean;
  /** The last rejections, newest last (at most 20). */
  last_rejections: RejectionRecord[];
  /** The current problem, null once the daemon answers again. */
  last_error: string | null;
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
}

const KEEP_REJECTIONS = 20;

function closedError(call: string): StoreClientError {
  return new StoreClientError(
    CLIENT_ERROR_CODES.CLOSED,
    `${call}() after close(): the client is closed`,
  );
}

export class StoreClient extends EventEmitter {
  readonly socketPath: string;
  readonly proxy: string;
  private readonly options: ResolvedOptions;

  private readonly queue: EventQueue;
  private readonly encoder: EventEncoder;
  private readonly frames: FramePool;
  private readonly inFlight = new InFlightBatches();
  private readonly connection: DaemonConnection;
  /** Record number of the oldest queued event; queued events are consecutive. */
  private queueHead = 0;
  private recorded = 0;

  /** The connection's generation, counted here: a batch sent on an older one is resent. */
  private generation = 0;
  /** Whether the daemon reads requests as arrays (protocol version 2); false until welcomed. */
  private positionalEvents = false;
  private maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private maxBatchEvents = MAX_BATCH_EVENTS;
  private batchTimer: NodeJS.Timeout | null = null;
  private sendPending = false;
  private closed = false;

  private committed = 0;
  private duplicates = 0;
  private rejected = 0;
  private dropped = 0;
  private droppedReported = 0;
  private reconnects = 0;
  private lastError: string | null = null;
  private readonly rejections: RejectionRecord[] = [];
  private flushWaiters: FlushWaiter[] = [];
  private nextHealthId = 1;
  private readonly healthWaiters = new Map<number, (health: HealthReport) => void>();

  /** Throws a TypeError naming the option when an option is invalid. */
  constructor(options: StoreClientOptions) {
    super();
    this.options = resolveOptions(options);
    this.socketPath = this.options.socketPath;
    this.proxy = this.options.proxy;
    this.encoder = new EventEncoder(this.proxy);
    this.queue = new EventQueue(this.options.maxQueueEvents);
    this.queue.writer.maxStringLength = this.maxFrameBytes;
    this.frames = new FramePool(Math.min(this.options.maxInFlightBatches, 8));
    this.connection = new DaemonConnection(
      {
        socketPath: this.socketPath,
        hello: {
          ...this.options.describe,
          client_id: uuidv7(),
          client: '@mcpr-store/client',
          proxy: this.proxy,
          pid: process.pid,
        },
        reconnectMinMs: this.options.reconnectMinMs,
        reconnectMaxMs: this.options.reconnectMaxMs,
      },
      {
        onWelcome: (welcome, reconnected) => this.welcomed(welcome, reconnected),
        onAck: (ack) => this.acked(ack),
        onHealth: (answer) => this.healthAnswered(answer),
        onDrain: () => this.sendBatches(true),
        onProblem: (error) => this.noteProblem(error),
        onDisconnected: () => this.disconnected(),
      },
    );
  }

  /** Queues one event. Synchronous; never throws, never waits. */
  record(event: EventInput): void {
    try {
      if (this.closed) {
        this.dropped += 1;
        return;
      }
      const queue = this.queue;
      const from = queue.begin();
      try {
        this.encoder.write(queue.writer, event, Date.now());
      } catch (error) {
        queue.abandon(from);
        this.reject(
          event as unknown as WireEvent,
          REJECTION_CODES.NOT_ENCODABLE,
          `event cannot be encoded: ${(error as Error).message}`,
        );
        return;
      }
      const held = this.inFlight.events;
      if (queue.length + held >= this.options.maxQueueEvents && queue.dropOldest()) {
        this.queueHead += 1;
        this.dropped += 1;
      }
      if (queue.length + held >= this.options.maxQueueEvents) {
        // Everything held is in flight: the new event is the one that cannot fit.
        queue.abandon(from);
        this.dropped += 1;
        return;
      }
      this.recorded += 1;
      if (queue.length === 0) this.queueHead = this.recorded - 1;
      queue.commit(from);
      this.scheduleSend();
    } catch (error) {
      this.fault(error);
    }
  }

  /**
   * Resolves once every event recorded before the call has been answered by
   * the daemon (committed or rejected); rejects with ERR_FLUSH_TIMEOUT on
   * timeout and ERR_CLOSED after close().
   */
  flush(timeoutMs = this.options.timeoutMs): Promise<void> {
    if (this.closed) return Promise.reject(closedError('flush'));
    const target = this.recorded - 1;
    if (this.settledThrough(target)) return Promise.resolve();
    this.connection.ensureConnected();
    this.sendBatches(true);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter);
        const waiting = this.queue.length + this.inFlight.events;
        reject(
          new StoreClientError(
            CLIENT_ERROR_CODES.FLUSH_TIMEOUT,
            `flush timed out after ${timeoutMs} ms with ${waiting} events unanswered` +
              (this.lastError ? ` (last problem: ${this.lastError})` : ''),
          ),
        );
      }, timeoutMs);
      const waiter: FlushWaiter = {
        target,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.flushWaiters.push(waiter);
    });
  }

  /** Flushes (up to the timeout), then disconnects. Never rejects; a second call does nothing. */
  async close(timeoutMs = this.options.timeoutMs): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush(timeoutMs);
    } catch (error) {
      this.fault(error);
    }
    if (this.closed) return;
    this.closed = true;
    this.dropped += this.queue.length + this.inFlight.clear();
    this.queue.clear();
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.connection.close();
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
  }

  /**
   * Asks the daemon for its health report; rejects with ERR_HEALTH_TIMEOUT
   * when nothing answers in time and ERR_CLOSED after close().
   */
  health(timeoutMs = this.options.timeoutMs): Promise<HealthReport> {
    if (this.closed) return Promise.reject(closedError('health'));
    this.connection.ensureConnected();
    return new Promise((resolve, reject) => {
      const id = this.nextHealthId++;
      const timer = setTimeout(() => {
        this.healthWaiters.delete(id);
        reject(
          new StoreClientError(
            CLIENT_ERROR_CODES.HEALTH_TIMEOUT,
            `no health answer within ${timeoutMs} ms from ${this.socketPath}` +
              (this.lastError ? ` (${this.lastError})` : ''),
          ),
        );
      }, timeoutMs);
      this.healthWaiters.set(id, (health) => {
        clearTimeout(timer);
        resolve(health);
      });
      // Not connected yet: welcomed() asks for every health still waiting.
      if (this.connection.ready) this.connection.write({ type: 'health', id });
    });
  }

  stats(): StoreClientStats {
    return {
      queued: this.queue.length,
      in_flight: this.inFlight.events,
      committed: this.committed,
      duplicates: this.duplicates,
      rejected: this.rejected,
      dropped: this.dropped,
      reconnects: this.reconnects,
      connected: this.connection.ready,
      last_rejections: [...this.rejections],
      last_error: this.lastError,
    };
  }

  // ── sending ──────────────────────────────────────────────────────────

  private scheduleSend(): void {
    this.connection.ensureConnected();
    if (!this.connection.ready) return;
    if (this.queue.length >= this.options.batchMaxEvents) {
      // Framing and writing happen after the proxy's current task, never
      // inside record().
      this.sendSoon();
    } else if (!this.batchTimer) {
      this.batchTimer = setTimeout(this.sendOnTimer, this.options.batchDelayMs);
      this.batchTimer.unref();
    }
  }

  // The callbacks of scheduleSend and sendSoon are made once, here: a
  // closure made inside either would have V8 allocate a context for `this`
  // on every call, that is on every record(), whether it is needed or not.
  private readonly sendOnTimer = (): void => {
    this.batchTimer = null;
    this.sendBatches(true);
  };

  private readonly sendNextBatch = (): void => {
    this.sendPending = false;
    this.sendBatches(false, 1);
    // More full batches go on the next turns; a full window or socket
    // waits for an ack or 'drain' instead of spinning.
    if (
      this.queue.length >= this.options.batchMaxEvents &&
      this.connection.ready &&
      this.connection.writable &&
      this.inFlight.size < this.options.maxInFlightBatches
    ) {
      this.sendSoon();
    }
  };

  /**
   * Sends one full batch per turn of the event loop, so a proxy that records
   * in bursts never sees one long task of framing and writing.
   */
  private sendSoon(): void {
    if (this.sendPending) return;
    this.sendPending = true;
    setImmediate(this.sendNextBatch).unref();
  }

  /** Sends queued events in batches (at most `maxBatches`) while the window and the socket allow. */
  private sendBatches(includePartial: boolean, maxBatches = Number.POSITIVE_INFINITY): void {
    const connection = this.connection;
    if (!connection.ready || !connection.writable) return;
    this.sendDroppedReport();
    const batchMaxEvents = this.options.batchMaxEvents;
    const maxInFlight = this.options.maxInFlightBatches;
    let sent = 0;
    while (this.queue.length > 0 && this.inFlight.size < maxInFlight && connection.writable) {
      if (!includePartial && this.queue.length < batchMaxEvents) break;
      if (sent >= maxBatches) break;
      sent += 1;
      const maxBodyBytes = this.maxFrameBytes - BATCH_BODY_OVERHEAD_BYTES;
      const first = this.queueHead;
      const taken = this.queue.take(Math.min(batchMaxEvents, this.maxBatchEvents), maxBodyBytes);
      this.queueHead += taken.count;
      if (taken.bytes > maxBodyBytes) {
        this.rejectTooLarge(eventAsMap(decodeBody(Buffer.concat(taken.parts))));
        this.settleFlushes();
        continue;
      }
      const seq = this.inFlight.takeSeq();
      const batch: UnackedBatch = {
        seq,
        frame: encodeBatchFrame(seq, taken.count, taken.parts, (bytes) => this.frames.take(bytes)),
        count: taken.count,
        first,
        last: first + taken.count - 1,
        sentOn: -1,
        positional: true,
      };
      this.inFlight.add(batch);
      this.sendBatch(batch);
    }
    if (this.queue.length > 0 && !this.batchTimer && this.inFlight.size < maxInFlight) {
      this.scheduleSend();
    }
  }

  private sendBatch(batch: UnackedBatch): void {
    // A daemon of protocol version 1 reads maps only.
    if (!this.positionalEvents) this.inFlight.asMaps(batch);
    if (batch.frame.length - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      // Encoded for a daemon that took larger frames than this one does.
      const { halves, lone } = this.inFlight.split(batch);
      if (lone !== null) this.rejectTooLarge(lone);
      for (const half of halves) this.sendBatch(half);
      this.settleFlushes();
      return;
    }
    batch.sentOn = this.generation;
    this.connection.writeFrame(batch.frame);
  }

  /** One event larger than any frame: the daemon could never take it. */
  private rejectTooLarge(event: unknown): void {
    this.reject(
      event as WireEvent,
      REJECTION_CODES.TOO_LARGE,
      `event larger than the daemon's frame limit (${this.maxFrameBytes} bytes)`,
    );
  }

  private sendDroppedReport(): void {
    if (this.dropped > this.droppedReported && this.connection.ready) {
      this.droppedReported = this.dropped;
      this.connection.write({ type: 'dropped', total: this.dropped });
    }
  }

  // ── the daemon's answers ─────────────────────────────────────────────

  private welcomed(welcome: WelcomeMessage, reconnected: boolean): void {
    if (reconnected) this.reconnects += 1;
    this.generation += 1;
    this.lastError = null;
    this.positionalEvents = welcome.version >= 2;
    const maxFrameBytes = welcome.max_frame_bytes;
    if (Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0) {
      this.maxFrameBytes = maxFrameBytes;
      this.queue.writer.maxStringLength = maxFrameBytes;
    }
    const maxBatchEvents = welcome.max_batch_events;
    if (Number.isSafeInteger(maxBatchEvents) && maxBatchEvents > 0) {
      this.maxBatchEvents = maxBatchEvents;
    }
    this.droppedReported = 0;
    // Resend every unacked batch first, in order, then carry on with the queue.
    for (const batch of this.inFlight.list()) {
      if (batch.sentOn !== this.generation && this.inFlight.has(batch.seq)) this.sendBatch(batch);
    }
    for (const id of this.healthWaiters.keys()) this.connection.write({ type: 'health', id });
    this.sendBatches(true);
  }

  private acked(ack: AckMessage): void {
    const batch = this.inFlight.acked(ack.seq);
    if (!batch) return;
    this.committed += ack.committed;
    this.duplicates += ack.duplicates ?? 0;
    if (ack.rejected.length > 0) {
      const events = batchEvents(batch.frame);
      for (const { index, reason } of ack.rejected) {
        this.reject((events[index] ?? {}) as WireEvent, REJECTION_CODES.REJECTED, reason);
      }
    }
    // Acked: the frame reached the daemon, no socket write holds it any more.
    this.frames.give(batch.frame);
    this.settleFlushes();
    this.sendBatches(true);
  }

  private healthAnswered(message: HealthResponseMessage): void {
    const waiter = this.healthWaiters.get(message.id);
    if (!waiter) return;
    this.healthWaiters.delete(message.id);
    waiter(message.health);
  }

  private disconnected(): void {
    if (this.closed) return;
    if (this.queue.length + this.inFlight.size === 0 && this.healthWaiters.size === 0) return;
    this.connection.reconnect();
  }

  // ── bookkeeping ──────────────────────────────────────────────────────

  private reject(event: WireEvent, code: RejectionCode, reason: string): void {
    this.rejected += 1;
    const record = { code, reason, event };
    this.rejections.push(record);
    if (this.rejections.length > KEEP_REJECTIONS) this.rejections.shift();
    if (this.listenerCount('rejected') > 0) this.emit('rejected', record);
  }

  /** True when every event with a record number up to `target` has been answered or dropped. */
  private settledThrough(target: number): boolean {
    if (target < 0) return true;
    if (this.inFlight.firstRecord <= target) return false;
    if (this.queue.length > 0 && this.queueHead <= target) return false;
    return true;
  }

  private settleFlushes(): void {
    if (this.flushWaiters.length === 0) return;
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.flushWaiters) {
      if (this.settledThrough(waiter.target)) waiter.resolve();
      else waiting.push(waiter);
    }
    this.flushWaiters = waiting;
  }

  private noteProblem(error: StoreClientError): void {
    this.lastError = error.message;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private fault(error: unknown): void {
    this.noteProblem(
      error instanceof StoreClientError
        ? error
        : new StoreClientError(
            CLIENT_ERROR_CODES.INTERNAL,
            error instanceof Error ? error.message : String(error),
            { cause: error },
          ),
    );
  }
}
