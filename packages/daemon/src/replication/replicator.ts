// The main thread's side of replication: starts the shipper thread from the
// cursor the writer keeps, tells it when transactions commit (and which
// sessions and snapshots session events changed), has the writer record
// each cursor PostgreSQL committed, and keeps the status health and metrics
// show. Failures are logged when they start and when they end, not at every
// retry. The URL's password stays in this object and the shipper.

import { Worker } from 'node:worker_threads';
import type { ReplicationStatus } from '@mcpr-store/protocol/fields';
import { redactPostgresUrl } from '@mcpr-store/query';
import type { Logger } from '../log.js';
import type { ReplicationCursor } from '../writer/replication-meta.js';
import type { TransactionOutcome } from '../writer/transaction-writer.js';
import type { WriterThread } from '../writer/writer-thread.js';
import type { ShipperInput, ShipperReport, ShipperSettings } from './shipper-messages.js';

/** A shipper thread that died is started again after this long. */
const RESTART_MS = 5_000;
/** On stop, how long the shipper may take to ship what is left and say so. */
const STOP_TIMEOUT_MS = 8_000;

export class Replicator {
  private worker: Worker | null = null;
  private readonly target: string;
  private connected = false;
  private failing = false;
  private lagRows = 0;
  private oldestUnshippedTs: number | null = null;
  private lastShippedAt: number | null = null;
  private lastError: { at: number; message: string } | null = null;
  private failures = 0;
  private readonly shipped = { requests: 0, sessions: 0, server_schema: 0, schema_changes: 0 };
  private cursor: ReplicationCursor;
  /** A cursor to record, and the recording under way. */
  private cursorToRecord: ReplicationCursor | null = null;
  private recording: Promise<void> | null = null;
  private stopped = false;
  private stopWaiter: (() => void) | null = null;

  private constructor(
    private readonly writer: WriterThread,
    private readonly url: string,
    private readonly dbPath: string,
    private readonly origin: string,
    cursor: ReplicationCursor,
    private readonly log: Logger,
    /** True while retention keeps rows for replication (read at health time). */
    private readonly retentionHeld: () => boolean,
  ) {
    this.target = redactPostgresUrl(url);
    this.cursor = cursor;
  }

  static async start(
    writer: WriterThread,
    options: { url: string; dbPath: string; log: Logger; retentionHeld: () => boolean },
  ): Promise<Replicator> {
    const target = redactPostgresUrl(options.url);
    const { origin, cursor } = await writer.startReplication(target);
    const replicator = new Replicator(
      writer,
      options.url,
      options.dbPath,
      origin,
      cursor,
      options.log,
      options.retentionHeld,
    );
    replicator.spawn();
    options.log.info('replicating to PostgreSQL', {
      target,
      origin,
      from_request_id: cursor.requests_id,
    });
    return replicator;
  }

  private spawn(): void {
    const settings: ShipperSettings = {
      db_path: this.dbPath,
      url: this.url,
      origin: this.origin,
      cursor: this.cursor,
    };
    const worker = new Worker(new URL('./shipper-thread.js', import.meta.url), {
      workerData: settings,
      resourceLimits: { maxOldGenerationSizeMb: 256 },
    });
    worker.on('message', (report: ShipperReport) => this.receive(report));
    worker.on('error', (error) => {
      this.noteFailure(`the shipper thread failed: ${error.message}`, Date.now());
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.connected = false;
      this.stopWaiter?.();
      if (!this.stopped) setTimeout(() => this.stopped || this.spawn(), RESTART_MS).unref();
    });
    this.worker = worker;
  }

  private post(message: ShipperInput): void {
    this.worker?.postMessage(message);
  }

  /** A transaction committed: the shipper looks now. */
  committed(outcome: TransactionOutcome): void {
    this.post({
      type: 'changed',
      sessions: outcome.sessions_changed,
      snapshots: (outcome.committed_by_kind.schema_version ?? 0) > 0,
    });
  }

  private receive(report: ShipperReport): void {
    switch (report.type) {
      case 'connected':
        this.connected = true;
        if (this.failing) this.log.info('replication recovered', { target: this.target });
        this.failing = false;
        break;
      case 'shipped':
        this.lastShippedAt = report.at;
        for (const key of Object.keys(this.shipped) as (keyof typeof this.shipped)[]) {
          this.shipped[key] += report.counts[key];
        }
        this.record(report.cursor);
        break;
      case 'lag':
        this.lagRows = report.rows;
        this.oldestUnshippedTs = report.oldest_ts;
        break;
      case 'failed':
        this.connected = false;
        this.noteFailure(report.message, report.at, report.retry_in_ms);
        break;
      case 'stopped':
        this.record(report.cursor);
        this.stopWaiter?.();
        break;
    }
  }

  private noteFailure(message: string, at: number, retryInMs?: number): void {
    this.failures += 1;
    this.lastError = { at, message };
    if (!this.failing || this.lastError.message !== message) {
      this.log.warn('replication failing; rows wait in SQLite and are shipped when it recovers', {
        target: this.target,
        error: message,
        retry_in_ms: retryInMs,
      });
    }
    this.failing = true;
  }

  /** Has the writer record `cursor`; at most one recording at a time, the latest wins. */
  private record(cursor: ReplicationCursor): void {
    this.cursor = cursor;
    this.cursorToRecord = cursor;
    this.recording ??= this.recordPending();
  }

  private async recordPending(): Promise<void> {
    while (this.cursorToRecord) {
      const cursor = this.cursorToRecord;
      this.cursorToRecord = null;
      try {
        await this.writer.recordReplicationCursor(cursor);
      } catch (error) {
        // Shipped again after a restart if never recorded; harmless.
        this.log.warn('could not record the replication cursor', {
          error: (error as Error).message,
        });
      }
    }
    this.recording = null;
  }

  status(): ReplicationStatus {
    return {
      target: this.target,
      lag_rows: this.lagRows,
      lag_ms:
        this.oldestUnshippedTs === null ? 0 : Math.max(0, Date.now() - this.oldestUnshippedTs),
      last_shipped_at: this.lastShippedAt,
      last_error: this.lastError,
      connected: this.connected,
      failures: this.failures,
      shipped: { ...this.shipped },
      holding_retention: this.retentionHeld(),
    };
  }

  /** Ships what is left while PostgreSQL answers (briefly), records the cursor, ends the thread. */
  async stop(): Promise<void> {
    this.stopped = true;
    const worker = this.worker;
    if (worker) {
      const done = new Promise<void>((resolve) => {
        this.stopWaiter = resolve;
      });
      this.post({ type: 'stop' });
      const finished = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((resolve) =>
          setTimeout(() => resolve(false), STOP_TIMEOUT_MS).unref(),
        ),
      ]);
      if (!finished) this.log.warn('the shipper did not stop in time; it resumes from its cursor');
      await worker.terminate();
    }
    await this.recording;
  }
}
