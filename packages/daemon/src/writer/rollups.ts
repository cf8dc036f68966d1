// Keeps the hourly rollups (@mcpr-store/query's rollup.ts) equal to the
// requests they count. Inserts are tallied in memory and written about once
// a second, in the ingest transaction that commits then (and before each
// delete step, and at close); the state records the span of ids counted, so
// readers add the rows after it from the rows, and the next start can tell
// whether the rollups still match (rows written or deleted by other
// software): it catches up on new rows, or rebuilds after deletes it did not
// see. Deletes (age, size bound, store vacuum) go oldest first, so after
// each delete step the hours before the oldest row left are dropped whole
// and the one hour it falls in is counted again from its rows.
// Once a six-hour block is over, its hourly rows are summed into one row per
// key of the coarser table, which wide windows read instead; an event late
// for a block already made is counted in both, and deletes remake the block
// the oldest row left falls in, as they do its hour.

import {
  addHistogram,
  BLOCK_MS,
  BLOCK_ROLLUP_TABLE,
  blockOf,
  encodeHistogram,
  HOUR_MS,
  hourOf,
  LATENCY_BUCKETS,
  latencyBucket,
  ROLLUP_DDL,
  ROLLUP_FORMAT,
  ROLLUP_STATE_TABLE,
  ROLLUP_TABLE,
  type RollupCounts,
  rollupSpan,
} from '@mcpr-store/query';
import type { Db } from '../db/connection.js';

/** A rollup row being counted: its hour, key and counts, its histogram as bucket counts. */
type RollupRow = RollupCounts & { hour_ms: number; histogram: Map<number, number> };

/** The columns a rebuild counts, grouped by the rollup's key. */
const ROLLUP_SELECT = `
  SELECT (ts / ${HOUR_MS}) * ${HOUR_MS}, proxy, method, COALESCE(tool, ''), status,
         COALESCE(error_code, ''), COUNT(*), SUM(latency_us), MIN(latency_us), MAX(latency_us),
         COALESCE(SUM(bytes_in), 0), COALESCE(SUM(bytes_out), 0), MAX(ts),
         mcpr_store_histogram(latency_us)
  FROM requests`;
const ROLLUP_GROUP = 'GROUP BY 1, 2, 3, 4, 5, 6';

/** The six-hour rows the hourly rows of a span of blocks make. */
const BLOCK_SELECT = `
  SELECT (hour_ms / ${BLOCK_MS}) * ${BLOCK_MS}, proxy, method, tool, status, error_code,
         SUM(calls), SUM(latency_sum), MIN(latency_min), MAX(latency_max), SUM(bytes_in),
         SUM(bytes_out), MAX(last_ts), mcpr_store_histogram_sum(histogram)
  FROM ${ROLLUP_TABLE}`;

/** How long the writer keeps counts in memory before writing them (see the constructor). */
export const ROLLUP_FLUSH_MS = 1000;

/** A rollup row's hour and key as one string. */
function keyOf(
  hour: number,
  proxy: string,
  method: string,
  tool: string,
  status: string,
  errorCode: string,
): string {
  return `${hour}\u0000${proxy}\u0000${method}\u0000${tool}\u0000${status}\u0000${errorCode}`;
}

/** Adds `row` into the row of its key in `rows`. */
function mergeInto(rows: Map<string, RollupRow>, row: RollupRow): void {
  const key = keyOf(row.hour_ms, row.proxy, row.method, row.tool, row.status, row.error_code);
  const into = rows.get(key);
  if (!into) {
    rows.set(key, { ...row, histogram: new Map(row.histogram) });
    return;
  }
  into.calls += row.calls;
  into.latency_sum += row.latency_sum;
  into.latency_min = Math.min(into.latency_min, row.latency_min);
  into.latency_max = Math.max(into.latency_max, row.latency_max);
  into.bytes_in += row.bytes_in;
  into.bytes_out += row.bytes_out;
  into.last_ts = Math.max(into.last_ts, row.last_ts);
  for (const [bucket, count] of row.histogram) {
    into.histogram.set(bucket, (into.histogram.get(bucket) ?? 0) + count);
  }
}

/** A finished block waits this long for late events before it is made from its hours. */
const BLOCK_GRACE_MS = 5 * 60_000;

/** Adds counts into a rollup row that exists. */
const MERGE_ON_CONFLICT = `
  ON CONFLICT DO UPDATE SET
    calls = calls + excluded.calls,
    latency_sum = latency_sum + excluded.latency_sum,
    latency_min = MIN(latency_min, excluded.latency_min),
    latency_max = MAX(latency_max, excluded.latency_max),
    bytes_in = bytes_in + excluded.bytes_in,
    bytes_out = bytes_out + excluded.bytes_out,
    last_ts = MAX(last_ts, excluded.last_ts),
    histogram = mcpr_store_histogram_add(histogram, excluded.histogram)`;

/** Adds one row's counts into a rollup table, its time column bound as @hour_ms or @block_ms. */
function upsertSql(table: string, timeColumn: 'hour_ms' | 'block_ms'): string {
  return `
    INSERT INTO ${table} (${timeColumn}, proxy, method, tool, status, error_code, calls,
      latency_sum, latency_min, latency_max, bytes_in, bytes_out, last_ts, histogram)
    VALUES (@${timeColumn}, @proxy, @method, @tool, @status, @error_code, @calls,
      @latency_sum, @latency_min, @latency_max, @bytes_in, @bytes_out, @last_ts, @histogram)
    ${MERGE_ON_CONFLICT}`;
}

/** Adds the rows after an id into the rollups. */
const CATCH_UP_SQL = `INSERT INTO ${ROLLUP_TABLE} ${ROLLUP_SELECT} WHERE id > @after ${ROLLUP_GROUP} ${MERGE_ON_CONFLICT}`;

/** The SQL functions the rollups' statements use, on the writing connection. */
function registerFunctions(db: Db): void {
  db.aggregate('mcpr_store_histogram', {
    start: () => new Map<number, number>(),
    step: (counts: Map<number, number>, latencyUs: unknown) => {
      const bucket = latencyBucket(Number(latencyUs));
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    },
    result: (counts: Map<number, number>) => encodeHistogram(counts),
  });
  db.aggregate('mcpr_store_histogram_sum', {
    start: () => new Uint32Array(LATENCY_BUCKETS),
    step: (counts: Uint32Array, blob: unknown) => addHistogram(blob as Buffer, counts),
    result: (counts: Uint32Array) => {
      const sparse = new Map<number, number>();
      counts.forEach((count, bucket) => {
        if (count > 0) sparse.set(bucket, count);
      });
      return encodeHistogram(sparse);
    },
  });
  db.function('mcpr_store_histogram_add', { deterministic: true }, (a: unknown, b: unknown) => {
    const counts = new Map<number, number>();
    addHistogram(a as Buffer, counts);
    addHistogram(b as Buffer, counts);
    return encodeHistogram(counts);
  });
}

export class Rollups {
  /** Counted by committed transactions, not yet written. */
  private readonly pending = new Map<string, RollupRow>();
  /** Counted by the transaction under way. */
  private readonly transactionRows = new Map<string, RollupRow>();
  private flushedInTransaction = false;
  private lastFlushMs = 0;
  private flushedAtMs = 0;
  private readonly upsert;
  private readonly upsertBlock;
  /** Blocks before this are in the six-hour table (the state's blocks_through_ms). */
  private blocksThrough = 0;
  private readonly setSpan;
  private readonly idSpan: () => { min_id: number | null; max_id: number | null };

  /**
   * `flushMs`: how long counts may wait in memory before they are written.
   * Written at every transaction, a fleet's thousands of keys would rewrite
   * their rows (and the pages that hold them) several times a second;
   * readers count the rows after the last write from the rows themselves.
   */
  constructor(
    private readonly db: Db,
    private readonly flushMs = ROLLUP_FLUSH_MS,
  ) {
    registerFunctions(db);
    const existed = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(ROLLUP_TABLE);
    db.exec(ROLLUP_DDL);
    // A state without its table (dropped by hand) describes nothing.
    if (!existed) {
      db.exec(`DELETE FROM ${ROLLUP_STATE_TABLE}`);
      db.prepare(`INSERT INTO ${ROLLUP_STATE_TABLE} (name, value) VALUES ('format', ?)`).run(
        ROLLUP_FORMAT,
      );
    }
    this.blocksThrough = rollupSpan(db)?.blocks_through_ms ?? 0;
    this.upsert = db.prepare(upsertSql(ROLLUP_TABLE, 'hour_ms'));
    this.upsertBlock = db.prepare(upsertSql(BLOCK_ROLLUP_TABLE, 'block_ms'));
    this.setSpan = db.prepare(
      `INSERT INTO ${ROLLUP_STATE_TABLE} (name, value) VALUES (?, ?)
       ON CONFLICT(name) DO UPDATE SET value = excluded.value`,
    );
    // Two statements: SQLite finds a lone MIN or MAX of the rowid in one
    // seek, but scans for the two together.
    const minId = db.prepare('SELECT MIN(id) FROM requests').pluck();
    const maxId = db.prepare('SELECT MAX(id) FROM requests').pluck();
    this.idSpan = () => ({
      min_id: minId.get() as number | null,
      max_id: maxId.get() as number | null,
    });
  }

  /**
   * Brings the rollups level with the rows at open: nothing to do when they
   * match, the new rows only when rows were added after them, everything
   * again when they are missing or rows they counted are gone.
   */
  catchUp(): 'current' | 'caught_up' | 'rebuilt' {
    const span = rollupSpan(this.db);
    const actual = this.idSpan();
    const sameFormat = span?.format === ROLLUP_FORMAT;
    const sameSpan = sameFormat && span?.min_id === actual.min_id && span?.max_id === actual.max_id;
    if (sameSpan && this.countsAgree()) {
      this.db.transaction(() => {
        this.recount();
        this.makeBlocks(Date.now());
      })();
      return 'current';
    }
    // Rows after the last write (a stop before it, or other software's): add them.
    const appended =
      span !== null && span.min_id === actual.min_id && (actual.max_id ?? 0) > (span.max_id ?? 0);
    let outcome: 'caught_up' | 'rebuilt' = 'rebuilt';
    this.db.transaction(() => {
      if (appended) {
        this.db.prepare(CATCH_UP_SQL).run({ after: span?.max_id ?? 0 });
        // Rows deleted in the middle of the ids as well: count them all again.
        if (this.countsAgree()) outcome = 'caught_up';
      }
      if (outcome === 'rebuilt') {
        this.db.exec(`DELETE FROM ${ROLLUP_TABLE}`);
        this.db.exec(`INSERT INTO ${ROLLUP_TABLE} ${ROLLUP_SELECT} ${ROLLUP_GROUP}`);
      }
      this.recount();
      this.setSpan.run('format', ROLLUP_FORMAT);
      // The blocks again from the hours (the new rows may be in finished blocks).
      this.db.exec(`DELETE FROM ${BLOCK_ROLLUP_TABLE}`);
      this.blocksThrough = 0;
      this.makeBlocks(Date.now());
      this.recordSpan();
    })();
    return outcome;
  }

  /**
   * Whether the rollups count as many requests as there are: rows deleted
   * by other software from the middle of the ids leave the id span as it
   * was, but not the count. One pass over an index, so only at open.
   */
  private countsAgree(): boolean {
    const rolled = this.db
      .prepare(`SELECT COALESCE(SUM(calls), 0) FROM ${ROLLUP_TABLE}`)
      .pluck()
      .get();
    const rows = this.db.prepare('SELECT COUNT(*) FROM requests').pluck().get();
    return rolled === rows;
  }

  /** Counts one inserted request of the transaction under way (see endTransaction). */
  add(
    ts: number,
    proxy: string,
    method: string,
    tool: string | null,
    status: string,
    errorCode: string | null,
    latencyUs: number,
    bytesIn: number | null,
    bytesOut: number | null,
  ): void {
    const hour = hourOf(ts);
    const key = keyOf(hour, proxy, method, tool ?? '', status, errorCode ?? '');
    let row = this.transactionRows.get(key);
    if (!row) {
      row = {
        hour_ms: hour,
        proxy,
        method,
        tool: tool ?? '',
        status,
        error_code: errorCode ?? '',
        calls: 0,
        latency_sum: 0,
        latency_min: latencyUs,
        latency_max: latencyUs,
        bytes_in: 0,
        bytes_out: 0,
        last_ts: ts,
        histogram: new Map(),
      };
      this.transactionRows.set(key, row);
    }
    row.calls += 1;
    row.latency_sum += latencyUs;
    if (latencyUs < row.latency_min) row.latency_min = latencyUs;
    if (latencyUs > row.latency_max) row.latency_max = latencyUs;
    row.bytes_in += bytesIn ?? 0;
    row.bytes_out += bytesOut ?? 0;
    if (ts > row.last_ts) row.last_ts = ts;
    const bucket = latencyBucket(latencyUs);
    row.histogram.set(bucket, (row.histogram.get(bucket) ?? 0) + 1);
  }

  /**
   * At the end of an ingest transaction, inside it: once `flushMs` has
   * passed since the last write, what committed transactions and this one
   * counted is written; else it waits in memory. Call `committed` or
   * `rolledBack` once the transaction is over.
   */
  endTransaction(nowMs = Date.now()): void {
    if (nowMs - this.lastFlushMs < this.flushMs) return;
    for (const row of this.pending.values()) mergeInto(this.transactionRows, row);
    this.writeRows(this.transactionRows, nowMs);
    this.flushedInTransaction = true;
  }

  /** The transaction committed: what it counted is written, or waits for the next write. */
  committed(): void {
    if (this.flushedInTransaction) {
      this.pending.clear();
      this.lastFlushMs = this.flushedAtMs;
    } else {
      for (const row of this.transactionRows.values()) mergeInto(this.pending, row);
    }
    this.transactionRows.clear();
    this.flushedInTransaction = false;
  }

  /** The transaction rolled back: its counts go; what earlier ones counted still waits. */
  rolledBack(): void {
    this.transactionRows.clear();
    this.flushedInTransaction = false;
  }

  /**
   * Writes what waits in memory in a transaction of its own: before a
   * delete step (which recounts hours from the rows) and at close.
   */
  flushPending(nowMs = Date.now()): void {
    if (this.pending.size === 0) return;
    this.db.transaction(() => this.writeRows(this.pending, nowMs))();
    this.pending.clear();
    this.lastFlushMs = nowMs;
  }

  private writeRows(rows: Map<string, RollupRow>, nowMs: number): void {
    let calls = 0;
    for (const row of rows.values()) {
      calls += row.calls;
      const values = { ...row, histogram: encodeHistogram(row.histogram) };
      this.upsert.run(values);
      // A late event in a block already made: that block counts it too.
      if (row.hour_ms < this.blocksThrough) {
        this.upsertBlock.run({ ...values, block_ms: blockOf(row.hour_ms) });
      }
    }
    this.addToCount(calls);
    this.makeBlocks(nowMs);
    this.recordSpan();
    this.flushedAtMs = nowMs;
  }

  /** The state's count of requests, which store stats reads instead of counting every row. */
  private addToCount(calls: number): void {
    this.db
      .prepare(
        `INSERT INTO ${ROLLUP_STATE_TABLE} (name, value) VALUES ('request_count', @calls)
         ON CONFLICT(name) DO UPDATE SET value = value + @calls`,
      )
      .run({ calls });
  }

  /** Sets the state's count of requests to what the hourly rows sum to. */
  private recount(): void {
    const total = this.db
      .prepare(`SELECT COALESCE(SUM(calls), 0) FROM ${ROLLUP_TABLE}`)
      .pluck()
      .get();
    this.setSpan.run('request_count', total);
  }

  /**
   * Makes the six-hour rows of the blocks that are over (and their grace
   * for late events passed) from their hourly rows: once a block, so this
   * costs a moment four times a day (or once for the whole history).
   */
  private makeBlocks(nowMs: number): void {
    const through = blockOf(nowMs - BLOCK_GRACE_MS);
    if (through <= this.blocksThrough) return;
    this.db
      .prepare(
        `INSERT INTO ${BLOCK_ROLLUP_TABLE} ${BLOCK_SELECT}
         WHERE hour_ms >= @from AND hour_ms < @through GROUP BY 1, 2, 3, 4, 5, 6 ${MERGE_ON_CONFLICT}`,
      )
      .run({ from: this.blocksThrough, through });
    this.blocksThrough = through;
    this.setSpan.run('blocks_through_ms', through);
  }

  /**
   * After a delete step that removed the oldest rows (of one proxy, or of
   * all): hours before the oldest row left are gone whole; the hour it falls
   * in is counted again from its rows. Inside the caller's transaction.
   */
  afterOldestDeleted(proxy: string | null, deleted: number): void {
    this.addToCount(-deleted);
    // Rows after the last write are counted when it comes (by another
    // process's writer, when store vacuum runs beside the daemon).
    const maxId = rollupSpan(this.db)?.max_id ?? 0;
    const forProxy = proxy === null ? '' : 'AND proxy = @proxy';
    const oldest = this.db
      .prepare(`SELECT MIN(ts) FROM requests WHERE 1 ${forProxy}`)
      .pluck()
      .get({ proxy }) as number | null;
    const params = {
      proxy,
      max_id: maxId,
      hour: oldest === null ? Number.MAX_SAFE_INTEGER : hourOf(oldest),
    };
    this.db.prepare(`DELETE FROM ${ROLLUP_TABLE} WHERE hour_ms <= @hour ${forProxy}`).run(params);
    const block = oldest === null ? Number.MAX_SAFE_INTEGER : blockOf(oldest);
    this.db
      .prepare(`DELETE FROM ${BLOCK_ROLLUP_TABLE} WHERE block_ms <= @block ${forProxy}`)
      .run({ ...params, block });
    if (oldest !== null) {
      this.db
        .prepare(
          `INSERT INTO ${ROLLUP_TABLE} ${ROLLUP_SELECT}
           WHERE ts >= @hour AND ts < @hour + ${HOUR_MS} AND id <= @max_id ${forProxy} ${ROLLUP_GROUP}`,
        )
        .run(params);
      if (block < this.blocksThrough) {
        this.db
          .prepare(
            `INSERT INTO ${BLOCK_ROLLUP_TABLE} ${BLOCK_SELECT}
             WHERE hour_ms >= @block AND hour_ms < @block + ${BLOCK_MS} ${forProxy} GROUP BY 1, 2, 3, 4, 5, 6`,
          )
          .run({ ...params, block });
      }
    }
    this.recordSpan({ lowestOnly: true });
  }

  /**
   * Records the ids the rollups now count: all rows' after a write of
   * everything counted; after a delete, only the new lowest (rows after the
   * last write are not counted yet).
   */
  private recordSpan(how: { lowestOnly?: boolean } = {}): void {
    const span = this.idSpan();
    this.setSpan.run('min_id', span.min_id);
    if (!how.lowestOnly) {
      this.setSpan.run('max_id', span.max_id);
      return;
    }
    // A delete of the highest rows lowers the highest id counted with them.
    const recorded = rollupSpan(this.db)?.max_id ?? null;
    if (recorded !== null && (span.max_id === null || span.max_id < recorded)) {
      this.setSpan.run('max_id', span.max_id);
    }
  }
}
