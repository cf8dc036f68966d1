// Rollup rows of closed ranges of units, kept in memory by a reader that
// lives long (the daemon's query thread, the web dashboard's server). A wide
// window's middle is days of rows that no longer change, yet reading them
// (histograms above all) is most of what its question costs; the same
// ranges come back at every question until the window's edge crosses into
// the next unit. Rows can still change there: an event late for its unit,
// a delete that drops old units, a store vacuum of one proxy, a rebuild.
// So each reuse first takes the range's fingerprint (its rows' count, calls,
// latency sum and last call), which SQLite sums without reading a
// histogram into JavaScript, and reads the rows again when it differs; the
// caller's snapshot makes both one moment. Off unless a reader asks for it:
// a one-question process would only pay for the fingerprint.

import type { Db } from './connection.js';

/** What one reader keeps at most, in the rows' estimated bytes. */
export const SETTLED_ROWS_MAX_BYTES = 32 * 1024 * 1024;
/** What a kept row costs beside its blobs: its array, numbers and short strings. */
const ROW_OVERHEAD_BYTES = 256;

interface Kept {
  fingerprint: string;
  rows: unknown[][];
  bytes: number;
}

interface Memory {
  maxBytes: number;
  bytes: number;
  /** In the order last used: the first is the first to go. */
  ranges: Map<string, Kept>;
}

const memories = new WeakMap<Db, Memory>();

/** Whether `db` keeps what it reads of settled units (here and in settled-requests.ts). */
export function keepsSettled(db: Db): boolean {
  return memories.has(db);
}

/** From now on, closed ranges of rollup rows read on `db` are kept (up to maxBytes). */
export function keepSettledRollups(db: Db, maxBytes = SETTLED_ROWS_MAX_BYTES): void {
  if (!memories.has(db)) memories.set(db, { maxBytes, bytes: 0, ranges: new Map() });
}

/**
 * The rows `sql` selects (with `params`) from `table`'s units that start in
 * [fromMs, toMs): kept ones while the range's fingerprint is unchanged, else
 * read (and kept, on a connection that keeps them). The rows are shared:
 * never change them.
 */
export function settledRows(
  db: Db,
  range: { table: string; fromMs: number; toMs: number },
  sql: string,
  params: Record<string, unknown>,
): unknown[][] {
  const read = () => db.prepare(sql).raw().all(params) as unknown[][];
  const memory = memories.get(db);
  if (memory === undefined) return read();
  const fingerprint = (
    db
      .prepare(
        `SELECT COUNT(*), TOTAL(calls), TOTAL(latency_sum), MAX(last_ts) FROM ${range.table}
         WHERE start_ms >= @from AND start_ms < @to`,
      )
      .raw()
      .get({ from: range.fromMs, to: range.toMs }) as unknown[]
  ).join(',');
  const key = `${sql}\u0000${JSON.stringify(params)}`;
  const kept = memory.ranges.get(key);
  if (kept !== undefined) {
    memory.ranges.delete(key);
    if (kept.fingerprint === fingerprint) {
      memory.ranges.set(key, kept);
      return kept.rows;
    }
    memory.bytes -= kept.bytes;
  }
  const rows = read();
  let bytes = 0;
  for (const row of rows) {
    bytes += ROW_OVERHEAD_BYTES;
    for (const value of row) if (value instanceof Uint8Array) bytes += value.byteLength;
  }
  if (bytes > memory.maxBytes) return rows;
  for (const [oldest, range] of memory.ranges) {
    if (memory.bytes + bytes <= memory.maxBytes) break;
    memory.ranges.delete(oldest);
    memory.bytes -= range.bytes;
  }
  memory.ranges.set(key, { fingerprint, rows, bytes });
  memory.bytes += bytes;
  return rows;
}
