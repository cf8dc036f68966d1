// Every tier of every family of the rollups always equals a full count of the rows (the
// coarser tiers, of the units they have made): after random ingest through
// the writer, after retention's delete steps (by age, by
// size, for one proxy as store vacuum does), and at a restart after other
// software added rows (caught up) or deleted them (rebuilt).
import path from 'node:path';
import { validateEvent } from '@mcpr-store/protocol';
import {
  addHistogram,
  BASE_TIER,
  CALL_ROLLUPS,
  HOUR_MS,
  latencyBucket,
  openReadConnection,
  openStore,
  querySeries,
  queryStatus,
  queryStoreStats,
  ROLLUP_FAMILIES,
  ROLLUP_STATE_TABLE,
  ROLLUP_TABLES,
  ROLLUP_TIERS,
  type RollupFamily,
  rolledFromMs,
  rollupSpan,
  rollupsUsable,
  type Store,
  unitOf,
} from '@mcpr-store/query';
import { tempDir } from '@mcpr-store/test-utils';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { applyWriterPragmas, openWriteConnection, prepareNewFile } from '../src/db/connection.js';
import { migrate } from '../src/db/migrate.js';
import { AgeDeletes, Retention } from '../src/writer/retention.js';
import { Rollups } from '../src/writer/rollups.js';
import { TransactionWriter } from '../src/writer/transaction-writer.js';

const NOW = Date.now();
const opened: Database.Database[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

/** A deterministic pseudo-random sequence. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function open(file = path.join(tempDir(), 'store.db')): { db: Database.Database; file: string } {
  const db = openWriteConnection(file);
  prepareNewFile(db);
  applyWriterPragmas(db);
  migrate(db, 'test');
  opened.push(db);
  return { db, file };
}

/** Random requests over `hours` before NOW: proxies, tools, statuses, codes, sizes, latencies. */
function randomRequests(count: number, hours: number, seed: number) {
  const next = random(seed);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const status = pick(['ok', 'ok', 'ok', 'error', 'timeout']);
    const event = validateEvent({
      kind: 'request',
      request_id: `req-${seed}-${i}`,
      ts: NOW - Math.floor(next() * hours * HOUR_MS),
      proxy: pick(['p1', 'p2', 'p3']),
      session_id: `s-${i % 50}`,
      method: pick(['tools/call', 'tools/call', 'resources/read']),
      tool: next() < 0.8 ? pick(['search', 'fetch', 'write']) : undefined,
      latency_us: Math.floor(next() < 0.2 ? next() * 200 : next() ** 3 * 5_000_000),
      status,
      ...(status === 'ok' ? {} : { error_code: pick(['-32603', '-32602', null]) }),
      ...(next() < 0.7
        ? { bytes_in: Math.floor(next() * 5000), bytes_out: Math.floor(next() * 50_000) }
        : {}),
    });
    if (!event.ok) throw new Error(event.reason);
    return event.event;
  });
}

/**
 * The rows of tier `at` of a family a full count of the requests gives (of
 * a coarser tier, the units it has made), histograms as bucket maps.
 */
function counted(db: Database.Database, at = 0, family: RollupFamily = CALL_ROLLUPS): unknown[] {
  const unitMs = (ROLLUP_TIERS[at] ?? BASE_TIER).unit_ms;
  const through = rollupSpan(db)?.through_ms[at] ?? 0;
  const rows = db
    .prepare(
      'SELECT ts, proxy, method, tool, status, error_code, latency_us, bytes_in, bytes_out FROM requests',
    )
    .all() as {
    ts: number;
    proxy: string;
    method: string;
    tool: string | null;
    status: string;
    error_code: string | null;
    latency_us: number;
    bytes_in: number | null;
    bytes_out: number | null;
  }[];
  const byKey = new Map<string, Record<string, unknown> & { histogram: Map<number, number> }>();
  for (const r of rows) {
    const start = unitOf(r.ts, unitMs);
    if (start >= through) continue;
    const status = family.keepsStatus ? r.status : '';
    const errorCode = family.keepsStatus ? (r.error_code ?? '') : '';
    const key = [start, r.proxy, r.method, r.tool ?? '', status, errorCode].join('\u0000');
    let row = byKey.get(key);
    if (!row) {
      row = {
        start_ms: start,
        proxy: r.proxy,
        method: r.method,
        tool: r.tool ?? '',
        status,
        error_code: errorCode,
        calls: 0,
        failed: 0,
        errors: 0,
        timeouts: 0,
        latency_sum: 0,
        latency_min: r.latency_us,
        latency_max: r.latency_us,
        bytes_in: 0,
        bytes_out: 0,
        last_ts: r.ts,
        histogram: new Map(),
      };
      byKey.set(key, row);
    }
    row.calls = (row.calls as number) + 1;
    row.failed = (row.failed as number) + (r.status !== 'ok' ? 1 : 0);
    row.errors = (row.errors as number) + (r.status === 'error' ? 1 : 0);
    row.timeouts = (row.timeouts as number) + (r.status === 'timeout' ? 1 : 0);
    row.latency_sum = (row.latency_sum as number) + r.latency_us;
    row.latency_min = Math.min(row.latency_min as number, r.latency_us);
    row.latency_max = Math.max(row.latency_max as number, r.latency_us);
    row.bytes_in = (row.bytes_in as number) + (r.bytes_in ?? 0);
    row.bytes_out = (row.bytes_out as number) + (r.bytes_out ?? 0);
    row.last_ts = Math.max(row.last_ts as number, r.ts);
    const bucket = latencyBucket(r.latency_us);
    row.histogram.set(bucket, (row.histogram.get(bucket) ?? 0) + 1);
  }
  return sortRows([...byKey.values()]);
}

/**
 * Every tier equals what a full count of the rows gives. After deletes of
 * the oldest rows, the units readers read do (from rolledFromMs on), and
 * none is left that ends before the oldest row's half-hour.
 */
function expectCounted(db: Database.Database, how: { afterDeletes?: boolean } = {}): void {
  const from = how.afterDeletes ? rolledFromMs(db) : Number.NEGATIVE_INFINITY;
  const read = (rows: unknown[]) =>
    rows.filter((row) => (row as { start_ms: number }).start_ms >= from);
  for (const family of ROLLUP_FAMILIES) {
    for (const [at, tier] of family.tiers.entries()) {
      expect(read(stored(db, at, family)), tier.table).toEqual(read(counted(db, at, family)));
      const oldestUnit = from - BASE_TIER.unit_ms;
      const left = stored(db, at, family) as { start_ms: number }[];
      expect(left.filter((row) => row.start_ms + tier.unit_ms <= oldestUnit)).toEqual([]);
    }
  }
  const rows = db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number };
  expect(rollupSpan(db)?.request_count).toBe(rows.n);
}

/** Status over a window reaching back past the oldest row, from the rollups, counts what --exact does. */
function expectStatusCounted(db: Database.Database): void {
  const filter = { sinceMs: NOW - 60 * HOUR_MS };
  const rolled = queryStatus(db, filter, NOW);
  const exact = queryStatus(db, { ...filter, exact: true }, NOW);
  expect(rolled.p95_us_estimated).toBe(true);
  const counts = (report: typeof rolled) =>
    report.tools.map(({ label, calls, errors, min_us, max_us, avg_us }) => ({
      label,
      calls,
      errors,
      min_us,
      max_us,
      avg_us,
    }));
  expect(counts(rolled)).toEqual(counts(exact));
  expect(rolled.total_requests).toBe(exact.total_requests);
}

/** Tier `at`'s table of a family as it is, histograms as bucket maps. */
function stored(db: Database.Database, at = 0, family: RollupFamily = CALL_ROLLUPS): unknown[] {
  const table = (family.tiers[at] ?? BASE_TIER).table;
  const rows = db.prepare(`SELECT * FROM ${table}`).all() as (Record<string, unknown> & {
    histogram: Buffer;
  })[];
  return sortRows(
    rows.map((row) => {
      const histogram = new Map<number, number>();
      addHistogram(row.histogram, histogram);
      return { ...row, histogram };
    }),
  );
}

function sortRows(rows: Record<string, unknown>[]): unknown[] {
  const key = (r: Record<string, unknown>) =>
    [r.start_ms, r.proxy, r.method, r.tool, r.status, r.error_code].join('\u0000');
  return rows.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

describe('rollups', () => {
  it('equal a full count after random ingest in many transactions, duplicates included', () => {
    const { db } = open();
    const writer = new TransactionWriter(db, { rollupFlushMs: 0 });
    const events = randomRequests(6000, 30, 1);
    for (let i = 0; i < events.length; i += 700) writer.write(events.slice(i, i + 700));
    writer.write(events.slice(0, 500)); // resent: must count nothing
    expectCounted(db);
    // Each coarser tier has made units (30 hours reach back past a midnight).
    for (const family of ROLLUP_FAMILIES) {
      for (const at of family.tiers.keys()) {
        expect(stored(db, at, family).length).toBeGreaterThan(10);
      }
    }
    // A late event for units already made counts in every tier.
    writer.write(randomRequests(50, 30, 11));
    expectCounted(db);
    expect(rollupsUsable(db)).toBe(true);
  });

  it('equal a full count after retention by age, by size, and store vacuum for one proxy', () => {
    const { db } = open();
    const rollups = new Rollups(db, 0);
    const writer = new TransactionWriter(db, { rollups });
    writer.write(randomRequests(8000, 48, 2));
    const retention = new Retention(db, rollups);
    // By age: 30 hours, in steps of at most RETENTION_STEP_ROWS.
    for (
      let i = 0;
      i < 20 && retention.step({ retain_ms: 30 * HOUR_MS, retain_bytes: 0 }, NOW).more;
      i += 1
    );
    expect(db.prepare('SELECT MIN(ts) AS ts FROM requests').get()).toMatchObject({
      ts: expect.any(Number),
    });
    expect(
      (db.prepare('SELECT MIN(ts) AS ts FROM requests').get() as { ts: number }).ts,
    ).toBeGreaterThanOrEqual(NOW - 30 * HOUR_MS);
    expectCounted(db, { afterDeletes: true });
    expectStatusCounted(db);
    // By size: the oldest go whatever their age.
    const used = retention.usedBytes();
    retention.step({ retain_ms: 0, retain_bytes: Math.floor(used * 0.7) }, NOW);
    expectCounted(db, { afterDeletes: true });
    expectStatusCounted(db);
    // One proxy's rows before a cutoff, as store vacuum --proxy deletes them.
    const deletes = new AgeDeletes(db, rollups);
    db.transaction(() => deletes.requests(NOW - 10 * HOUR_MS, 100_000, 'p2'))();
    expectCounted(db, { afterDeletes: true });
    expectStatusCounted(db);
    expect(rollupsUsable(db)).toBe(true);
    // A restart finds them current: nothing is counted again.
    expect(new Rollups(db).catchUp()).toBe('current');
  });

  it('kept by a long-lived reader, answer as a new reader after late events and every delete', () => {
    const { db, file } = open();
    const rollups = new Rollups(db, 0);
    const writer = new TransactionWriter(db, { rollups });
    // The windows' edges, each the start of a part half-hour read from its
    // rows, and many rows there: keys of many calls each.
    const edges = [30, 40, 20, 44].map((hours) => NOW - hours * HOUR_MS + 1000);
    const inPart = (edge: number, i: number) => {
      const partMs = Math.ceil(edge / BASE_TIER.unit_ms) * BASE_TIER.unit_ms - edge;
      return edge + ((i * 7919) % Math.max(1, partMs));
    };
    writer.write([
      ...randomRequests(8000, 48, 4),
      ...randomRequests(1200, 1, 5).map((event, i) => ({
        ...event,
        ts: inPart(edges[i % edges.length] as number, i),
      })),
    ]);
    const kept = openStore(file, { longLived: true });
    // Each question as a new process asks it, and as the reader that keeps
    // the rollup rows of the units it read and the rows of the settled
    // half-hours its windows start and end in.
    const expectSameAnswers = () => {
      const ask = (store: Store) => ({
        status: queryStatus(store, { sinceMs: NOW - 30 * HOUR_MS, compare: true }, NOW),
        byProxy: queryStatus(store, { sinceMs: NOW - 40 * HOUR_MS, proxy: 'p1' }, NOW),
        series: querySeries(store, { sinceMs: NOW - 20 * HOUR_MS, bucketMs: HOUR_MS }, NOW),
        byCode: querySeries(
          store,
          { sinceMs: NOW - 20 * HOUR_MS, bucketMs: 2 * HOUR_MS, errorCode: '-32603' },
          NOW,
        ),
        byTool: querySeries(
          store,
          { sinceMs: NOW - 44 * HOUR_MS, bucketMs: 4 * HOUR_MS, tool: 'search' },
          NOW,
        ),
      });
      const fresh = openStore(file);
      try {
        const answers = ask(kept);
        expect(answers.status.p95_us_estimated).toBe(true);
        expect(answers).toEqual(ask(fresh));
      } finally {
        fresh.close();
      }
    };
    expectSameAnswers();
    expectSameAnswers();
    // Late events for units long made, some at the windows' very edges.
    writer.write([
      ...randomRequests(60, 30, 12),
      ...randomRequests(20, 1, 13).map((event, i) => ({
        ...event,
        ts: edges[i % edges.length] as number,
      })),
    ]);
    expectSameAnswers();
    const retention = new Retention(db, rollups);
    retention.step({ retain_ms: 30 * HOUR_MS, retain_bytes: 0 }, NOW);
    expectSameAnswers();
    // One proxy's rows before a cutoff, as store vacuum --proxy deletes them.
    db.transaction(() => new AgeDeletes(db, rollups).requests(NOW - 10 * HOUR_MS, 100_000, 'p2'))();
    expectSameAnswers();
    kept.close();
  });

  it('catch up on rows added by other software, and are rebuilt after rows it deleted', () => {
    const { db, file } = open();
    new TransactionWriter(db, { rollupFlushMs: 0 }).write(randomRequests(2000, 10, 3));
    expect(new Rollups(db).catchUp()).toBe('current');
    // mcpr itself writes to the file while the daemon is away.
    const insert = db.prepare(
      `INSERT INTO requests (request_id, ts, proxy, method, tool, latency_us, status)
       VALUES (?, ?, 'mcpr', 'tools/call', 'search', ?, 'ok')`,
    );
    for (let i = 0; i < 300; i += 1) insert.run(`mcpr-${i}`, NOW - i * 60_000, 1000 + i);
    // Readers count rows after the last write from the rows; at open they are written.
    expect(rollupsUsable(db)).toBe(true);
    expect(new Rollups(db).catchUp()).toBe('caught_up');
    expectCounted(db);
    // mcpr's vacuum deletes the oldest rows: the lowest ids, which readers notice at once.
    db.prepare(
      'DELETE FROM requests WHERE id IN (SELECT id FROM requests ORDER BY id LIMIT 50)',
    ).run();
    expect(rollupsUsable(db)).toBe(false);
    expect(new Rollups(db).catchUp()).toBe('rebuilt');
    expectCounted(db);
    // The oldest rows by time, not the lowest ids (mcpr's vacuum by a
    // cutoff): the units readers read still count their rows.
    db.prepare(
      'DELETE FROM requests WHERE id IN (SELECT id FROM requests ORDER BY ts LIMIT 50)',
    ).run();
    expect(rollupsUsable(db)).toBe(true);
    expect(new Rollups(db).catchUp()).toBe('current');
    expectCounted(db, { afterDeletes: true });
    // Rows deleted from the middle keep the span; the count at open tells.
    db.prepare(
      'DELETE FROM requests WHERE id IN (SELECT id FROM requests ORDER BY ts DESC LIMIT 50 OFFSET 500)',
    ).run();
    expect(new Rollups(db).catchUp()).toBe('rebuilt');
    expectCounted(db);
    // Rollups of another format are not read, and are rebuilt at open.
    db.prepare(`UPDATE ${ROLLUP_STATE_TABLE} SET value = 1 WHERE name = 'format'`).run();
    expect(rollupsUsable(db)).toBe(false);
    expect(new Rollups(db).catchUp()).toBe('rebuilt');
    expect(rollupsUsable(db)).toBe(true);
    expectCounted(db);
    // A store with no rollups at all (mcpr's) gets them at open.
    db.exec(`DROP TABLE ${BASE_TIER.table}`);
    const again = open(file).db;
    expect(new Rollups(again).catchUp()).toBe('rebuilt');
    expectCounted(again);
  });

  it('replace the tables of the earlier layout (hourly and six-hour, format 2) at open', () => {
    const { db, file } = open();
    const columns = `proxy TEXT NOT NULL, method TEXT NOT NULL, tool TEXT NOT NULL,
      status TEXT NOT NULL, error_code TEXT NOT NULL, calls INTEGER NOT NULL,
      latency_sum INTEGER NOT NULL, latency_min INTEGER NOT NULL, latency_max INTEGER NOT NULL,
      bytes_in INTEGER NOT NULL, bytes_out INTEGER NOT NULL, last_ts INTEGER NOT NULL,
      histogram BLOB NOT NULL`;
    db.exec(`
      CREATE TABLE mcpr_store_rollup_hourly (hour_ms INTEGER NOT NULL, ${columns},
        PRIMARY KEY (hour_ms, proxy, method, tool, status, error_code)) WITHOUT ROWID;
      CREATE TABLE mcpr_store_rollup_6h (block_ms INTEGER NOT NULL, ${columns},
        PRIMARY KEY (block_ms, proxy, method, tool, status, error_code)) WITHOUT ROWID;
      CREATE TABLE ${ROLLUP_STATE_TABLE} (name TEXT PRIMARY KEY, value INTEGER) WITHOUT ROWID;
      INSERT INTO ${ROLLUP_STATE_TABLE} VALUES ('format', 2), ('min_id', 1), ('max_id', 1),
        ('blocks_through_ms', 0);`);
    const reader = openReadConnection(file);
    opened.push(reader);
    expect(rollupsUsable(reader)).toBe(false);
    new TransactionWriter(db, { rollupFlushMs: 0 }).write(randomRequests(3000, 40, 8));
    expect(new Rollups(db).catchUp()).toBe('current');
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE name LIKE 'mcpr_store_rollup_%' ORDER BY name")
      .pluck()
      .all();
    expect(tables).toEqual([...ROLLUP_TABLES, ROLLUP_STATE_TABLE].sort());
    expectCounted(db);
    expect(rollupsUsable(reader)).toBe(true);
  });

  it('upgrade format 3 (the call family alone) in place, without reading the requests', () => {
    const { db } = open();
    new TransactionWriter(db, { rollupFlushMs: 0 }).write(randomRequests(4000, 30, 12));
    // Format 3's layout: no tool family, and no failed, errors or timeouts columns.
    for (const tier of ROLLUP_FAMILIES[1]?.tiers ?? []) db.exec(`DROP TABLE ${tier.table}`);
    for (const tier of CALL_ROLLUPS.tiers) {
      for (const column of ['failed', 'errors', 'timeouts']) {
        db.exec(`ALTER TABLE ${tier.table} DROP COLUMN ${column}`);
      }
    }
    db.prepare(`UPDATE ${ROLLUP_STATE_TABLE} SET value = 3 WHERE name = 'format'`).run();
    expect(rollupsUsable(db)).toBe(false);
    // A mark in one call row, which a rebuild from the requests would not keep.
    const table = CALL_ROLLUPS.tiers[0]?.table;
    const key = 'start_ms = @start_ms AND proxy = @proxy AND method = @method AND tool = @tool';
    const marked = db
      .prepare(`SELECT start_ms, proxy, method, tool, status, error_code FROM ${table} LIMIT 1`)
      .get() as Record<string, unknown>;
    const mark = (by: number) =>
      db
        .prepare(
          `UPDATE ${table} SET bytes_in = bytes_in + @by
           WHERE ${key} AND status = @status AND error_code = @error_code`,
        )
        .run({ ...marked, by });
    mark(1_000_000);
    expect(new Rollups(db).catchUp()).toBe('upgraded');
    expect(rollupsUsable(db)).toBe(true);
    expect(rollupSpan(db)?.format).toBe(4);
    // The mark is still there, and in the tool family's row made from it.
    const toolTable = ROLLUP_FAMILIES[1]?.tiers[0]?.table;
    const toolRow = db.prepare(`SELECT bytes_in FROM ${toolTable} WHERE ${key}`).pluck();
    const withMark = toolRow.get(marked) as number;
    expect(withMark).toBeGreaterThanOrEqual(1_000_000);
    mark(-1_000_000);
    db.prepare(`UPDATE ${toolTable} SET bytes_in = bytes_in - 1000000 WHERE ${key}`).run(marked);
    expectCounted(db);
  });

  it('wait in memory between writes; readers count the rows after the last write from the rows', () => {
    const { db } = open();
    const rollups = new Rollups(db, 60_000);
    const writer = new TransactionWriter(db, { rollups });
    writer.write(randomRequests(3000, 30, 5)); // the first transaction writes
    const written = stored(db);
    writer.write(randomRequests(2000, 30, 6)); // within the minute: waits
    expect(stored(db)).toEqual(written);
    expect(rollupsUsable(db)).toBe(true);
    const now = Date.now();
    const reader = openReadConnection(db.name);
    opened.push(reader);
    const rolled = queryStatus(reader, { sinceMs: now - 29 * HOUR_MS }, now);
    const exact = queryStatus(reader, { sinceMs: now - 29 * HOUR_MS, exact: true }, now);
    expect(rolled.p95_us_estimated).toBe(true);
    expect(rolled.total_requests).toBe(exact.total_requests);
    expect(rolled.tools.map((t) => [t.label, t.calls, t.errors, t.total_bytes_in])).toEqual(
      exact.tools.map((t) => [t.label, t.calls, t.errors, t.total_bytes_in]),
    );
    expect(queryStoreStats(reader, db.name).total_requests).toBe(5000);
    // The half-hour the window ends in comes from its base rows and the rows after them.
    const series = (exact: boolean) =>
      querySeries(reader, { sinceMs: now - 29 * HOUR_MS, bucketMs: HOUR_MS / 2, exact }, now).map(
        ({ bucket_start, calls, errors, timeouts }) => [bucket_start, calls, errors, timeouts],
      );
    expect(series(false)).toEqual(series(true));
    // A delete step writes what waits first; so does close (flushPending).
    writer.flushRollups();
    expectCounted(db);
  });
});
