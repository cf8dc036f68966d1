// The requests of a settled half-hour, kept in columns by a long-lived
// reader (one that keeps settled rollups: settled-rollups.ts). A wide window
// reads the part half-hour it starts in from its rows at every question;
// its start moves on with the clock, but stays inside the same half-hour for
// up to thirty minutes, whose rows no longer change but for a late event or
// a delete. Kept, any part of it is summed here by a scan of arrays instead
// of SQLite reading each row from the table. Each reuse first takes the
// half-hour's fingerprint (its rows' count and id sum, from the ts index
// alone): ids only grow, so an insert or a delete changes it, and the rows
// are read again. Half-hours of more than KEPT_HALF_HOUR_ROWS_MAX rows are
// not kept: summing them would be no cheaper than reading them.

import type { Db } from './connection.js';
import { keepsSettled } from './settled-rollups.js';

/** A half-hour with more rows than this is read by SQLite at each question. */
export const KEPT_HALF_HOUR_ROWS_MAX = 100_000;
/** Half-hours a reader keeps (windows of different lengths start in different ones). */
const KEPT_HALF_HOURS_MAX = 8;

/** One key of the rows, as the requests table holds it (tool and error code may be null). */
interface RowKey {
  proxy: string;
  method: string;
  tool: string | null;
  status: string;
  error_code: string | null;
}

/** A half-hour's requests, oldest first, one array a column. */
export interface KeptRequests {
  fingerprint: string;
  keys: RowKey[];
  ts: Float64Array;
  /** Each row's index in keys. */
  key: Uint32Array;
  latencyUs: Float64Array;
  /** Null sizes as 0, as the sums read them. */
  bytesIn: Float64Array;
  bytesOut: Float64Array;
}

const kept = new WeakMap<Db, Map<number, KeptRequests>>();

/**
 * The requests of the half-hour [fromMs, toMs), kept; null when the reader
 * keeps none, or the half-hour holds too many.
 */
export function keptRequests(db: Db, fromMs: number, toMs: number): KeptRequests | null {
  if (!keepsSettled(db)) return null;
  let halfHours = kept.get(db);
  if (halfHours === undefined) {
    halfHours = new Map();
    kept.set(db, halfHours);
  }
  const [count, idSum] = db
    .prepare(
      `SELECT COUNT(*), TOTAL(id) FROM requests INDEXED BY idx_requests_ts
       WHERE ts >= @from AND ts < @to`,
    )
    .raw()
    .get({ from: fromMs, to: toMs }) as [number, number];
  if (count > KEPT_HALF_HOUR_ROWS_MAX) return null;
  const fingerprint = `${count},${idSum}`;
  const known = halfHours.get(fromMs);
  halfHours.delete(fromMs);
  if (known?.fingerprint === fingerprint) {
    halfHours.set(fromMs, known);
    return known;
  }
  const rows = readRows(db, fromMs, toMs, fingerprint, count);
  for (const oldest of halfHours.keys()) {
    if (halfHours.size < KEPT_HALF_HOURS_MAX) break;
    halfHours.delete(oldest);
  }
  halfHours.set(fromMs, rows);
  return rows;
}

function readRows(
  db: Db,
  fromMs: number,
  toMs: number,
  fingerprint: string,
  count: number,
): KeptRequests {
  const rows: KeptRequests = {
    fingerprint,
    keys: [],
    ts: new Float64Array(count),
    key: new Uint32Array(count),
    latencyUs: new Float64Array(count),
    bytesIn: new Float64Array(count),
    bytesOut: new Float64Array(count),
  };
  const keyIndex = new Map<string, number>();
  let at = 0;
  for (const values of db
    .prepare(
      `SELECT ts, proxy, method, tool, status, error_code, latency_us, bytes_in, bytes_out
       FROM requests INDEXED BY idx_requests_ts WHERE ts >= @from AND ts < @to ORDER BY ts`,
    )
    .raw()
    .iterate({ from: fromMs, to: toMs })) {
    const [ts, proxy, method, tool, status, errorCode, latencyUs, bytesIn, bytesOut] = values as [
      number,
      string,
      string,
      string | null,
      string,
      string | null,
      number,
      number | null,
      number | null,
    ];
    // Null and '' apart: a filter on a tool never matches a request without one.
    const name = `${proxy}\u0000${method}\u0000${tool ?? '\u0001'}\u0000${status}\u0000${errorCode ?? '\u0001'}`;
    let index = keyIndex.get(name);
    if (index === undefined) {
      index = rows.keys.length;
      keyIndex.set(name, index);
      rows.keys.push({ proxy, method, tool, status, error_code: errorCode });
    }
    rows.ts[at] = ts;
    rows.key[at] = index;
    rows.latencyUs[at] = latencyUs;
    rows.bytesIn[at] = bytesIn ?? 0;
    rows.bytesOut[at] = bytesOut ?? 0;
    at += 1;
  }
  return rows;
}

/** Which kept rows a sum takes, as the SQL it stands in for filters them. */
export interface KeptFilter {
  proxy?: string;
  tool?: string;
  errorCode?: string;
  /** Only failed calls with an error code. */
  failedWithCode?: boolean;
}

/**
 * The kept rows with ts in [fromMs, toMs) that pass `filter`, summed by key
 * (and by bucket of `bucketMs`, aligned to the epoch), each sum passed to
 * `emit` as rollup-window.ts's SQL gives a row of requests: key, calls,
 * failed, errors, timeouts, latency sum, min and max, bytes in and out, last
 * call, no histogram, 1, and the latencies (null with `countsOnly`).
 */
export function sumKept(
  rows: KeptRequests,
  window: { fromMs: number; toMs: number; bucketMs?: number; countsOnly?: boolean },
  filter: KeptFilter,
  emit: (values: unknown[]) => void,
): void {
  const passes = rows.keys.map(
    (key) =>
      (filter.proxy === undefined || key.proxy === filter.proxy) &&
      (filter.tool === undefined || key.tool === filter.tool) &&
      (filter.errorCode === undefined || key.error_code === filter.errorCode) &&
      (!filter.failedWithCode ||
        (key.status !== 'ok' && key.error_code !== null && key.error_code !== '')),
  );
  const counts = (status: string) => [
    status === 'ok' ? 0 : 1,
    status === 'error' ? 1 : 0,
    status === 'timeout' ? 1 : 0,
  ];
  // Failed, errors and timeouts a call of each key adds.
  const statusCounts = rows.keys.map((key) => counts(key.status));
  const sums = new Map<number, unknown[]>();
  for (let i = firstAtOrAfter(rows.ts, window.fromMs); i < rows.ts.length; i += 1) {
    const ts = rows.ts[i] as number;
    if (ts >= window.toMs) break;
    const k = rows.key[i] as number;
    if (!passes[k]) continue;
    const group =
      window.bucketMs === undefined ? k : k + rows.keys.length * Math.floor(ts / window.bucketMs);
    const latencyUs = rows.latencyUs[i] as number;
    const [failed, errors, timeouts] = statusCounts[k] as number[];
    const sum = sums.get(group);
    if (sum === undefined) {
      const key = rows.keys[k] as RowKey;
      sums.set(group, [
        key.proxy,
        key.method,
        key.tool ?? '',
        key.status,
        key.error_code ?? '',
        1,
        failed,
        errors,
        timeouts,
        latencyUs,
        latencyUs,
        latencyUs,
        rows.bytesIn[i],
        rows.bytesOut[i],
        ts,
        null,
        1,
        window.countsOnly ? null : [latencyUs],
      ]);
      continue;
    }
    sum[5] = (sum[5] as number) + 1;
    sum[6] = (sum[6] as number) + (failed as number);
    sum[7] = (sum[7] as number) + (errors as number);
    sum[8] = (sum[8] as number) + (timeouts as number);
    sum[9] = (sum[9] as number) + latencyUs;
    if (latencyUs < (sum[10] as number)) sum[10] = latencyUs;
    if (latencyUs > (sum[11] as number)) sum[11] = latencyUs;
    sum[12] = (sum[12] as number) + (rows.bytesIn[i] as number);
    sum[13] = (sum[13] as number) + (rows.bytesOut[i] as number);
    sum[14] = ts;
    (sum[17] as number[] | null)?.push(latencyUs);
  }
  for (const sum of sums.values()) emit(sum);
}

/** The index of the first of the sorted `values` at or after `at`. */
function firstAtOrAfter(values: Float64Array, at: number): number {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) < at) low = middle + 1;
    else high = middle;
  }
  return low;
}
