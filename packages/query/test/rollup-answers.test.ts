// Wide windows answered from the hourly rollups give what a full scan of
// the rows gives: every count, sum, extreme, byte total, error code and
// previous-window figure exactly; percentiles within 1/128 of the exact
// value (and the answer says they are estimated). Narrow windows, --exact,
// and stores whose rollups do not match their rows are read row by row.
import { buildStore, closeOpenedStores, openStore } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, rollupsUsable } from '../src/rollup.js';
import { queryStatus, type StatusReport } from '../src/status.js';

afterEach(closeOpenedStores);

const NOW = Date.UTC(2026, 11, 5, 12, 17, 31);
const PERCENTILES = ['p50_us', 'p90_us', 'p95_us', 'p99_us'] as const;

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function randomEvents(count: number, hours: number): Record<string, unknown>[] {
  const next = random(7);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const status = pick(['ok', 'ok', 'ok', 'ok', 'error', 'timeout']);
    return {
      kind: 'request',
      request_id: `rq-${i}`,
      ts: NOW - Math.floor(next() * hours * HOUR_MS),
      proxy: pick(['p1', 'p2']),
      method: pick(['tools/call', 'tools/call', 'tools/call', 'prompts/get']),
      ...(next() < 0.85 ? { tool: pick(['search', 'fetch', 'write', 'déjà']) } : {}),
      latency_us: Math.floor(next() < 0.1 ? next() * 127 : next() ** 2 * 3_000_000),
      status,
      ...(status !== 'ok' && next() < 0.8 ? { error_code: pick(['-32603', '-32602', '-1']) } : {}),
      ...(next() < 0.6
        ? { bytes_in: Math.floor(next() * 4000), bytes_out: Math.floor(next() * 90_000) }
        : {}),
    };
  });
}

/** The report with its percentiles set aside, and the percentiles by label. */
function split(report: StatusReport) {
  const { tools, p95_us, p95_us_prev, p95_us_estimated, ...rest } = report;
  const rows = tools.map((row) => {
    const copy: Record<string, unknown> = { ...row };
    for (const p of [...PERCENTILES, 'p95_us_prev'] as const) delete copy[p];
    return copy;
  });
  const percentiles = tools.map((row) => ({
    label: row.label,
    values: [...PERCENTILES.map((p) => row[p]), row.p95_us_prev ?? null],
  }));
  return { rest, rows, percentiles, overall: [p95_us, p95_us_prev ?? null], p95_us_estimated };
}

function within(estimate: number | null, exact: number | null, what: string): void {
  if (exact === null || estimate === null) {
    expect(estimate, what).toBe(exact);
    return;
  }
  expect(Math.abs(estimate - exact), `${what}: ${estimate} vs ${exact}`).toBeLessThanOrEqual(
    exact / 128,
  );
}

describe('status from the hourly rollups', () => {
  const file = buildStore(randomEvents(20_000, 72));

  for (const [windowHours, proxy] of [
    [7, undefined],
    [25, 'p1'],
    [49.5, undefined],
    [71.99, 'p2'],
  ] as const) {
    it(`equals a full scan over ${windowHours}h${proxy ? ` of ${proxy}` : ''} (percentiles within 1/128)`, () => {
      const db = openStore(file);
      expect(rollupsUsable(db)).toBe(true);
      const filter = { sinceMs: NOW - windowHours * HOUR_MS, proxy, compare: true };
      const rolled = queryStatus(db, filter, NOW);
      const exact = queryStatus(db, { ...filter, exact: true }, NOW);
      const a = split(rolled);
      const b = split(exact);
      expect(a.p95_us_estimated).toBe(true);
      expect(b.p95_us_estimated).toBe(false);
      expect(a.rest).toEqual(b.rest);
      expect(a.rows).toEqual(b.rows);
      expect(a.rest.error_codes.length).toBeGreaterThan(0);
      a.percentiles.forEach((row, i) => {
        const exactRow = b.percentiles[i] as (typeof b.percentiles)[number];
        expect(row.label).toBe(exactRow.label);
        row.values.forEach((value, j) =>
          within(value as number | null, exactRow.values[j] as number | null, `${row.label} #${j}`),
        );
      });
      within(a.overall[0] as number | null, b.overall[0] as number | null, 'p95_us');
      within(a.overall[1] as number | null, b.overall[1] as number | null, 'p95_us_prev');
    });
  }

  it('reads rows for windows of 6 hours or less, and when the rollups do not match the rows', () => {
    const db = openStore(file);
    expect(queryStatus(db, { sinceMs: NOW - 6 * HOUR_MS }, NOW).p95_us_estimated).toBe(false);
    const copy = buildStore(randomEvents(2000, 30));
    const writable = new Database(copy);
    // A row written by other software: the rollups no longer count every row.
    writable
      .prepare(
        `INSERT INTO requests (request_id, ts, proxy, method, latency_us, status)
         VALUES ('other', ?, 'p1', 'tools/call', 5, 'ok')`,
      )
      .run(NOW - HOUR_MS);
    writable.close();
    const stale = openStore(copy);
    expect(rollupsUsable(stale)).toBe(false);
    const report = queryStatus(stale, { sinceMs: NOW - 24 * HOUR_MS }, NOW);
    expect(report.p95_us_estimated).toBe(false);
    expect(report.total_requests).toBe(
      (
        stale
          .prepare('SELECT COUNT(*) AS n FROM requests WHERE ts >= ?')
          .get(NOW - 24 * HOUR_MS) as { n: number }
      ).n,
    );
  });
});
