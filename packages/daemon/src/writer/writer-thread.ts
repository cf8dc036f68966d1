// The main thread's handle on the writer: exactly one piscina worker, never
// recycled and never idle-reaped. Client batches queue in the transaction
// queue, not in piscina, so that the daemon decides what to coalesce; it
// hands the writer at most two transactions at a time. Both are posted to
// the worker at once: its tasks are synchronous, so it writes them one after
// the other, and it starts the second without waiting for the main thread,
// which is busy reading sockets on a loaded machine. Events cross packed in columns (column-batch.ts), one
// set per client batch.

import { Piscina } from 'piscina';
import { Checkpointer } from './checkpointer.js';
import type { ColumnBatch } from './column-batch.js';
import type { ReplicationCursor, ReplicationStart } from './replication-meta.js';
import type { RetentionPolicy, RetentionStep } from './retention.js';
import type { TransactionOutcome } from './transaction-writer.js';
import type { OpenResult, OpenTask, WriterTask } from './worker.js';

export class WriterThread {
  private readonly pool: Piscina<WriterTask, unknown>;
  /** How the database was opened; every write carries it (see WriteTask.reopen). */
  private opened: OpenTask | null = null;
  /** Checkpoints beside the writer, when the open said so. */
  private checkpointer: Checkpointer | null = null;

  /** `onCheckpointFailure`: the checkpoint thread met an error and stopped (the writer's own checkpoints go on). */
  constructor(private readonly onCheckpointFailure: (reason: string) => void = () => {}) {
    this.pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 2,
      idleTimeout: Number.POSITIVE_INFINITY,
      resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 },
    });
  }

  /** True while the worker thread exists (piscina replaces one that died). */
  get alive(): boolean {
    return this.pool.threads.length > 0;
  }

  async open(settings: Omit<OpenTask, 'op'>): Promise<OpenResult> {
    const task: OpenTask = { op: 'open', ...settings };
    const result = (await this.pool.run(task)) as OpenResult;
    this.opened = task;
    if (result.checkpoints_in_thread) {
      this.checkpointer = new Checkpointer(task.db_path, this.onCheckpointFailure);
    }
    return result;
  }

  async write(batches: ColumnBatch[]): Promise<TransactionOutcome> {
    const outcome = (await this.pool.run({
      op: 'write',
      batches,
      reopen: this.opened,
    })) as TransactionOutcome;
    this.checkpointer?.committed();
    return outcome;
  }

  /**
   * One step of the retention policy, in the writer's turn between
   * transactions; `shippedOnly` keeps what replication has not shipped.
   */
  retain(policy: RetentionPolicy, nowMs: number, shippedOnly: boolean): Promise<RetentionStep> {
    return this.pool.run({
      op: 'retain',
      policy,
      now_ms: nowMs,
      shipped_only: shippedOnly,
      reopen: this.opened,
    }) as Promise<RetentionStep>;
  }

  /** This store's origin and replication cursor for `target` (a URL without password). */
  startReplication(target: string): Promise<ReplicationStart> {
    return this.pool.run({
      op: 'replication_start',
      target,
      reopen: this.opened,
    }) as Promise<ReplicationStart>;
  }

  /** Records what PostgreSQL committed. */
  async recordReplicationCursor(cursor: ReplicationCursor): Promise<void> {
    await this.pool.run({ op: 'replication_cursor', cursor, reopen: this.opened });
  }

  /** Closes the database, then ends the thread. */
  async close(): Promise<void> {
    this.opened = null;
    await this.checkpointer?.close();
    this.checkpointer = null;
    try {
      await this.pool.run({ op: 'close' });
    } finally {
      await this.pool.destroy();
    }
  }
}
