// Keeps the rollups (@mcpr-store/query's rollup.ts) equal to the requests
// they count. The finest tier is written from the rows: Inserts are tallied in memory and written about once
// a second, in the ingest transaction that commits then (and before each
// delete step, and at close); the state records the span of ids counted, so
// readers add the rows after it from the rows, and the next start can tell
// whether the rollups still match (rows written or deleted by other
// software): it catches up on new rows, or rebuilds after deletes it did not
// see. Deletes (age, size bound, store vacuum) go oldest first, so after
// each delete step the units before the oldest row left's half-hour are
// dropped whole; readers read that half-hour from its rows.
// Once a unit of a coarser tier is over, the rows of the tier below in it
// are summed into one row per key, which wide windows read instead; an
// event late for a unit already made is counted in every tier. Every
// family (rollup.ts) is written in the same steps, its key apart.

import {
  addHistogram,
  BASE_TIER,
  CALL_ROLLUPS,
  encodeHistogram,
  LATENCY_BUCKETS,
  latencyBucket,
  RETIRED_ROLLUP_TABLES,
  ROLLUP_COLUMN_NAMES,
  ROLLUP_DDL,
  ROLLUP_FAMILIES,
  ROLLUP_FORMAT,
  ROLLUP_STATE_TABLE,
  ROLLUP_TABLES,
  ROLLUP_TIERS,
  type RollupCounts,
  type RollupFamily,
  type RollupTier,
  rolledFromMs,
  rollupSpan,
  TOOL_ROLLUPS,
  throughName,
  unitOf,
} from '@mcpr-store/query';
import type { Db } from '../db/connection.js';

/** A base rollup row being counted: its unit, key and counts, its histogram as bucket counts. */
type RollupRow = RollupCounts & { start_ms: number; histogram: Map<number, number> };

/**
 * Adds the requests that `where` selects (a WHERE clause on requests) into
 * a family's base tier, counted by its key.
 */
function countRowsSql(family: RollupFamily, where: string): string {
  const base = family.tiers[0] as RollupTier;
  const [status, errorCode] = family.keepsStatus
    ? ['status', "COALESCE(error_code, '')"]
    : ["''", "''"];
  return `
  INSERT INTO ${base.table} (${ROLLUP_COLUMN_NAMES})
  SELECT (ts / ${BASE_TIER.unit_ms}) * ${BASE_TIER.unit_ms}, proxy, method, COALESCE(tool, ''), ${status},
         ${errorCode}, COUNT(*), SUM(status <> 'ok'), SUM(status = 'error'), SUM(status = 'timeout'),
         SUM(latency_us), MIN(latency_us), MAX(latency_us), COALESCE(SUM(bytes_in), 0),
         COALESCE(SUM(bytes_out), 0), MAX(ts), mcpr_store_histogram(latency_us)
  FROM requests ${where} GROUP BY 1, 2, 3, 4, 5, 6 ${MERGE_ON_CONFLICT}`;
}

/**
 * Adds the rows of the tier below tier `at` of a family that `where`
 * selects (a WHERE clause on that table) into tier `at`'s units.
 */
function countFinerSql(family: RollupFamily, at: number, where: string): string {
  return sumRowsSql(family.tiers[at - 1] as RollupTier, family.tiers[at] as RollupTier, where);
}

/**
 * Adds the rows of `from` that `where` selects into `into`'s units, by
 * their key, or by proxy, method and tool alone when `keepStatus` is false.
 */
function sumRowsSql(from: RollupTier, into: RollupTier, where: string, keepStatus = true): string {
  const [status, errorCode] = keepStatus ? ['status', 'error_code'] : ["''", "''"];
  return `
  INSERT INTO ${into.table} (${ROLLUP_COLUMN_NAMES})
  SELECT (start_ms / ${into.unit_ms}) * ${into.unit_ms}, proxy, method, tool, ${status}, ${errorCode},
         SUM(calls), SUM(failed), SUM(errors), SUM(timeouts), SUM(latency_sum), MIN(latency_min),
         MAX(latency_max), SUM(bytes_in), SUM(bytes_out), MAX(last_ts),
         mcpr_store_histogram_sum(histogram)
  FROM ${from.table} ${where} GROUP BY 1, 2, 3, 4, 5, 6 ${MERGE_ON_CONFLICT}`;
}

/** How long the writer keeps counts in memory before writing them (see the constructor). */
export const ROLLUP_FLUSH_MS = 1000;

/** A rollup row's unit and key as one string. */
function keyOf(
  start: number,
  proxy: string,
  method: string,
  tool: string,
  status: string,
  errorCode: string,
): string {
  return `${start}\u0000${proxy}\u0000${method}\u0000${tool}\u0000${status}\u0000${errorCode}`;
}

/**
 * Adds `row` into the row of its key in `rows`; with `family`, of that
 * family's key (status and error code '' where it does not keep them).
 */
function mergeInto(rows: Map<string, RollupRow>, row: RollupRow, family?: RollupFamily): void {
  const status = family?.keepsStatus === false ? '' : row.status;
  const errorCode = family?.keepsStatus === false ? '' : row.error_code;
  const key = keyOf(row.start_ms, row.proxy, row.method, row.tool, status, errorCode);
  const into = rows.get(key);
  if (!into) {
    rows.set(key, { ...row, status, error_code: errorCode, histogram: new Map(row.histogram) });
    return;
  }
  into.calls += row.calls;
  into.failed += row.failed;
  into.errors += row.errors;
  into.timeouts += row.timeouts;
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

/** A finished unit waits this long for late events before the coarser tier is made from it. */
const GRACE_MS = 5 * 60_000;

/** Adds counts into a rollup row that exists. */
const MERGE_ON_CONFLICT = `
  ON CONFLICT DO UPDATE SET
    calls = calls + excluded.calls,
    failed = failed + excluded.failed,
    errors = errors + excluded.errors,
    timeouts = timeouts + excluded.timeouts,
    latency_sum = latency_sum + excluded.latency_sum,
    latency_min = MIN(latency_min, excluded.latency_min),
    latency_max = MAX(latency_max, excluded.latency_max),
    bytes_in = bytes_in + excluded.bytes_in,
    bytes_out = bytes_out + excluded.bytes_out,
    last_ts = MAX(last_ts, excluded.last_ts),
    histogram = mcpr_store_histogram_add(histogram, excluded.histogram)`;

/** Adds one row's counts into a rollup table. */
function upsertSql(table: string): string {
  return `
    INSERT INTO ${table} (${ROLLUP_COLUMN_NAMES})
    VALUES (@start_ms, @proxy, @method, @tool, @status, @error_code, @calls, @failed, @errors,
      @timeouts, @latency_sum, @latency_min, @latency_max, @bytes_in, @bytes_out, @last_ts,
      @histogram)
    ${MERGE_ON_CONFLICT}`;
}

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

/** The columns format 4 added to the call family, each from the status of the row's key. */
const FORMAT_4_COLUMNS: readonly [column: string, status: string][] = [
  ['failed', "status <> 'ok'"],
  ['errors', "status = 'error'"],
  ['timeouts', "status = 'timeout'"],
];

/**
 * Brings rollups of format 3 (the call family alone, without failed, errors
 * and timeouts) to this one in place, without reading the requests: the
 * columns from each row's status, the tool family summed from the call
 * family tier by tier. A rebuild reads every request with the socket shut,
 * for longer than a busy proxy's client can queue; this reads the rollups.
 */
function upgradeFormat3(db: Db): void {
  for (const tier of CALL_ROLLUPS.tiers) {
    for (const [column] of FORMAT_4_COLUMNS) {
      db.exec(`ALTER TABLE ${tier.table} ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`);
    }
    const counts = FORMAT_4_COLUMNS.map(
      ([column, status]) => `${column} = CASE WHEN ${status} THEN calls ELSE 0 END`,
    );
    db.exec(`UPDATE ${tier.table} SET ${counts.join(', ')}`);
  }
  db.exec(ROLLUP_DDL);
  for (const [i, tier] of TOOL_ROLLUPS.tiers.entries()) {
    db.exec(sumRowsSql(CALL_ROLLUPS.tiers[i] as RollupTier, tier, '', false));
  }
  db.prepare(`UPDATE ${ROLLUP_STATE_TABLE} SET value = ? WHERE name = 'format'`).run(ROLLUP_FORMAT);
}

/**
 * Readies the rollups' tables for this format: those of format 3 upgraded
 * in place; those of any other format (or a set missing a table, dropped by
 * hand) dropped, as their layout may differ, to be rebuilt from the rows.
 * Returns whether it upgraded.
 */
function readyTables(db: Db): boolean {
  const exists = (table: string) =>
    db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !==
    undefined;
  const format = exists(ROLLUP_STATE_TABLE)
    ? db.prepare(`SELECT value FROM ${ROLLUP_STATE_TABLE} WHERE name = 'format'`).pluck().get()
    : null;
  if (format === ROLLUP_FORMAT && ROLLUP_TABLES.every(exists)) return false;
  const format3 =
    format === 3 &&
    CALL_ROLLUPS.tiers.every((t) => exists(t.table)) &&
    !TOOL_ROLLUPS.tiers.some((t) => exists(t.table)) &&
    CALL_ROLLUPS.tiers.every((t) =>
      (db.pragma(`table_info(${t.table})`) as { name: string }[]).every(
        (c) => !FORMAT_4_COLUMNS.some(([column]) => column === c.name),
      ),
    );
  if (format3) {
    db.transaction(() => upgradeFormat3(db))();
    return true;
  }
  for (const table of [...ROLLUP_TABLES, ...RETIRED_ROLLUP_TABLES]) {
    db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
  db.exec(`DROP TABLE IF EXISTS ${ROLLUP_STATE_TABLE}`);
  return false;
}

export class Rollups {
  /** Counted by committed transactions, not yet written. */
  private readonly pending = new Map<string, RollupRow>();
  /** Counted by the transaction under way. */
  private readonly transactionRows = new Map<string, RollupRow>();
  private flushedInTransaction = false;
  private lastFlushMs = 0;
  private flushedAtMs = 0;
  /** Per family and tier (ROLLUP_FAMILIES' and their tiers' order): adds a row's counts into its table. */
  private readonly upserts;
  /** Per tier: units before this are made (the state's through_ms_*; the base's is unbounded). */
  private readonly through: number[];
  private readonly setSpan;
  private readonly idSpan: () => { min_id: number | null; max_id: number | null };
  /** The tables were upgraded in place from the previous format at open. */
  private readonly upgraded: boolean;

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
    this.upgraded = readyTables(db);
    const fresh =
      db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .get(ROLLUP_STATE_TABLE) === undefined;
    db.exec(ROLLUP_DDL);
    if (fresh) {
      db.prepare(`INSERT INTO ${ROLLUP_STATE_TABLE} (name, value) VALUES ('format', ?)`).run(
        ROLLUP_FORMAT,
      );
    }
    this.through = ROLLUP_TIERS.map((_, i) =>
      i === 0 ? Number.POSITIVE_INFINITY : (rollupSpan(db)?.through_ms[i] ?? 0),
    );
    this.upserts = ROLLUP_FAMILIES.map((f) => f.tiers.map((t) => db.prepare(upsertSql(t.table))));
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
  catchUp(): 'current' | 'upgraded' | 'caught_up' | 'rebuilt' {
    const span = rollupSpan(this.db);
    const actual = this.idSpan();
    const sameFormat = span?.format === ROLLUP_FORMAT;
    const sameSpan = sameFormat && span?.min_id === actual.min_id && span?.max_id === actual.max_id;
    if (sameSpan && this.countsAgree()) {
      this.db.transaction(() => {
        // Other software deleted the oldest rows by time (mcpr's vacuum by a cutoff).
        this.dropBeforeOldest();
        this.recount();
        this.makeCoarser(Date.now());
      })();
      return this.upgraded ? 'upgraded' : 'current';
    }
    // Rows after the last write (a stop before it, or other software's): add them.
    const appended =
      span !== null && span.min_id === actual.min_id && (actual.max_id ?? 0) > (span.max_id ?? 0);
    let outcome: 'caught_up' | 'rebuilt' = 'rebuilt';
    this.db.transaction(() => {
      if (appended) {
        for (const family of ROLLUP_FAMILIES) {
          this.db
            .prepare(countRowsSql(family, 'WHERE id > @after'))
            .run({ after: span?.max_id ?? 0 });
        }
        // Rows deleted in the middle of the ids as well: count them all again.
        if (this.countsAgree()) outcome = 'caught_up';
      }
      if (outcome === 'rebuilt') {
        for (const family of ROLLUP_FAMILIES) {
          this.db.exec(`DELETE FROM ${family.tiers[0]?.table}`);
          this.db.exec(countRowsSql(family, ''));
        }
      }
      this.recount();
      this.setSpan.run('format', ROLLUP_FORMAT);
      // The coarser tiers again from the base (the new rows may be in finished units).
      for (const family of ROLLUP_FAMILIES) {
        for (const tier of family.tiers.slice(1)) this.db.exec(`DELETE FROM ${tier.table}`);
      }
      for (const i of ROLLUP_TIERS.keys()) if (i > 0) this.through[i] = 0;
      this.makeCoarser(Date.now());
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
    const rows = this.db.prepare('SELECT COUNT(*) FROM requests').pluck().get();
    return this.baseCalls() === rows;
  }

  /**
   * The requests the rollups answer for: those the base tier counts from
   * the oldest request's half-hour on, and the rows before, which readers
   * read themselves (rolledFromMs).
   */
  private baseCalls(): number {
    const rolledFrom = rolledFromMs(this.db);
    const counted = this.db
      .prepare(`SELECT COALESCE(SUM(calls), 0) FROM ${BASE_TIER.table} WHERE start_ms >= @from`)
      .pluck()
      .get({ from: rolledFrom }) as number;
    const before = this.db
      .prepare('SELECT COUNT(*) FROM requests WHERE ts < @from')
      .pluck()
      .get({ from: rolledFrom }) as number;
    return counted + before;
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
    const start = unitOf(ts, BASE_TIER.unit_ms);
    const key = keyOf(start, proxy, method, tool ?? '', status, errorCode ?? '');
    let row = this.transactionRows.get(key);
    if (!row) {
      row = {
        start_ms: start,
        proxy,
        method,
        tool: tool ?? '',
        status,
        error_code: errorCode ?? '',
        calls: 0,
        failed: 0,
        errors: 0,
        timeouts: 0,
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
    if (status !== 'ok') row.failed += 1;
    if (status === 'error') row.errors += 1;
    else if (status === 'timeout') row.timeouts += 1;
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
   * delete step (which recounts units from the rows) and at close.
   */
  flushPending(nowMs = Date.now()): void {
    if (this.pending.size === 0) return;
    this.db.transaction(() => this.writeRows(this.pending, nowMs))();
    this.pending.clear();
    this.lastFlushMs = nowMs;
  }

  private writeRows(rows: Map<string, RollupRow>, nowMs: number): void {
    let calls = 0;
    for (const row of rows.values()) calls += row.calls;
    for (const [f, family] of ROLLUP_FAMILIES.entries()) {
      let keyed = rows;
      if (!family.keepsStatus) {
        keyed = new Map();
        for (const row of rows.values()) mergeInto(keyed, row, family);
      }
      for (const row of keyed.values()) {
        const values = { ...row, histogram: encodeHistogram(row.histogram) };
        for (const [i, tier] of family.tiers.entries()) {
          const start = unitOf(row.start_ms, tier.unit_ms);
          // A late event in a unit already made: that unit counts it too.
          if (start < (this.through[i] as number))
            this.upserts[f]?.[i]?.run({ ...values, start_ms: start });
        }
      }
    }
    this.addToCount(calls);
    this.makeCoarser(nowMs);
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

  /** Sets the state's count of requests to what the base tier sums to. */
  private recount(): void {
    this.setSpan.run('request_count', this.baseCalls());
  }

  /**
   * Makes the rows of each coarser tier's units that are over (and their
   * grace for late events passed) from the tier below, finest first: once a
   * unit, so this costs a moment a few times an hour (or once for the whole
   * history).
   */
  private makeCoarser(nowMs: number): void {
    for (const [i, tier] of ROLLUP_TIERS.entries()) {
      if (i === 0) continue;
      const through = unitOf(nowMs - GRACE_MS, tier.unit_ms);
      const from = this.through[i] as number;
      if (through <= from) continue;
      for (const family of ROLLUP_FAMILIES) {
        this.db
          .prepare(countFinerSql(family, i, 'WHERE start_ms >= @from AND start_ms < @through'))
          .run({ from, through });
      }
      this.through[i] = through;
      this.setSpan.run(throughName(tier), through);
    }
  }

  /**
   * After a delete step that removed the oldest rows, inside the caller's
   * transaction. Of all proxies: the units that end before the oldest row
   * left's half-hour are dropped, in every tier; that half-hour's are not
   * read (rolledFromMs), so nothing is counted again. Of one proxy (store
   * vacuum --proxy), whose rows later than the oldest of all may go: its
   * units before the oldest row it has left are dropped and the unit that
   * row falls in is counted again, in the base from its rows, in the others
   * from the tier below.
   */
  afterOldestDeleted(proxy: string | null, deleted: number): void {
    this.addToCount(-deleted);
    if (proxy === null) {
      this.dropBeforeOldest();
      this.recordSpan({ lowestOnly: true });
      return;
    }
    // Rows after the last write are counted when it comes (by another
    // process's writer, when store vacuum runs beside the daemon).
    const maxId = rollupSpan(this.db)?.max_id ?? 0;
    const forProxy = 'AND proxy = @proxy';
    const oldest = this.db
      .prepare(`SELECT MIN(ts) FROM requests WHERE 1 ${forProxy}`)
      .pluck()
      .get({ proxy }) as number | null;
    for (const family of ROLLUP_FAMILIES) {
      for (const [i, tier] of family.tiers.entries()) {
        const params = {
          proxy,
          max_id: maxId,
          unit: oldest === null ? Number.MAX_SAFE_INTEGER : unitOf(oldest, tier.unit_ms),
        };
        this.db
          .prepare(`DELETE FROM ${tier.table} WHERE start_ms <= @unit ${forProxy}`)
          .run(params);
        if (oldest === null || params.unit >= (this.through[i] as number)) continue;
        this.db
          .prepare(
            i === 0
              ? countRowsSql(
                  family,
                  `WHERE ts >= @unit AND ts < @unit + ${tier.unit_ms} AND id <= @max_id ${forProxy}`,
                )
              : countFinerSql(
                  family,
                  i,
                  `WHERE start_ms >= @unit AND start_ms < @unit + ${tier.unit_ms} ${forProxy}`,
                ),
          )
          .run(params);
      }
    }
    this.recordSpan({ lowestOnly: true });
  }

  /** Drops, in every tier, the units that end before the oldest request's half-hour: no reader reads them. */
  private dropBeforeOldest(): void {
    const rolledFrom = rolledFromMs(this.db) || Number.MAX_SAFE_INTEGER;
    for (const tier of ROLLUP_FAMILIES.flatMap((f) => f.tiers)) {
      this.db
        .prepare(`DELETE FROM ${tier.table} WHERE start_ms <= @before`)
        .run({ before: rolledFrom - BASE_TIER.unit_ms - tier.unit_ms });
    }
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
