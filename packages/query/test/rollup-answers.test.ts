// Wide windows answered from the rollups give what a full scan of
// the rows gives: every count, sum, extreme, byte total, error code and
// previous-window figure exactly; percentiles within 1/128 of the exact
// value (and the answer says they are estimated). Narrow windows, --exact,
// and stores whose rollups do not match their rows are read row by row.
import { buildStore, closeOpenedStores, openFixtureStore } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, rollupsUsable } from '../src/rollup.js';
import { EXACT_ROWS_MAX } from '../src/rollup-window.js';
import { queryUnusedTools } from '../src/schema.js';
import { querySeries } from '../src/series.js';
import { queryStatus, type StatusReport } from '../src/status.js';
import { queryStoreStats } from '../src/store-stats.js';

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

/** Status from the rollups equals --exact's: percentiles within 1/128, all else equal. */
function expectRolledUpStatus(
  file: string,
  filter: { sinceMs: number; proxy?: string | undefined; compare: boolean },
): void {
  const db = openFixtureStore(file);
  expect(rollupsUsable(db)).toBe(true);
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
    row.values.forEach((value, j) => {
      within(value as number | null, exactRow.values[j] as number | null, `${row.label} #${j}`);
    });
  });
  within(a.overall[0] as number | null, b.overall[0] as number | null, 'p95_us');
  within(a.overall[1] as number | null, b.overall[1] as number | null, 'p95_us_prev');
}

describe('status from the rollups', () => {
  const file = buildStore(randomEvents(20_000, 72));

  for (const [windowHours, proxy] of [
    [7, undefined],
    [25, 'p1'],
    [49.5, undefined],
    [71.99, 'p2'],
  ] as const) {
    it(`equals a full scan over ${windowHours}h${proxy ? ` of ${proxy}` : ''} (percentiles within 1/128)`, () => {
      expectRolledUpStatus(file, { sinceMs: NOW - windowHours * HOUR_MS, proxy, compare: true });
    });
  }

  it('reads rows for windows of 6 hours or less, and when the rollups do not match the rows', () => {
    const db = openFixtureStore(file);
    expect(queryStatus(db, { sinceMs: NOW - 6 * HOUR_MS }, NOW).p95_us_estimated).toBe(false);
    const copy = buildStore(randomEvents(2000, 30));
    const writable = new Database(copy);
    // mcpr's vacuum deleted the oldest row: the rollups no longer count the rows there are.
    writable.prepare('DELETE FROM requests WHERE id = (SELECT MIN(id) FROM requests)').run();
    writable.close();
    const stale = openFixtureStore(copy);
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

describe('status of a short window holding many requests', () => {
  // Two proxies, each with about 0.8 of the limit, all in the last hour.
  const file = buildStore(randomEvents(1.6 * EXACT_ROWS_MAX, 1));

  it('comes from the rollups when the window holds over EXACT_ROWS_MAX requests', () => {
    expectRolledUpStatus(file, { sinceMs: NOW - HOUR_MS, compare: true });
  });

  it("reads one proxy's rows when that proxy's share is under the limit", () => {
    const db = openFixtureStore(file);
    const rows = db
      .prepare("SELECT COUNT(*) AS n FROM requests WHERE proxy = 'p1' AND ts >= ?")
      .get(NOW - HOUR_MS) as { n: number };
    expect(rows.n).toBeLessThanOrEqual(EXACT_ROWS_MAX);
    const report = queryStatus(db, { sinceMs: NOW - HOUR_MS, proxy: 'p1' }, NOW);
    expect(report.p95_us_estimated).toBe(false);
    expect(report.total_requests).toBe(rows.n);
  });

  it('reads the rows when most sit in the part half-hour the window starts in', () => {
    // All in the last 12 minutes; the 15-minute window starts at 12:02:31, its half-hour ends after now.
    const edge = openFixtureStore(buildStore(randomEvents(1.2 * EXACT_ROWS_MAX, 0.2)));
    const report = queryStatus(edge, { sinceMs: NOW - 15 * 60_000 }, NOW);
    expect(report.total_requests).toBeGreaterThan(EXACT_ROWS_MAX);
    expect(report.p95_us_estimated).toBe(false);
  });
});

describe('series from the rollups', () => {
  const file = buildStore(randomEvents(20_000, 72));

  for (const [windowHours, bucketHours, tool] of [
    [30, 1, undefined],
    [24, 0.5, undefined],
    [71.5, 3, 'search'],
    [48, 12, undefined],
    [71, 24, 'fetch'],
  ] as const) {
    it(`equals a full scan over ${windowHours}h in ${bucketHours}h buckets${tool ? ` of ${tool}` : ''}`, () => {
      const db = openFixtureStore(file);
      const filter = {
        sinceMs: NOW - windowHours * HOUR_MS,
        bucketMs: bucketHours * HOUR_MS,
        tool,
      };
      const rolled = querySeries(db, filter, NOW);
      const exact = querySeries(db, { ...filter, exact: true }, NOW);
      expect(rolled.length).toBe(exact.length);
      expect(rolled.every((row) => row.p95_us_estimated)).toBe(true);
      expect(exact.some((row) => row.p95_us_estimated)).toBe(false);
      const counts = (rows: typeof rolled) =>
        rows.map(({ bucket_start, calls, errors, timeouts }) => ({
          bucket_start,
          calls,
          errors,
          timeouts,
        }));
      expect(counts(rolled)).toEqual(counts(exact));
      expect(rolled.reduce((n, row) => n + row.calls, 0)).toBeGreaterThan(1000);
      rolled.forEach((row, i) => {
        const exactRow = exact[i] as (typeof exact)[number];
        for (const p of ['p50_us', 'p95_us', 'p99_us'] as const)
          within(row[p], exactRow[p], `${row.bucket_start} ${p}`);
      });
    });
  }
});

describe('rows the rollups do not count yet', () => {
  it('are summed into their own buckets, as the rows are', () => {
    const file = buildStore(randomEvents(20_000, 72));
    const writable = new Database(file);
    // Rows added after the rollups were written (as other software adds
    // them), over the last ten hours: read from the rows, bucket by bucket.
    const columns = (
      writable
        .prepare("SELECT name FROM pragma_table_info('requests') WHERE name <> 'id'")
        .pluck()
        .all() as string[]
    ).join(', ');
    const values = columns
      .replace('request_id', "request_id || '-late'")
      .replace(/\bts\b/, `${NOW} - (id * 7919) % ${10 * HOUR_MS}`);
    const added = writable
      .prepare(
        `INSERT INTO requests (${columns}) SELECT ${values} FROM requests ORDER BY id DESC LIMIT 3000`,
      )
      .run().changes;
    writable.close();
    expect(added).toBe(3000);
    const db = openFixtureStore(file);
    expect(rollupsUsable(db)).toBe(true);
    for (const bucketHours of [0.5, 1, 3]) {
      const filter = { sinceMs: NOW - 30 * HOUR_MS, bucketMs: bucketHours * HOUR_MS };
      const rolled = querySeries(db, filter, NOW);
      const exact = querySeries(db, { ...filter, exact: true }, NOW);
      expect(rolled.every((row) => row.p95_us_estimated)).toBe(true);
      const counts = (rows: typeof rolled) => rows.map(({ calls, errors }) => [calls, errors]);
      expect(counts(rolled)).toEqual(counts(exact));
    }
    const rolled = queryStatus(db, { sinceMs: NOW - 30 * HOUR_MS }, NOW);
    const exact = queryStatus(db, { sinceMs: NOW - 30 * HOUR_MS, exact: true }, NOW);
    expect(rolled.p95_us_estimated).toBe(true);
    expect(split(rolled).rest).toEqual(split(exact).rest);
    expect(split(rolled).rows).toEqual(split(exact).rows);
  });
});

describe('the live half-hour a series ends in', () => {
  const inLiveUnit = (count: number, offsetMs: (i: number) => number) =>
    Array.from({ length: count }, (_, i) => ({
      kind: 'request',
      request_id: `live-${i}-${offsetMs(i)}`,
      ts: NOW + offsetMs(i),
      proxy: 'p1',
      method: 'tools/call',
      tool: 'search',
      latency_us: 1000 + i,
      status: i % 4 === 0 ? 'error' : 'ok',
    }));
  const counts = (rows: ReturnType<typeof querySeries>) =>
    rows.map(({ bucket_start, calls, errors, timeouts }) => [
      bucket_start,
      calls,
      errors,
      timeouts,
    ]);
  const day = { sinceMs: NOW - 24 * HOUR_MS, bucketMs: HOUR_MS / 2 };

  it('counts the calls of its base rollups up to now, as the rows do', () => {
    // NOW is 17 minutes into its half-hour: 40 calls in the minutes before it.
    const file = buildStore([...randomEvents(6000, 30), ...inLiveUnit(40, (i) => -i * 20_000)]);
    const db = openFixtureStore(file);
    const rolled = querySeries(db, day, NOW);
    expect(counts(rolled)).toEqual(counts(querySeries(db, { ...day, exact: true }, NOW)));
    expect(rolled.at(-1)?.calls).toBeGreaterThanOrEqual(40);
  });

  it('leaves out calls stamped after now by a clock ahead, as the rows do', () => {
    const ahead = inLiveUnit(5, (i) => 60_000 + i);
    const file = buildStore([
      ...randomEvents(6000, 30),
      ...inLiveUnit(40, (i) => -i * 20_000),
      ...ahead,
    ]);
    const db = openFixtureStore(file);
    const rolled = querySeries(db, day, NOW);
    const exact = querySeries(db, { ...day, exact: true }, NOW);
    expect(counts(rolled)).toEqual(counts(exact));
    const later = querySeries(db, day, NOW + 120_000);
    expect((later.at(-1)?.calls ?? 0) - (rolled.at(-1)?.calls ?? 0)).toBe(5);
  });
});

describe('schema --unused and store stats from the rollups', () => {
  const listed = (proxy: string) => ({
    kind: 'schema_version',
    ts: NOW - 80 * HOUR_MS,
    proxy,
    upstream_url: `http://${proxy}.example`,
    method: 'tools/list',
    payload: JSON.stringify({
      tools: ['search', 'fetch', 'write', 'idle'].map((name) => ({ name })),
    }),
  });
  const file = buildStore([listed('p1'), listed('p2'), ...randomEvents(20_000, 72)]);

  it('schema --unused counts the same calls, errors and last calls', () => {
    const db = openFixtureStore(file);
    for (const hours of [30, 71]) {
      const filter = { sinceMs: NOW - hours * HOUR_MS - 1234 };
      const rolled = queryUnusedTools(db, filter);
      expect(rolled).toEqual(queryUnusedTools(db, { ...filter, exact: true }));
      expect(rolled.find((r) => r.tool_name === 'idle')?.calls).toBe(0);
      expect(rolled.find((r) => r.tool_name === 'search')?.calls).toBeGreaterThan(100);
    }
  });

  it('status names the same unknown tools, with the same calls and last calls', () => {
    const db = openFixtureStore(file);
    for (const proxy of [undefined, 'p2']) {
      const filter = { sinceMs: NOW - 50 * HOUR_MS - 777, proxy };
      const rolled = queryStatus(db, filter, NOW);
      expect(rolled.p95_us_estimated).toBe(true);
      expect(rolled.unknown_tools.map((t) => t.tool)).toContain('déjà');
      expect(rolled.unknown_tools).toEqual(
        queryStatus(db, { ...filter, exact: true }, NOW).unknown_tools,
      );
    }
  });

  it('store stats counts every request from the rollups, per proxy too', () => {
    const db = openFixtureStore(file);
    for (const proxy of [undefined, 'p1']) {
      const stats = queryStoreStats(db, file, proxy);
      const count = db
        .prepare(`SELECT COUNT(*) AS n FROM requests ${proxy ? 'WHERE proxy = ?' : ''}`)
        .get(...(proxy ? [proxy] : [])) as { n: number };
      expect(stats.total_requests).toBe(count.n);
    }
  });
});
