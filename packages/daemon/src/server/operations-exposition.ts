// The MCP operations histogram in Prometheus's text format, written as bytes
// rather than through prom-client. A fleet of proxies and tools makes tens of
// thousands of its lines and megabytes of text, most of it label pairs that
// never change: each series' labels are escaped and encoded once, when the
// series first appears, and a scrape copies those bytes and writes only the
// numbers, into one buffer sized in advance.

import { OPERATION_BUCKETS_S } from '../writer/operations.js';

export const OPERATIONS_METRIC = 'mcp_server_operation_duration_seconds';
const HELP =
  'Duration of MCP requests a proxy handled, from the stored requests (OpenTelemetry MCP conventions).';

/** The longest number a sample can print as (`-1.2345678901234567e-300`). */
const NUMBER_MAX_BYTES = 24;

export interface OperationSeries {
  /** The label pairs as written in the text format, escaped and UTF-8 encoded. */
  labels: Buffer;
  /** Requests per bucket, not cumulative; the last is above the highest bound. */
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** `name="value",...` for a series, escaped, as bytes. */
export function labelBytes(pairs: [string, string][]): Buffer {
  return Buffer.from(pairs.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(','));
}

const HEADER = Buffer.from(
  `# HELP ${OPERATIONS_METRIC} ${HELP}\n# TYPE ${OPERATIONS_METRIC} histogram\n`,
);
const BUCKET_HEAD = Buffer.from(`${OPERATIONS_METRIC}_bucket{`);
const SUM_HEAD = Buffer.from(`${OPERATIONS_METRIC}_sum{`);
const COUNT_HEAD = Buffer.from(`${OPERATIONS_METRIC}_count{`);
/** What follows the labels on each bucket line, up to the value: `,le="0.01"} `. */
const LE_TAILS = [...OPERATION_BUCKETS_S.map(String), '+Inf'].map((le) =>
  Buffer.from(`,le="${le}"} `),
);
const CLOSE = Buffer.from('} ');
const LINE_FIXED_BYTES = Math.max(
  BUCKET_HEAD.length + Math.max(...LE_TAILS.map((t) => t.length)),
  COUNT_HEAD.length + CLOSE.length,
);

/** Bytes of a scrape, and the call that hands their memory back once sent. */
export interface Exposition {
  bytes: Buffer;
  release: () => void;
}

/**
 * Writes `head` (the other metrics' text), then the histogram's HELP, TYPE
 * and every series' lines (cumulative buckets, sum and count), into one
 * buffer. The buffer is reused from one scrape to the next once released,
 * so a scrape allocates nothing in the steady state; a scrape that overlaps
 * another gets a buffer of its own.
 */
export class OperationsWriter {
  private spare: Buffer | null = null;

  write(head: Buffer, series: Iterable<OperationSeries>): Exposition {
    const all = [...series];
    let capacity = head.length + HEADER.length;
    for (const s of all) {
      capacity +=
        (s.buckets.length + 2) * (LINE_FIXED_BYTES + s.labels.length + NUMBER_MAX_BYTES + 1);
    }
    let whole = this.spare;
    this.spare = null;
    // Slow: never a slice of Node's shared pool, since it is written to again.
    if (!whole || whole.length < capacity)
      whole = Buffer.allocUnsafeSlow(Math.ceil(capacity * 1.25));
    const written = fill(whole, head, all);
    const lent = whole;
    return {
      bytes: whole.subarray(0, written),
      release: () => {
        if (!this.spare || lent.length > this.spare.length) this.spare = lent;
      },
    };
  }
}

function fill(out: Buffer, head: Buffer, all: OperationSeries[]): number {
  let at = head.copy(out, 0);
  at += HEADER.copy(out, at);
  const line = (head: Buffer, labels: Buffer, tail: Buffer, value: number) => {
    at += head.copy(out, at);
    at += labels.copy(out, at);
    at += tail.copy(out, at);
    at += out.write(String(value), at, 'latin1');
    out[at] = 0x0a;
    at += 1;
  };
  for (const s of all) {
    let cumulative = 0;
    for (let i = 0; i < s.buckets.length; i += 1) {
      cumulative += s.buckets[i] as number;
      line(BUCKET_HEAD, s.labels, LE_TAILS[i] as Buffer, cumulative);
    }
    line(SUM_HEAD, s.labels, CLOSE, s.sum);
    line(COUNT_HEAD, s.labels, CLOSE, s.count);
  }
  return at;
}
