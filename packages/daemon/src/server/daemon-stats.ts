// Counters behind the health report. Commit times are kept in a fixed ring
// (the last 1,024 transactions) so percentiles cost nothing on the hot path and
// memory stays constant however long the daemon runs.

const COMMIT_SAMPLES = 1024;

export class DaemonStats {
  received = 0;
  rejected = 0;
  committed = 0;
  duplicates = 0;
  transactionsCommitted = 0;
  lastCommitAt: number | null = null;
  lastError: { at: number; message: string } | null = null;
  /** Highest drop total reported by each client instance. */
  private readonly droppedByClient = new Map<string, number>();
  private droppedTotal = 0;
  private lastDropAt = 0;
  private readonly commitUs = new Float64Array(COMMIT_SAMPLES);
  private commitSamples = 0;

  recordCommit(commitUs: number, committed: number, duplicates: number): void {
    this.commitUs[this.commitSamples % COMMIT_SAMPLES] = commitUs;
    this.commitSamples += 1;
    this.committed += committed;
    this.duplicates += duplicates;
    this.transactionsCommitted += 1;
    this.lastCommitAt = Date.now();
  }

  reportDropped(clientKey: string, total: number): void {
    const previous = this.droppedByClient.get(clientKey) ?? 0;
    if (total <= previous) return;
    this.droppedByClient.set(clientKey, total);
    this.droppedTotal += total - previous;
    this.lastDropAt = Date.now();
  }

  get droppedByClients(): number {
    return this.droppedTotal;
  }

  droppedSince(ms: number): boolean {
    return this.droppedTotal > 0 && this.lastDropAt >= ms;
  }

  /** Commit time percentile in milliseconds over the recent transactions (nearest rank). */
  commitMsPercentile(p: number): number | null {
    const n = Math.min(this.commitSamples, COMMIT_SAMPLES);
    if (n === 0) return null;
    const sorted = Array.from(this.commitUs.subarray(0, n)).sort((a, b) => a - b);
    const index = Math.max(0, Math.ceil((p / 100) * n) - 1);
    return Math.round((sorted[index] as number) / 10) / 100;
  }
}
