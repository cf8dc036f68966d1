// MCP traffic for metrics, tallied by the writer as it inserts requests:
// per (proxy, method, tool, error type), a count per latency bucket and the
// sum. One tally per transaction crosses to the main thread with its
// outcome, so the metrics cost ingest a map lookup per request, not a
// message. Only rows really inserted count: a resent duplicate never does.

/** OpenTelemetry's MCP conventions' histogram buckets, in seconds. */
export const OPERATION_BUCKETS_S = [
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
] as const;

export interface OperationTally {
  proxy: string;
  method: string;
  /** The tool's name, '' when the request has none. */
  tool: string;
  /** '' when ok; the JSON-RPC error code, else `timeout` or `error`. */
  error_type: string;
  /** Requests per bucket, not cumulative; the last is above the highest bound. */
  buckets: number[];
  sum_s: number;
  count: number;
}

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

export class OperationTallies {
  private readonly byKey = new Map<string, OperationTally>();

  add(
    proxy: string,
    method: string,
    tool: string | null,
    status: string,
    errorCode: string | null,
    latencyUs: number,
  ): void {
    const type = errorType(status, errorCode);
    const key = `${proxy}\u0000${method}\u0000${tool ?? ''}\u0000${type}`;
    let tally = this.byKey.get(key);
    if (!tally) {
      tally = {
        proxy,
        method,
        tool: tool ?? '',
        error_type: type,
        buckets: new Array(OPERATION_BUCKETS_S.length + 1).fill(0),
        sum_s: 0,
        count: 0,
      };
      this.byKey.set(key, tally);
    }
    const bucket = bucketOf(latencyUs);
    tally.buckets[bucket] = (tally.buckets[bucket] as number) + 1;
    tally.sum_s += latencyUs / 1_000_000;
    tally.count += 1;
  }

  list(): OperationTally[] {
    return [...this.byKey.values()];
  }
}
