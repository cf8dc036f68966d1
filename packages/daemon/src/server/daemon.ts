// The daemon: one database lock, one writer thread, one socket server, and
// the ingest queue between them. Start-up takes the lock before touching the
// file and claims the socket last, so a daemon that cannot run leaves
// nothing behind; stop drains what clients already sent, acks it, and only
// then closes the database and removes the socket.

import fs from 'node:fs';
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import {
  DEFAULT_MAX_FRAME_BYTES,
  ERROR_CODES,
  type HealthReport,
  MAX_BATCH_EVENTS,
  PROTOCOL_VERSION,
} from '@mcpr-store/protocol';
import { describeOpenFailure, fileSize, redactPostgresUrl } from '@mcpr-store/query';
import { admitBatch } from '../ingest/client-batch.js';
import { TransactionQueue } from '../ingest/transaction-queue.js';
import { httpUrl, type ListenAddress } from '../listen-address.js';
import type { Logger } from '../log.js';
import { Replicator } from '../replication/replicator.js';
import { DAEMON_VERSION } from '../version.js';
import { RetentionSchedule } from '../writer/retention-schedule.js';
import { WriterThread } from '../writer/writer-thread.js';
import { Connection } from './connection.js';
import { checkDaemonOptions } from './daemon-options.js';
import { DaemonStats } from './daemon-stats.js';
import { acquireDbLock, type DbLock, filesCreatedFrom } from './db-lock.js';
import { DaemonMetrics } from './metrics.js';
import { listenForMetrics } from './metrics-listener.js';
import { QueryService } from './query-service.js';
import { claimSocketPath, listenOnSocket } from './socket-path.js';

export interface DaemonOptions {
  dbPath: string;
  socketPath: string;
  /** Mode of the socket file; 0660 lets a shared group of proxies connect. */
  socketMode: number;
  /** A transaction closes when it holds this many events... */
  transactionMaxEvents: number;
  /** ...or when its oldest event has waited this long. */
  transactionDelayMs: number;
  /** Above this many events held in memory, the daemon stops reading sockets. */
  maxHeldEvents: number;
  /** ...and above this many frame bytes. */
  maxHeldBytes: number;
  /** Largest frame body accepted from a client. */
  maxFrameBytes: number;
  /** Most events one client batch may carry. */
  maxBatchEvents: number;
  /** A frame begun and unfinished this long closes its connection. */
  frameTimeoutMs: number;
  /** Largest database file allowed, 0 for no cap; past it writes fail as "disk full". */
  maxDbBytes: number;
  /** Delete requests older than this; 0 keeps everything. */
  retainMs: number;
  /** Delete the oldest requests while the pages in use exceed this; 0 for no bound. */
  retainBytes: number;
  /** How often retention runs a round (the first is at start). */
  retentionIntervalMs: number;
  /** Where to serve GET /metrics; null for nowhere (the default). */
  metricsListen: ListenAddress | null;
  /** Tool names per proxy labelled in metrics; the rest count as `_other`. */
  metricsMaxTools: number;
  /** Copy every committed row to this PostgreSQL URL; null for nowhere (the default). */
  replicateTo: string | null;
  /** How long stop() waits for held client batches to commit before giving up on them. */
  shutdownTimeoutMs: number;
  logger: Logger;
}

export const DEFAULT_OPTIONS = {
  socketMode: 0o660,
  transactionMaxEvents: 5000,
  transactionDelayMs: 50,
  maxHeldEvents: 20_000,
  maxHeldBytes: 64 * 1024 * 1024,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxBatchEvents: MAX_BATCH_EVENTS,
  frameTimeoutMs: 10_000,
  maxDbBytes: 0,
  retainMs: 30 * 86_400_000,
  retainBytes: 0,
  retentionIntervalMs: 60_000,
  metricsListen: null,
  metricsMaxTools: 200,
  replicateTo: null,
  shutdownTimeoutMs: 15_000,
} satisfies Partial<DaemonOptions>;

/** Drops older than this keep health `degraded`. */
const DROP_WINDOW_MS = 5 * 60_000;
/** How often a size bound is checked, at the longest. */
const RETAIN_BYTES_CHECK_MS = 1000;
/** Unread acks above this many bytes close a connection (its peer stopped reading). */
const MAX_OUTBOUND_BYTES = 16 * 1024 * 1024;

export class Daemon {
  private readonly stats = new DaemonStats();
  private readonly connections = new Set<Connection>();
  private readonly startedAt = Date.now();
  private schemaVersion = 0;
  private nextConnectionId = 1;
  private shuttingDown = false;
  private stopping: Promise<void> | null = null;
  private readonly queue: TransactionQueue;
  private readonly server: net.Server;
  private readonly retention: RetentionSchedule;
  private readonly metrics: DaemonMetrics;
  private metricsServer: http.Server | null = null;
  private replicator: Replicator | null = null;
  private queries: QueryService | null = null;

  private constructor(
    private readonly options: DaemonOptions,
    private readonly writer: WriterThread,
    private readonly lock: DbLock,
  ) {
    const log = options.logger;
    this.queue = new TransactionQueue(
      writer,
      {
        transactionMaxEvents: options.transactionMaxEvents,
        transactionDelayMs: options.transactionDelayMs,
        maxHeldEvents: options.maxHeldEvents,
        maxHeldBytes: options.maxHeldBytes,
        retryMinMs: 250,
        retryMaxMs: 5000,
      },
      {
        onPressure: (paused) => {
          log.debug(paused ? 'reading paused: writer behind' : 'reading resumed');
          for (const connection of this.connections) {
            if (paused) connection.pause();
            else connection.resume();
          }
        },
        onCommitted: (outcome) => {
          this.stats.recordCommit(
            outcome.commit_us,
            outcome.committed,
            outcome.duplicate_positions.length,
          );
          this.stats.rejected += outcome.rejected.length;
          this.retention.committed(outcome.used_bytes);
          this.metrics.committed_transaction(outcome);
          this.replicator?.committed(outcome);
        },
        onWriteFailed: (error, retryInMs) => {
          this.stats.lastError = { at: Date.now(), message: error.message };
          log.error('write failed; its client batches kept unacknowledged and retried', {
            error: error.message,
            code: (error as { code?: string }).code,
            retry_in_ms: retryInMs,
          });
        },
        onRecovered: () => log.info('writes recovered'),
      },
    );
    this.metrics = new DaemonMetrics({
      health: () => this.health(),
      writesFailing: () => this.queue.writeFailing,
      maxToolsPerProxy: options.metricsMaxTools,
      maxDbBytes: options.maxDbBytes,
      replicating: options.replicateTo !== null,
    });
    this.retention = new RetentionSchedule(
      writer,
      { retain_ms: options.retainMs, retain_bytes: options.retainBytes },
      // With a size bound, check often: the bound holds only as well as it is watched.
      options.retainBytes > 0
        ? Math.min(options.retentionIntervalMs, RETAIN_BYTES_CHECK_MS)
        : options.retentionIntervalMs,
      log,
    );
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.on('error', (error) => log.error('socket server error', { error: error.message }));
  }

  /** Takes the lock, opens and migrates the database, then listens. */
  static async start(options: DaemonOptions): Promise<Daemon> {
    checkDaemonOptions(options);
    const log = options.logger;
    // Refuse early, before touching any file, when a daemon already listens.
    await claimSocketPath(options.socketPath, { dryRun: true });
    // A start that fails removes the files it created, and only those.
    const created = filesCreatedFrom(options.dbPath);
    let lock: DbLock;
    try {
      lock = acquireDbLock(options.dbPath);
    } catch (error) {
      created.remove();
      throw error;
    }
    const writer = new WriterThread((reason) =>
      log.warn('the checkpoint thread stopped; the writer checkpoints alone', { reason }),
    );
    let daemon: Daemon | null = null;
    try {
      const opened = await writer
        .open({
          db_path: options.dbPath,
          app_version: DAEMON_VERSION,
          max_db_bytes: options.maxDbBytes,
          // The smaller size bound: retainBytes is below maxDbBytes when both are set (checkDaemonOptions).
          size_bound_bytes: options.retainBytes || options.maxDbBytes,
          tally_operations: options.metricsListen !== null,
        })
        .catch((error: unknown) => {
          throw new Error(
            `cannot open the database ${options.dbPath}: ${describeOpenFailure(options.dbPath, error)}`,
          );
        });
      if (opened.rollups !== 'current')
        log.info(`rollups ${opened.rollups.replace('_', ' ')}`, { ms: opened.rollups_ms });
      if (opened.migrated_from !== opened.schema_version) {
        log.info('database migrated', { from: opened.migrated_from, to: opened.schema_version });
      }
      daemon = new Daemon(options, writer, lock);
      daemon.schemaVersion = opened.schema_version;
      if (options.replicateTo) {
        const retention = daemon.retention;
        retention.keepUnshipped();
        daemon.replicator = await Replicator.start(writer, {
          url: options.replicateTo,
          dbPath: options.dbPath,
          log,
          retentionHeld: () => retention.heldForReplication,
        });
      }
      if (options.metricsListen) {
        daemon.metricsServer = await listenForMetrics(options.metricsListen, daemon.metrics, log);
        const bound = daemon.metricsServer.address() as AddressInfo;
        log.info('metrics served', {
          url: `${httpUrl(bound.address, bound.port)}/metrics`,
        });
      }
      const answering = daemon;
      daemon.queries = new QueryService(
        { db_path: options.dbPath, socket_path: options.socketPath },
        () => answering.health(),
        log,
      );
      const { replacedStale } = await claimSocketPath(options.socketPath);
      if (replacedStale) log.warn('replaced a stale socket file', { socket: options.socketPath });
      await listenOnSocket(daemon.server, options.socketPath, options.socketMode);
    } catch (error) {
      daemon?.metricsServer?.close();
      await daemon?.queries?.close();
      await daemon?.replicator?.stop();
      await writer.close().catch(() => {});
      lock.release();
      created.remove();
      throw error;
    }
    daemon.retention.start();
    log.info('started', {
      version: DAEMON_VERSION,
      pid: process.pid,
      db: options.dbPath,
      socket: options.socketPath,
      schema_version: daemon.schemaVersion,
      transaction_max_events: options.transactionMaxEvents,
      transaction_delay_ms: options.transactionDelayMs,
      retain_ms: options.retainMs,
      retain_bytes: options.retainBytes,
      retention:
        options.retainMs === 0 && options.retainBytes === 0
          ? 'keeps everything'
          : `deletes requests older than ${options.retainMs / 86_400_000} days` +
            (options.retainBytes > 0 ? ` and the oldest past ${options.retainBytes} bytes` : ''),
      replicate_to: options.replicateTo ? redactPostgresUrl(options.replicateTo) : null,
    });
    return daemon;
  }

  private accept(socket: net.Socket): void {
    if (this.shuttingDown) {
      socket.destroy();
      return;
    }
    const id = this.nextConnectionId++;
    const log = this.options.logger;
    const connection = new Connection(id, socket, {
      daemonVersion: DAEMON_VERSION,
      maxFrameBytes: this.options.maxFrameBytes,
      maxBatchEvents: this.options.maxBatchEvents,
      frameTimeoutMs: this.options.frameTimeoutMs,
      maxOutboundBytes: MAX_OUTBOUND_BYTES,
      ingest: (seq, events, positional, frameBytes, settle) => {
        const batch = admitBatch(seq, events, positional, frameBytes, settle);
        this.stats.received += events.length;
        this.stats.rejected += batch.rejected.length;
        this.metrics.received_batch(batch.received_by_kind, batch.rejected.length);
        this.queue.submit(batch);
      },
      health: () => this.health(),
      query: (message) =>
        this.shuttingDown || this.queries === null
          ? Promise.resolve({ error: 'the daemon is stopping; answer this query yourself' })
          : this.queries.answer(message),
      reportDropped: (key, total) => this.stats.reportDropped(key, total),
      onProtocolError: (connectionId, code, message) => {
        if (code !== ERROR_CODES.SHUTTING_DOWN) {
          log.warn('connection closed on protocol error', {
            connection: connectionId,
            code,
            message,
          });
        }
      },
      onClose: (closed) => {
        this.connections.delete(closed);
        log.debug('connection closed', { connection: closed.id });
      },
      isShuttingDown: () => this.shuttingDown,
    });
    this.connections.add(connection);
    if (this.queue.readingPaused) connection.pause();
    log.debug('connection opened', { connection: id });
  }

  /** The health report; `status` is ok, degraded or failing with the reasons. */
  health(): HealthReport {
    const failing: string[] = [];
    const degraded: string[] = [];
    if (!this.writer.alive) failing.push('the writer thread is not running');
    if (this.queue.writeFailing) {
      failing.push(
        `writes are failing and being retried: ${this.stats.lastError?.message ?? 'unknown error'}`,
      );
    }
    if (this.queue.readingPaused)
      degraded.push('backpressure: the writer is behind, reading is paused');
    if (this.stats.droppedSince(Date.now() - DROP_WINDOW_MS)) {
      degraded.push(
        `clients dropped events in the last 5 minutes (${this.stats.droppedByClients} in total)`,
      );
    }
    const replication = this.replicator?.status() ?? null;
    if (replication && !replication.connected && replication.last_error) {
      degraded.push(`replication to PostgreSQL failing: ${replication.last_error.message}`);
    }
    if (replication?.holding_retention) {
      degraded.push(
        `retention is keeping rows its policy would delete: ${replication.lag_rows} requests not shipped to PostgreSQL yet`,
      );
    }
    const status = failing.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok';
    return {
      status,
      reasons: [...failing, ...degraded],
      version: DAEMON_VERSION,
      protocol_version: PROTOCOL_VERSION,
      pid: process.pid,
      uptime_ms: Date.now() - this.startedAt,
      db_path: this.options.dbPath,
      db_size_bytes: fileSize(this.options.dbPath),
      wal_size_bytes: fileSize(`${this.options.dbPath}-wal`),
      schema_version: this.schemaVersion,
      socket_path: this.options.socketPath,
      connections: this.connections.size,
      events_waiting: this.queue.heldEvents,
      bytes_waiting: this.queue.heldBytes,
      reading_paused: this.queue.readingPaused,
      received: this.stats.received,
      committed: this.stats.committed,
      rejected: this.stats.rejected,
      duplicates_ignored: this.stats.duplicates,
      dropped_by_clients: this.stats.droppedByClients,
      batches_committed: this.stats.transactionsCommitted,
      transactions_committed: this.stats.transactionsCommitted,
      commit_ms_p50: this.stats.commitMsPercentile(50),
      commit_ms_p99: this.stats.commitMsPercentile(99),
      last_commit_at: this.stats.lastCommitAt,
      last_error: this.stats.lastError,
      writer_alive: this.writer.alive,
      rss_bytes: process.memoryUsage.rss(),
      retention: this.retention.snapshot(),
      running_proxies: [...this.connections].flatMap((c) =>
        c.runningProxy ? [c.runningProxy] : [],
      ),
      replication,
    };
  }

  /**
   * Graceful stop: no new connections, read what clients already sent, commit
   * and ack it, then close the database and remove the socket.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const log = this.options.logger;
    log.info('stopping', {
      connections: this.connections.size,
      events_waiting: this.queue.heldEvents,
    });
    this.server.close();
    // Let bytes already on their way through the sockets arrive and be read.
    await new Promise((resolve) => setTimeout(resolve, 100));
    this.shuttingDown = true;
    await this.queries?.close();
    for (const connection of this.connections) connection.pause();
    const drained = await Promise.race([
      this.queue.drain().then(() => true),
      new Promise<boolean>((resolve) =>
        setTimeout(() => resolve(false), this.options.shutdownTimeoutMs).unref(),
      ),
    ]);
    if (!drained) {
      log.error('stopping with client batches not written; their clients keep them and resend', {
        events_waiting: this.queue.heldEvents,
      });
    }
    this.queue.stop();
    await this.retention.stop();
    await this.replicator?.stop();
    this.metricsServer?.close();
    for (const connection of this.connections) {
      connection.fail(
        ERROR_CODES.SHUTTING_DOWN,
        'the daemon is stopping; reconnect and resend unacked batches',
      );
    }
    await this.writer
      .close()
      .catch((error: Error) => log.error('closing the writer failed', { error: error.message }));
    this.lock.release();
    try {
      fs.unlinkSync(this.options.socketPath);
    } catch {
      // Already gone.
    }
    log.info('stopped', {
      committed: this.stats.committed,
      transactions: this.stats.transactionsCommitted,
    });
  }
}
