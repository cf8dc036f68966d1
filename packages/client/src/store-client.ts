// StoreClient: what a proxy holds to report its traffic. record() is
// synchronous, never throws and never waits: it fills in ids and times and
// writes the event's MessagePack into a bounded queue. Everything else
// (batching, the socket, reconnecting, resending) happens off the proxy's
// path on timers and socket events. Batches stay in memory until the daemon
// acks them and are resent in order after a reconnect (at-least-once; the
// daemon stores them once). The socket and timers are unref'd: the client
// never keeps a process alive by itself, and problems surface as events and
// in stats(), never as throws.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  type AckMessage,
  BATCH_BODY_OVERHEAD_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  decodeBody,
  type EventInput,
  encodeBatchFrame,
  encodeFrame,
  eventAsMap,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  type HealthResponseMessage,
  MAX_BATCH_EVENTS,
  parseDaemonMessage,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@mcpr-store/protocol';
import { EventEncoder } from './event-encoding.js';
import { EventQueue } from './event-queue.js';
import { FramePool } from './frame-pool.js';
import { defaultSocketPath } from './paths.js';
import { uuidv7 } from './uuidv7.js';

export interface StoreClientOptions {
  /** The daemon's socket; default $MCPR_STORE_SOCKET, else ~/.mcpr/store.sock. */
  socketPath?: string;
  /** This proxy's name, put on every event that has none. */
  proxy: string;
  /**
   * Events held while the daemon is away or slow (queued plus unacked); past
   * it the oldest queued event is dropped and counted. Default 100,000: ten
   * seconds of a busy proxy at 10,000 requests per second.
   */
  maxQueueEvents?: number;
  /** A batch leaves when it holds this many events... (default 1,000) */
  batchMaxEvents?: number;
  /** ...or when its first event waited this long (default 20 ms). */
  batchDelayMs?: number;
  /** Batches sent and not yet acked, at most (default 64). */
  maxInFlightBatches?: number;
  /** First reconnect delay; doubles (with jitter) up to reconnectMaxMs. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Default timeout of flush(), close() and health(). */
  timeoutMs?: number;
}

/** An event as it went on the wire (or as it was given, when it could not be encoded). */
export type WireEvent = Record<string, unknown>;

export interface RejectionRecord {
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
  connected: boolean;
  /** The last rejections, newest last (at most 20). */
  last_rejections: RejectionRecord[];
  last_error: string | null;
}

interface PendingBatch {
  seq: number;
  /** The whole batch frame, header included, as sent and resent. */
  frame: Buffer;
  count: number;
  /** Record numbers of the first and last event in the batch. */
  first: number;
  last: number;
  /** The connection generation it was last sent on, or -1 when unsent. */
  sentOn: number;
  /** Whether its requests may be arrays, which only protocol version 2 reads. */
  positional: boolean;
}

interface FlushWaiter {
  target: number;
  resolve: () => void;
}

const KEEP_REJECTIONS = 20;

export class StoreClient extends EventEmitter {
  readonly socketPath: string;
  readonly proxy: string;
  private readonly maxQueueEvents: number;
  private readonly batchMaxEvents: number;
  private readonly batchDelayMs: number;
  private readonly maxInFlightBatches: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly timeoutMs: number;
  private readonly clientId = uuidv7();

  private readonly queue: EventQueue;
  private readonly encoder: EventEncoder;
  private readonly frames: FramePool;
  /** Record number of the oldest queued event; queued events are consecutive. */
  private queueHead = 0;
  private recorded = 0;
  private readonly unacked = new Map<number, PendingBatch>();
  private unackedEvents = 0;
  private nextSeq = 1;

  private socket: net.Socket | null = null;
  private decoder: FrameDecoder | null = null;
  private generation = 0;
  private ready = false;
  private everWelcomed = false;
  private connecting = false;
  private writable = true;
  /** Whether the daemon reads requests as arrays (protocol version 2); false until welcomed. */
  private positionalEvents = false;
  private maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  private maxBatchEvents = MAX_BATCH_EVENTS;
  private reconnectDelayMs = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
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
  private readonly healthWaiters = new Map<number, (health: Record<string, unknown>) => void>();

  constructor(options: StoreClientOptions) {
    super();
    this.socketPath = options.socketPath ?? defaultSocketPath();
    this.proxy = options.proxy;
    this.encoder = new EventEncoder(this.proxy);
    this.maxQueueEvents = Math.max(1, options.maxQueueEvents ?? 100_000);
    this.batchMaxEvents = Math.max(1, options.batchMaxEvents ?? 1000);
    this.batchDelayMs = Math.max(0, options.batchDelayMs ?? 20);
    this.maxInFlightBatches = Math.max(1, options.maxInFlightBatches ?? 64);
    this.reconnectMinMs = Math.max(1, options.reconnectMinMs ?? 50);
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? 5000);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.queue = new EventQueue(this.maxQueueEvents);
    this.queue.writer.maxStringLength = this.maxFrameBytes;
    this.frames = new FramePool(Math.min(this.maxInFlightBatches, 8));
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
          `event cannot be encoded: ${(error as Error).message}`,
        );
        return;
      }
      if (queue.length + this.unackedEvents >= this.maxQueueEvents && queue.dropOldest()) {
        this.queueHead += 1;
        this.dropped += 1;
      }
      if (queue.length + this.unackedEvents >= this.maxQueueEvents) {
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
   * the daemon (committed or rejected); rejects on timeout.
   */
  flush(timeoutMs = this.timeoutMs): Promise<void> {
    const target = this.recorded - 1;
    if (this.settledThrough(target)) return Promise.resolve();
    this.ensureConnected();
    this.sendBatches(true);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.flushWaiters = this.flushWaiters.filter((w) => w !== waiter);
        const waiting = this.queue.length + this.unackedEvents;
        reject(
          new Error(
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

  /** Flushes (up to the timeout), then disconnects. Never rejects. */
  async close(timeoutMs = this.timeoutMs): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush(timeoutMs);
    } catch (error) {
      this.fault(error);
    }
    this.closed = true;
    const lost = this.queue.length + this.unackedEvents;
    this.dropped += lost;
    this.queue.clear();
    this.unacked.clear();
    this.unackedEvents = 0;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.socket?.destroy();
    this.socket = null;
    for (const waiter of this.flushWaiters.splice(0)) waiter.resolve();
  }

  /** Asks the daemon for its health report. */
  health(timeoutMs = this.timeoutMs): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new Error('the client is closed'));
    this.ensureConnected();
    return new Promise((resolve, reject) => {
      const id = this.nextHealthId++;
      const timer = setTimeout(() => {
        this.healthWaiters.delete(id);
        reject(
          new Error(
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
      if (this.ready) this.write({ type: 'health', id });
    });
  }

  stats(): StoreClientStats {
    return {
      queued: this.queue.length,
      in_flight: this.unackedEvents,
      committed: this.committed,
      duplicates: this.duplicates,
      rejected: this.rejected,
      dropped: this.dropped,
      reconnects: this.reconnects,
      connected: this.ready,
      last_rejections: [...this.rejections],
      last_error: this.lastError,
    };
  }

  // ── sending ──────────────────────────────────────────────────────────

  private scheduleSend(): void {
    this.ensureConnected();
    if (!this.ready) return;
    if (this.queue.length >= this.batchMaxEvents) {
      // Framing and writing happen after the proxy's current task, never
      // inside record().
      this.sendSoon();
    } else if (!this.batchTimer) {
      this.batchTimer = setTimeout(this.sendOnTimer, this.batchDelayMs);
      this.batchTimer.unref();
    }
  }

  // The callbacks of scheduleSend and sendSoon are made once, here: a
  // closure made inside either would have V8 allocate a context for `this`
  // on every call, that is on every record(), whether it is needed or not
  // (about 90 bytes an event, a scavenge every 10,000 events in a process
  // whose young generation has shrunk while it was idle).
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
      this.queue.length >= this.batchMaxEvents &&
      this.ready &&
      this.writable &&
      this.unacked.size < this.maxInFlightBatches
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
    if (!this.ready || !this.writable) return;
    this.sendDroppedReport();
    let sent = 0;
    while (this.queue.length > 0 && this.unacked.size < this.maxInFlightBatches && this.writable) {
      if (!includePartial && this.queue.length < this.batchMaxEvents) break;
      if (sent >= maxBatches) break;
      sent += 1;
      const maxBodyBytes = this.maxFrameBytes - BATCH_BODY_OVERHEAD_BYTES;
      const first = this.queueHead;
      const taken = this.queue.take(
        Math.min(this.batchMaxEvents, this.maxBatchEvents),
        maxBodyBytes,
      );
      this.queueHead += taken.count;
      if (taken.bytes > maxBodyBytes) {
        this.rejectTooLarge(eventAsMap(decodeBody(Buffer.concat(taken.parts))));
        this.settleFlushes();
        continue;
      }
      const seq = this.nextSeq++;
      const batch: PendingBatch = {
        seq,
        frame: encodeBatchFrame(seq, taken.count, taken.parts, (bytes) => this.frames.take(bytes)),
        count: taken.count,
        first,
        last: first + taken.count - 1,
        sentOn: -1,
        positional: true,
      };
      this.unacked.set(seq, batch);
      this.unackedEvents += taken.count;
      this.sendBatch(batch);
    }
    if (this.queue.length > 0 && !this.batchTimer && this.unacked.size < this.maxInFlightBatches) {
      this.scheduleSend();
    }
  }

  private sendBatch(batch: PendingBatch): void {
    if (batch.positional && !this.positionalEvents) {
      // A daemon of protocol version 1 reads maps only: the batch is
      // encoded again, every request as a map (fresh memory: the old frame
      // may still be held by a write to the connection before).
      batch.frame = encodeFrame({
        type: 'batch',
        seq: batch.seq,
        events: batchEvents(batch.frame),
      });
      batch.positional = false;
    }
    if (batch.frame.length - FRAME_HEADER_BYTES > this.maxFrameBytes) {
      // Encoded for a daemon that took larger frames than this one does.
      this.splitBatch(batch);
      return;
    }
    batch.sentOn = this.generation;
    this.writeFrame(batch.frame);
  }

  /**
   * Replaces a batch too large for this daemon's frames by two halves,
   * keeping order; a lone event too large for any frame is rejected here.
   */
  private splitBatch(batch: PendingBatch): void {
    const events = batchEvents(batch.frame);
    const entries = [...this.unacked.values()];
    const at = entries.indexOf(batch);
    let halves: PendingBatch[] = [];
    if (events.length === 1) {
      this.unackedEvents -= 1;
      this.rejectTooLarge(events[0]);
    } else {
      const half = Math.ceil(events.length / 2);
      halves = [events.slice(0, half), events.slice(half)].map((part, i) => {
        const seq = this.nextSeq++;
        const first = i === 0 ? batch.first : batch.first + half;
        return {
          seq,
          frame: encodeFrame({ type: 'batch', seq, events: part }),
          count: part.length,
          first,
          last: first + part.length - 1,
          sentOn: -1,
          positional: false,
        };
      });
    }
    entries.splice(at, 1, ...halves);
    this.unacked.clear();
    for (const entry of entries) this.unacked.set(entry.seq, entry);
    for (const entry of halves) this.sendBatch(entry);
    this.settleFlushes();
  }

  /** One event larger than any frame: the daemon could never take it. */
  private rejectTooLarge(event: unknown): void {
    this.reject(
      event as WireEvent,
      `event larger than the daemon's frame limit (${this.maxFrameBytes} bytes)`,
    );
  }

  private sendDroppedReport(): void {
    if (this.dropped > this.droppedReported && this.ready) {
      this.droppedReported = this.dropped;
      this.write({ type: 'dropped', total: this.dropped });
    }
  }

  private write(message: unknown): void {
    this.writeFrame(encodeFrame(message));
  }

  private writeFrame(frame: Buffer): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    if (!socket.write(frame)) this.writable = false;
  }

  // ── connection ───────────────────────────────────────────────────────

  private ensureConnected(): void {
    if (this.closed || this.socket || this.connecting || this.reconnectTimer) return;
    this.connect();
  }

  private connect(): void {
    this.connecting = true;
    const generation = ++this.generation;
    const socket = net.connect(this.socketPath);
    socket.unref();
    this.socket = socket;
    this.decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
    socket.on('connect', () => {
      if (generation !== this.generation) return;
      this.connecting = false;
      this.writable = true;
      socket.write(
        encodeFrame({
          type: 'hello',
          versions: [...SUPPORTED_PROTOCOL_VERSIONS],
          client_id: this.clientId,
          client: '@mcpr-store/client',
          proxy: this.proxy,
        }),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (generation === this.generation) this.onData(chunk);
    });
    socket.on('drain', () => {
      if (generation !== this.generation) return;
      this.writable = true;
      this.sendBatches(true);
    });
    socket.on('error', (error) => {
      if (generation === this.generation) this.noteProblem(`${error.message}`);
    });
    socket.on('close', () => {
      if (generation === this.generation) this.disconnected();
    });
  }

  private onData(chunk: Buffer): void {
    const { values, error } = (this.decoder as FrameDecoder).push(chunk);
    for (const value of values) {
      try {
        const message = parseDaemonMessage(value);
        switch (message.type) {
          case 'welcome':
            this.welcomed(message.version, message.max_frame_bytes, message.max_batch_events);
            break;
          case 'ack':
            this.acked(message);
            break;
          case 'health_result':
            this.healthAnswered(message);
            break;
          case 'error':
            this.noteProblem(`daemon: ${message.code}: ${message.message}`);
            break;
        }
      } catch (failure) {
        this.noteProblem(`bad message from the daemon: ${(failure as Error).message}`);
        this.socket?.destroy();
        return;
      }
    }
    if (error) {
      this.noteProblem(`bad frame from the daemon: ${error.message}`);
      this.socket?.destroy();
    }
  }

  private welcomed(version: number, maxFrameBytes: number, maxBatchEvents: number): void {
    if (this.everWelcomed) this.reconnects += 1;
    this.positionalEvents = version >= 2;
    this.everWelcomed = true;
    this.ready = true;
    this.reconnectDelayMs = 0;
    if (Number.isSafeInteger(maxFrameBytes) && maxFrameBytes > 0) {
      this.maxFrameBytes = maxFrameBytes;
      this.queue.writer.maxStringLength = maxFrameBytes;
    }
    if (Number.isSafeInteger(maxBatchEvents) && maxBatchEvents > 0)
      this.maxBatchEvents = maxBatchEvents;
    this.droppedReported = 0;
    // Resend every unacked batch first, in order, then carry on with the queue.
    for (const batch of [...this.unacked.values()]) {
      if (batch.sentOn !== this.generation && this.unacked.has(batch.seq)) this.sendBatch(batch);
    }
    for (const id of this.healthWaiters.keys()) this.write({ type: 'health', id });
    this.sendBatches(true);
  }

  private acked(ack: AckMessage): void {
    const batch = this.unacked.get(ack.seq);
    if (!batch) return;
    this.unacked.delete(ack.seq);
    this.unackedEvents -= batch.count;
    this.committed += ack.committed;
    this.duplicates += ack.duplicates ?? 0;
    if (ack.rejected.length > 0) {
      const events = batchEvents(batch.frame);
      for (const { index, reason } of ack.rejected) {
        this.reject((events[index] ?? {}) as WireEvent, reason);
      }
    }
    // Acked: the frame reached the daemon, no socket write holds it any more.
    this.frames.give(batch.frame);
    this.settleFlushes();
    this.sendBatches(true);
  }

  private reject(event: WireEvent, reason: string): void {
    this.rejected += 1;
    this.rejections.push({ reason, event });
    if (this.rejections.length > KEEP_REJECTIONS) this.rejections.shift();
    if (this.listenerCount('rejected') > 0) this.emit('rejected', { reason, event });
  }

  private healthAnswered(message: HealthResponseMessage): void {
    const waiter = this.healthWaiters.get(message.id);
    if (!waiter) return;
    this.healthWaiters.delete(message.id);
    waiter(message.health);
  }

  private disconnected(): void {
    this.socket = null;
    this.decoder = null;
    this.ready = false;
    this.connecting = false;
    if (this.closed) return;
    if (this.queue.length + this.unacked.size === 0 && this.healthWaiters.size === 0) return;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    this.reconnectDelayMs =
      this.reconnectDelayMs === 0
        ? this.reconnectMinMs
        : Math.min(this.reconnectMaxMs, this.reconnectDelayMs * 2);
    const jittered = this.reconnectDelayMs * (0.5 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensureConnected();
    }, jittered);
    this.reconnectTimer.unref();
  }

  // ── bookkeeping ──────────────────────────────────────────────────────

  /** True when every event with a record number up to `target` has been answered or dropped. */
  private settledThrough(target: number): boolean {
    if (target < 0) return true;
    const firstBatch = this.unacked.values().next();
    if (!firstBatch.done && firstBatch.value.first <= target) return false;
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

  private noteProblem(message: string): void {
    this.lastError = message;
    if (this.listenerCount('error') > 0) this.emit('error', new Error(message));
  }

  private fault(error: unknown): void {
    this.noteProblem(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The events of a batch frame, decoded, every request as a map (only to
 * report rejections, to split a batch or to send it to a daemon of
 * protocol version 1).
 */
function batchEvents(frame: Buffer): unknown[] {
  const body = decodeBody(frame.subarray(FRAME_HEADER_BYTES)) as { events: unknown[] };
  return body.events.map(eventAsMap);
}
