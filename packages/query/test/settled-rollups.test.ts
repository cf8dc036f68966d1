// A long-lived reader keeps the rollup rows of closed ranges and reads them
// again as soon as their range changes; other readers keep nothing.
import { buildStore, closeOpenedStores, openFixtureStore } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_TIER, HOUR_MS } from '../src/rollup.js';
import { keepSettledRollups, settledRows } from '../src/settled-rollups.js';

afterEach(closeOpenedStores);

const NOW = Date.UTC(2026, 11, 5, 12, 17, 31);
const table = BASE_TIER.table;
const range = { table, fromMs: NOW - 10 * HOUR_MS, toMs: NOW - 2 * HOUR_MS };
const SQL = `SELECT start_ms, tool, calls, histogram FROM ${table}
  WHERE start_ms >= @from AND start_ms < @to ORDER BY start_ms, tool`;
const params = { from: range.fromMs, to: range.toMs };

function store(): string {
  return buildStore(
    Array.from({ length: 400 }, (_, i) => ({
      kind: 'request',
      request_id: `rq-${i}`,
      ts: NOW - 12 * HOUR_MS + i * 100_000,
      proxy: 'p1',
      method: 'tools/call',
      tool: i % 3 === 0 ? 'search' : 'fetch',
      latency_us: 1000 + i,
      status: 'ok',
    })),
  );
}

describe('settled rollup rows', () => {
  it('are kept while their range is unchanged, and read again once it changes', () => {
    const file = store();
    const reader = openFixtureStore(file);
    keepSettledRollups(reader);
    const first = settledRows(reader, range, SQL, params);
    expect(first.length).toBeGreaterThan(10);
    expect(settledRows(reader, range, SQL, params)).toBe(first);
    // Another filter is another set of rows.
    const other = settledRows(reader, range, `${SQL} LIMIT 3`, params);
    expect(other).toHaveLength(3);
    expect(settledRows(reader, range, SQL, params)).toBe(first);
    // A late call counted in one of the range's units.
    const writer = new Database(file);
    try {
      writer
        .prepare(`UPDATE ${table} SET calls = calls + 1, last_ts = last_ts + 1 WHERE start_ms = ?`)
        .run((first[3] as unknown[])[0]);
    } finally {
      writer.close();
    }
    const again = settledRows(reader, range, SQL, params);
    expect(again).not.toBe(first);
    expect((again[3] as unknown[])[2]).toBe(((first[3] as unknown[])[2] as number) + 1);
    expect(settledRows(reader, range, SQL, params)).toBe(again);
  });

  it('are not kept by a reader that did not ask', () => {
    const reader = openFixtureStore(store());
    const first = settledRows(reader, range, SQL, params);
    expect(settledRows(reader, range, SQL, params)).not.toBe(first);
    expect(settledRows(reader, range, SQL, params)).toEqual(first);
  });

  it('never hold more than their bound, the least recently used going first', () => {
    const reader = openFixtureStore(store());
    // Room for about one range's rows.
    const one = settledRows(reader, range, SQL, params);
    keepSettledRollups(reader, one.length * 300);
    const a = settledRows(reader, range, SQL, params);
    const b = settledRows(reader, range, `${SQL} LIMIT 1000`, params);
    expect(settledRows(reader, range, `${SQL} LIMIT 1000`, params)).toBe(b);
    expect(settledRows(reader, range, SQL, params)).not.toBe(a);
  });
});
