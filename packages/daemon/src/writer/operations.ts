// MCP traffic for metrics, tallied by the writer as it inserts requests:
// per (proxy, method, tool, error type), a count per latency bucket and the
// sum. One tally per transaction crosses to the main thread with its
// outcome, so the metrics cost ingest a map lookup per request, not a
// message. Only rows really inserted count: a resent duplicate never does.

/** OpenTelemetry's MCP conventions' histogram buckets, in seconds. */
export const OPERATION_BUCKETS_S = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
] as const;

/**
 * One transaction's tallies as they cross to the main thread: a key per
 * label set (proxy, method, tool or '', error type or '', joined by NUL)
 * and, in `values`, OPERATION_STRIDE numbers per key: requests per bucket
 * (not cumulative; the last above the highest bound), then the sum of
 * latencies in seconds, then the count. Flat, because cloning thousands of
 * small objects per transaction costs the writer more than tallying them.
 */
export interface OperationTallies {
  keys: string[];
  values: Float64Array;
}

export const OPERATION_SUM_AT = OPERATION_BUCKETS_S.length + 1;
export const OPERATION_COUNT_AT = OPERATION_SUM_AT + 1;
export const OPERATION_STRIDE = OPERATION_COUNT_AT + 1;

/** The label set a tally key joins: proxy, method, tool ('' for none), error type. */
export function operationLabels(key: string): [string, string, string, string] {
  return key.split('\u0000') as [string, string, string, string];
}

export const NO_OPERATIONS: OperationTallies = { keys: [], values: new Float64Array(0) };

/** The error type label of a request: empty when ok, else its code, `timeout` or `error`. */
export function errorType(status: string, errorCode: string | null): string {
  if (status === 'ok') return '';
  if (status === 'timeout') return 'timeout';
  return errorCode ?? 'error';
}

/** The bucket a latency falls in: the first whose bound it does not exceed. */
export function bucketOf(latencyUs: number): number {
  const seconds = latencyUs / 1_000_000;
  let i = 0;
  while (i < OPERATION_BUCKETS_S.length && seconds > (OPERATION_BUCKETS_S[i] as number)) i += 1;
  return i;
}

export class OperationTally {
  private readonly indexOf = new Map<string, number>();
  private readonly keys: string[] = [];
  private values = new Float64Array(64 * OPERATION_STRIDE);

  add(
    proxy: string,
    method: string,
    tool: string | null,
    status: string,
    errorCode: string | null,
    latencyUs: number,
  ): void {
    const key = `${proxy}\u0000${method}\u0000${tool ?? ''}\u0000${errorType(status, errorCode)}`;
    let index = this.indexOf.get(key);
    if (index === undefined) {
      index = this.keys.length;
      this.indexOf.set(key, index);
      this.keys.push(key);
      if ((index + 1) * OPERATION_STRIDE > this.values.length) {
        const grown = new Float64Array(this.values.length * 2);
        grown.set(this.values);
        this.values = grown;
      }
    }
    const at = index * OPERATION_STRIDE;
    const values = this.values;
    const bucketAt = at + bucketOf(latencyUs);
    values[bucketAt] = (values[bucketAt] as number) + 1;
    values[at + OPERATION_SUM_AT] = (values[at + OPERATION_SUM_AT] as number) + latencyUs / 1e6;
    values[at + OPERATION_COUNT_AT] = (values[at + OPERATION_COUNT_AT] as number) + 1;
  }

  /** Forgets what was tallied (a transaction that rolled back). */
  clear(): void {
    this.take();
  }

  /** What was tallied, as one transfer; the tally starts again empty. */
  take(): OperationTallies {
    if (this.keys.length === 0) return NO_OPERATIONS;
    const used = this.keys.length * OPERATION_STRIDE;
    const taken = { keys: this.keys.splice(0), values: this.values.slice(0, used) };
    this.indexOf.clear();
    this.values.fill(0, 0, used);
    return taken;
  }
}
