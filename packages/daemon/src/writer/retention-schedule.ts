// When the writer applies the retention policy: once at start, then every
// interval, each round a series of short steps (retention.ts) until nothing
// is left to delete. Steps are writer tasks like transactions, queued
// behind the ones waiting, so ingest and deletes take turns and neither
// waits long. A step that fails (a full disk, say) is logged and tried
// again next round; retention never stops ingest.

import type { HealthReport } from '@mcpr-store/protocol/fields';
import type { Logger } from '../log.js';
import type { RetentionPolicy, RetentionStep } from './retention.js';
import type { WriterThread } from './writer-thread.js';

/** The policy and what it deleted: health's `retention`. */
export type RetentionStatus = HealthReport['retention'];

export class RetentionSchedule {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly status: RetentionStatus;
  /** Replication is on: steps keep every request not shipped yet. */
  private shippedOnly = false;
  /** The last step kept rows the policy would delete, for replication. */
  private held = false;

  constructor(
    private readonly writer: WriterThread,
    private readonly policy: RetentionPolicy,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** Deletes counted as they commit (for metrics). */
    private readonly onDeleted: (step: RetentionStep) => void = () => {},
  ) {
    this.status = {
      retain_ms: policy.retain_ms,
      retain_bytes: policy.retain_bytes,
      oldest_ts: null,
      deleted_requests: 0,
      deleted_sessions: 0,
      last_run_at: null,
    };
  }

  get enabled(): boolean {
    return this.policy.retain_ms > 0 || this.policy.retain_bytes > 0;
  }

  /** From now on, keep every request replication has not shipped. */
  keepUnshipped(): void {
    this.shippedOnly = true;
  }

  /** True while retention keeps rows it would delete because they are not shipped yet. */
  get heldForReplication(): boolean {
    return this.held;
  }

  snapshot(): RetentionStatus {
    return { ...this.status };
  }

  start(): void {
    if (!this.enabled) return;
    this.schedule(0);
  }

  /**
   * A transaction just committed: past the size bound, a round starts now
   * rather than at the next interval, so deletes keep pace with ingest.
   */
  committed(usedBytes: number): void {
    if (this.policy.retain_bytes <= 0 || usedBytes <= this.policy.retain_bytes) return;
    if (this.running || this.stopped || this.timer === null) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  /** Stops after the step in progress, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.round().finally(() => {
        this.running = null;
        this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private noteHeld(held: boolean): void {
    if (held && !this.held) {
      this.log.warn(
        'retention is keeping rows its policy would delete: they are not shipped to PostgreSQL yet',
        { retain_ms: this.policy.retain_ms, retain_bytes: this.policy.retain_bytes },
      );
    } else if (!held && this.held) {
      this.log.info('retention no longer held back by replication');
    }
    this.held = held;
  }

  private async round(): Promise<void> {
    let requests = 0;
    let sessions = 0;
    try {
      for (;;) {
        if (this.stopped) break;
        const step = await this.writer.retain(this.policy, Date.now(), this.shippedOnly);
        this.noteHeld(step.held_for_replication);
        requests += step.deleted_requests;
        sessions += step.deleted_sessions;
        this.status.deleted_requests += step.deleted_requests;
        this.status.deleted_sessions += step.deleted_sessions;
        this.status.oldest_ts = step.oldest_ts;
        this.onDeleted(step);
        if (!step.more) break;
      }
      this.status.last_run_at = Date.now();
      if (requests + sessions > 0) {
        this.log.info('retention deleted old rows', {
          requests,
          sessions,
          oldest_ts: this.status.oldest_ts,
        });
      }
    } catch (error) {
      this.log.error('retention step failed; trying again next round', {
        error: (error as Error).message,
      });
    }
  }
}
