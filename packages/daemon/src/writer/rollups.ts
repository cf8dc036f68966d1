// Keeps the hourly rollups (@mcpr-store/query's rollup.ts) equal to the
// requests they count. Inserts are tallied in memory and written once per
// key and transaction, in the same transaction as the rows; deletes (age,
// size bound, store vacuum) go oldest first, so after each delete step the
// hours before the oldest row left are dropped whole and the one hour it
// falls in is counted again from its rows. The state table records the
// span of ids counted, so readers and the next start can tell whether the
// rollups still match (rows written or deleted by other software); at open
// they catch up on new rows or, after deletes they did not see, are rebuilt.

import {
  addHistogram,
  encodeHistogram,
  HOUR_MS,
  hourOf,
  latencyBucket,
  ROLLUP_DDL,
  ROLLUP_STATE_TABLE,
  ROLLUP_TABLE,
  rollupSpan,
} from '@mcpr-store/query';
import type { Db } from '../db/connection.js';

interface RollupRow {
  hour_ms: number;
  proxy: string;
  method: string;
  tool: string;
  status: string;
  error_code: string;
  calls: number;
  latency_sum: number;
  latency_min: number;
  latency_max: number;
  bytes_in: number;
  bytes_out: number;
  last_ts: number;
  histogram: Map<number, number>;
}

/** The columns a rebuild counts, grouped by the rollup's key. */
const ROLLUP_SELECT = `
  SELECT (ts / ${HOUR_MS}) * ${HOUR_MS}, proxy, method, COALESCE(tool, ''), status,
         COALESCE(error_code, ''), COUNT(*), SUM(latency_us), MIN(latency_us), MAX(latency_us),
         COALESCE(SUM(bytes_in), 0), COALESCE(SUM(bytes_out), 0), MAX(ts),
         mcpr_store_histogram(latency_us)
  FROM requests`;
const ROLLUP_GROUP = 'GROUP BY 1, 2, 3, 4, 5, 6';

/** Adds the rows after an id into the rollups. */
const CATCH_UP_SQL = `
  INSERT INTO ${ROLLUP_TABLE} ${ROLLUP_SELECT} WHERE id > @after ${ROLLUP_GROUP}
  ON CONFLICT DO UPDATE SET
    calls = calls + excluded.calls,
    latency_sum = latency_sum + excluded.latency_sum,
    latency_min = MIN(latency_min, excluded.latency_min),
    latency_max = MAX(latency_max, excluded.latency_max),
    bytes_in = bytes_in + excluded.bytes_in,
    bytes_out = bytes_out + excluded.bytes_out,
    last_ts = MAX(last_ts, excluded.last_ts),
    histogram = mcpr_store_histogram_add(histogram, excluded.histogram)`;

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
  db.function('mcpr_store_histogram_add', { deterministic: true }, (a: unknown, b: unknown) => {
    const counts = new Map<number, number>();
    addHistogram(a as Buffer, counts);
    addHistogram(b as Buffer, counts);
    return encodeHistogram(counts);
  });
}

export class Rollups {
  private readonly pending = new Map<string, RollupRow>();
  private readonly upsert;
  private readonly setSpan;
  private readonly idSpan: () => { min_id: number | null; max_id: number | null };

  constructor(private readonly db: Db) {
    registerFunctions(db);
    const existed = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
      .get(ROLLUP_TABLE);
    db.exec(ROLLUP_DDL);
    // A state without its table (dropped by hand) describes nothing.
    if (!existed) db.exec(`DELETE FROM ${ROLLUP_STATE_TABLE}`);
    this.upsert = db.prepare(`
      INSERT INTO ${ROLLUP_TABLE} (hour_ms, proxy, method, tool, status, error_code, calls,
        latency_sum, latency_min, latency_max, bytes_in, bytes_out, last_ts, histogram)
      VALUES (@hour_ms, @proxy, @method, @tool, @status, @error_code, @calls,
        @latency_sum, @latency_min, @latency_max, @bytes_in, @bytes_out, @last_ts, @histogram)
      ON CONFLICT DO UPDATE SET
        calls = calls + excluded.calls,
        latency_sum = latency_sum + excluded.latency_sum,
        latency_min = MIN(latency_min, excluded.latency_min),
        latency_max = MAX(latency_max, excluded.latency_max),
        bytes_in = bytes_in + excluded.bytes_in,
        bytes_out = bytes_out + excluded.bytes_out,
        last_ts = MAX(last_ts, excluded.last_ts),
        histogram = mcpr_store_histogram_add(histogram, excluded.histogram)`);
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
    const sameSpan = span?.min_id === actual.min_id && span?.max_id === actual.max_id;
    if (sameSpan && this.countsAgree()) return 'current';
    const appended =
      span !== null &&
      span.min_id !== null &&
      span.min_id === actual.min_id &&
      (actual.max_id ?? 0) > (span.max_id ?? 0);
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

  /** Counts one inserted request; written by `flush` in the same transaction. */
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
    const key = `${hour}\u0000${proxy}\u0000${method}\u0000${tool ?? ''}\u0000${status}\u0000${errorCode ?? ''}`;
    let row = this.pending.get(key);
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
      this.pending.set(key, row);
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

  /** Writes what `add` counted, inside the caller's transaction. */
  flush(): void {
    if (this.pending.size === 0) return;
    for (const row of this.pending.values()) {
      this.upsert.run({ ...row, histogram: encodeHistogram(row.histogram) });
    }
    this.pending.clear();
    this.recordSpan();
  }

  /** Forgets what `add` counted (a transaction that rolled back). */
  discard(): void {
    this.pending.clear();
  }

  /**
   * After a delete step that removed the oldest rows (of one proxy, or of
   * all): hours before the oldest row left are gone whole; the hour it falls
   * in is counted again from its rows. Inside the caller's transaction.
   */
  afterOldestDeleted(proxy: string | null): void {
    const forProxy = proxy === null ? '' : 'AND proxy = @proxy';
    const oldest = this.db
      .prepare(`SELECT MIN(ts) FROM requests WHERE 1 ${forProxy}`)
      .pluck()
      .get({ proxy }) as number | null;
    const params = { proxy, hour: oldest === null ? Number.MAX_SAFE_INTEGER : hourOf(oldest) };
    this.db.prepare(`DELETE FROM ${ROLLUP_TABLE} WHERE hour_ms <= @hour ${forProxy}`).run(params);
    if (oldest !== null) {
      this.db
        .prepare(
          `INSERT INTO ${ROLLUP_TABLE} ${ROLLUP_SELECT}
           WHERE ts >= @hour AND ts < @hour + ${HOUR_MS} ${forProxy} ${ROLLUP_GROUP}`,
        )
        .run(params);
    }
    this.recordSpan();
  }

  private recordSpan(): void {
    const span = this.idSpan();
    this.setSpan.run('min_id', span.min_id);
    this.setSpan.run('max_id', span.max_id);
  }
}
