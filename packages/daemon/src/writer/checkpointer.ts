// Checkpoints beside the writer. At SQLite's default, the commit that fills
// the WAL past its interval copies every page in it back into the file and
// syncs it before its batches are acknowledged; on a big store those pages
// lie all over the file, so that commit takes several times a normal one.
// Here a second connection in its own thread does the copying, at most once
// a CHECKPOINT_INTERVAL_MS while transactions commit; the writer keeps its
// own checkpoint as a backstop at a larger interval, which then finds only
// the few pages committed since, and restarts the WAL.

import { Worker } from 'node:worker_threads';
import type { CheckpointAnswer } from './checkpoint-thread.js';

/** How often the thread checkpoints at most, while commits come. */
export const CHECKPOINT_INTERVAL_MS = 1000;

export class Checkpointer {
  private readonly thread: Worker;
  private readonly exited: Promise<void>;
  private running = false;
  private lastStartedMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `onFailure`: the first error; the thread is closed and the writer's own checkpoints go on alone. */
  constructor(
    dbPath: string,
    private readonly onFailure: (reason: string) => void,
  ) {
    this.thread = new Worker(new URL('./checkpoint-thread.js', import.meta.url), {
      workerData: { dbPath },
    });
    this.exited = new Promise((resolve) => this.thread.once('exit', () => resolve()));
    this.thread.on('message', (answer: CheckpointAnswer) => {
      this.running = false;
      if (!answer.ok) this.fail(answer.error ?? 'checkpoint failed');
    });
    this.thread.on('error', (error) => this.fail(error.message));
  }

  /** A transaction committed: checkpoint soon, no sooner than the interval after the last one. */
  committed(): void {
    if (this.stopped || this.running || this.timer) return;
    const waitMs = this.lastStartedMs + CHECKPOINT_INTERVAL_MS - Date.now();
    if (waitMs <= 0) {
      this.start();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, waitMs);
    this.timer.unref();
  }

  private start(): void {
    if (this.stopped || this.running) return;
    this.running = true;
    this.lastStartedMs = Date.now();
    this.thread.postMessage('checkpoint');
  }

  /** The writer's own checkpoints bound the WAL from here on. */
  private fail(reason: string): void {
    this.running = false;
    if (this.stopped) return;
    this.onFailure(reason);
    void this.close();
  }

  /** Stops asking, lets a checkpoint under way finish, closes the thread's connection. */
  async close(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      // A thread that already ended ignores it.
      this.thread.postMessage('close');
    }
    await this.exited;
  }
}
