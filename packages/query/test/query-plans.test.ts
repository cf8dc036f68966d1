// The main queries must be served by the schema's indexes, never by a full
// scan of requests. The statements are captured from the query functions
// themselves, then explained with the same parameters.

import { buildStore } from '@mcpr-store/test-utils';
import type Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { openReadConnection } from '../src/connection.js';
import { queryLogs, querySlow } from '../src/requests.js';
import { queryUnusedTools } from '../src/schema.js';
import { querySeries } from '../src/series.js';
import { queryClients, querySession, querySessions } from '../src/sessions.js';
import { queryStatus } from '../src/status.js';
import { queryStoreStats } from '../src/store-stats.js';

const NOW = Date.now();
let dbPath: string;

beforeAll(() => {
  const events: Record<string, unknown>[] = [];
  for (let i = 0; i < 2000; i += 1) {
    events.push({
      kind: 'request',
      request_id: `r-${i}`,
      ts: NOW - i * 60_000,
      proxy: `p${i % 3}`,
      session_id: `s-${i % 50}`,
      method: 'tools/call',
      tool: `t${i % 7}`,
      latency_us: (i * 7919) % 3_000_000,
      status: i % 10 === 0 ? 'error' : 'ok',
    });
  }
  // A request each half-hour from there back to 80 hours: the rollups start
  // at the oldest request, and a 3-day window must hold whole days at any
  // hour of the UTC day the test runs in.
  for (let at = NOW - 2000 * 60_000; at > NOW - 80 * 3_600_000; at -= 1_800_000) {
    events.push({
      kind: 'request',
      request_id: `r-old-${at}`,
      ts: at,
      proxy: 'p0',
      session_id: 's-0',
      method: 'tools/call',
      tool: 't0',
      latency_us: 1000,
      status: 'ok',
    });
  }
  events.push({
    kind: 'schema_version',
    ts: NOW,
    proxy: 'p1',
    upstream_url: 'u',
    method: 'tools/list',
    payload: JSON.stringify({ tools: [{ name: 't1' }, { name: 'zz' }] }),
  });
  dbPath = buildStore(events);
});

/**
 * Runs `run` against a connection that records every statement and its
 * parameters, then hands them to `use` on the same connection (the
 * functions a query registers are there).
 */
function capture<T>(
  run: (db: Database.Database) => void,
  use: (db: Database.Database, captured: { sql: string; args: unknown[] }[]) => T,
): T {
  const db = openReadConnection(dbPath);
  const captured: { sql: string; args: unknown[] }[] = [];
  const spy = new Proxy(db, {
    get(target, key) {
      if (key !== 'prepare') return Reflect.get(target, key);
      return (sql: string) => {
        const statement = target.prepare(sql);
        const record =
          (method: 'all' | 'get' | 'run') =>
          (...args: unknown[]) => {
            captured.push({ sql, args });
            return (statement[method] as (...a: unknown[]) => unknown)(...args);
          };
        const wrapped = {
          all: record('all'),
          get: record('get'),
          run: record('run'),
          iterate: record('iterate' as 'all'),
          pluck: () => {
            statement.pluck();
            return wrapped;
          },
          raw: () => {
            statement.raw();
            return wrapped;
          },
        };
        return wrapped;
      };
    },
  });
  try {
    run(spy);
    return use(db, captured);
  } finally {
    db.close();
  }
}

/** Every statement `run` asks, with its parameters. */
function statements(run: (db: Database.Database) => void): { sql: string; args: unknown[] }[] {
  return capture(run, (_db, captured) => captured);
}

/** The query plans of every statement `run` asks, with the parameters it gave them. */
function plans(run: (db: Database.Database) => void): string[] {
  return capture(run, (db, captured) =>
    captured.map(({ sql, args }) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[])
        .map((r) => r.detail)
        .join(' | '),
    ),
  );
}

function expectIndexed(details: string[], index: string): void {
  const touching = details.filter((d) => /\brequests\b/.test(d));
  expect(touching.length).toBeGreaterThan(0);
  for (const detail of touching) {
    expect(detail).not.toMatch(/SCAN requests(?! USING)/);
  }
  expect(touching.join(' || ')).toContain(index);
}

describe('query plans', () => {
  const since = NOW - 3_600_000;
  it('logs uses the ts index, or the index of its filter', () => {
    expectIndexed(
      plans((db) => queryLogs(db, { sinceMs: since }, 50)),
      'idx_requests_ts',
    );
    expectIndexed(
      plans((db) => queryLogs(db, { sinceMs: since, proxy: 'p1' }, 50)),
      'idx_requests_proxy',
    );
    expectIndexed(
      plans((db) => queryLogs(db, { sinceMs: since, tool: 't1' }, 50)),
      'idx_requests_tool',
    );
    expectIndexed(
      plans((db) => queryLogs(db, { sinceMs: since, status: 'error' }, 50)),
      'idx_requests_status',
    );
    expectIndexed(
      plans((db) => queryLogs(db, { session: 's-1' }, 50)),
      'idx_requests_session',
    );
  });

  it('slow uses the slow index with a proxy and the ts index without', () => {
    expectIndexed(
      plans((db) => querySlow(db, { sinceMs: since, thresholdUs: 500_000, proxy: 'p1' }, 20)),
      'idx_requests_slow',
    );
    expectIndexed(
      plans((db) => querySlow(db, { sinceMs: since, thresholdUs: 500_000 }, 20)),
      'idx_requests_ts',
    );
  });

  it('session detail reads its requests through the session index', () => {
    expectIndexed(
      plans((db) => querySession(db, 's-10', NOW)),
      'idx_requests_session',
    );
  });

  it('status reads the window through the ts index', () => {
    expectIndexed(
      plans((db) => queryStatus(db, { sinceMs: since }, NOW)),
      'idx_requests_ts',
    );
    expectIndexed(
      plans((db) => queryStatus(db, { sinceMs: since, proxy: 'p1' }, NOW)),
      'idx_requests_proxy',
    );
  });

  it('unused tools count calls through the tool index', () => {
    expectIndexed(
      plans((db) => queryUnusedTools(db, { sinceMs: since })),
      'idx_requests_tool',
    );
  });

  it('active sessions of a proxy use the partial active index', () => {
    const details = plans((db) => querySessions(db, { proxy: 'p1', active: true }, 50, NOW));
    expect(details.join(' ')).toContain('idx_sessions_active');
  });

  it('wide windows read each tier of the rollups by its key and the part half-hours through the ts index', () => {
    // Of the tool family (status, series, schema --unused), or of the call family (status' error codes).
    const search = (tier: string) =>
      `SEARCH mcpr_store_rollup_tool_${tier} USING PRIMARY KEY (start_ms>?`;
    const wide = NOW - 30 * 3_600_000 - 123_456;
    // 30 hours always hold a whole six-hour block that is over, and a whole
    // day when they end in the first hours of one.
    const sixHoursOrDay = [search('6h'), search('1d')];
    const cases: [string[], string[]][] = [
      [plans((db) => queryStatus(db, { sinceMs: wide }, NOW)), sixHoursOrDay],
      [plans((db) => queryStatus(db, { sinceMs: wide, compare: true }, NOW)), sixHoursOrDay],
      [plans((db) => queryUnusedTools(db, { sinceMs: wide })), sixHoursOrDay],
      // Hourly buckets read no tier coarser than an hour.
      [plans((db) => querySeries(db, { sinceMs: wide, bucketMs: 3_600_000 }, NOW)), [search('1h')]],
      // Three days hold a whole day that is over.
      [plans((db) => queryStatus(db, { sinceMs: NOW - 3 * 86_400_000 }, NOW)), [search('1d')]],
    ];
    for (const [details, expected] of cases) {
      const all = details.join(' || ');
      expect(
        expected.some((plan) => all.includes(plan)),
        `one of ${expected.join(', ')} in ${all}`,
      ).toBe(true);
      expect(all).not.toMatch(/SCAN mcpr_store_rollup_(?!state)/);
      expectIndexed(details, 'idx_requests_ts');
      // Unknown tools come from the rollups' counts too, not from their rows.
      expect(all).not.toContain('idx_requests_tool');
    }
    const hourly = plans((db) => querySeries(db, { sinceMs: wide, bucketMs: 3_600_000 }, NOW)).join(
      ' || ',
    );
    expect(hourly).not.toMatch(/mcpr_store_rollup_(tool_)?(6h|1d)/);
    // Status's error codes from the call family, each tier by its key too.
    const status = plans((db) => queryStatus(db, { sinceMs: wide }, NOW)).join(' || ');
    expect(status).toMatch(/SEARCH mcpr_store_rollup_(6h|1d) USING PRIMARY KEY \(start_ms>\?/);
  });

  it('a day in half-hour buckets reads the half-hour rollups', () => {
    const details = plans((db) =>
      querySeries(db, { sinceMs: NOW - 86_400_000, bucketMs: 1_800_000 }, NOW),
    );
    const all = details.join(' || ');
    expect(all).toContain('SEARCH mcpr_store_rollup_tool_30m USING PRIMARY KEY (start_ms>?');
    expect(all).not.toMatch(/mcpr_store_rollup_(tool_)?(1h|6h|1d)/);
    expectIndexed(details, 'idx_requests_ts');
  });

  it('a series to now reads its live half-hour from the base rollups, not from the rows', () => {
    const live = Math.floor(NOW / 1_800_000) * 1_800_000;
    const read = statements((db) =>
      querySeries(db, { sinceMs: NOW - 86_400_000, bucketMs: 1_800_000 }, NOW),
    );
    const rowRanges = read
      .filter(({ sql }) => sql.includes('INDEXED BY idx_requests_ts'))
      .map(({ args }) => args[0] as { from: number; to: number });
    expect(rowRanges.length).toBeGreaterThan(0);
    for (const range of rowRanges)
      expect(range.to).toBeLessThanOrEqual(NOW - 86_400_000 + 1_800_000);
    expect(
      read.some(
        ({ sql, args }) =>
          sql.includes('FROM mcpr_store_rollup_tool_30m') &&
          (args[0] as { from: number }).from === live,
      ),
    ).toBe(true);
  });

  it('status counts the sessions seen in the window through our index on last_seen_at', () => {
    for (const proxy of [undefined, 'p1']) {
      const seen = plans((db) => queryStatus(db, { sinceMs: since, proxy }, NOW)).filter((d) =>
        /\bsessions\b/.test(d),
      );
      expect(seen.length).toBeGreaterThan(0);
      for (const detail of seen) expect(detail).not.toMatch(/SCAN sessions(?! USING)/);
    }
    const all = plans((db) => queryStatus(db, { sinceMs: since }, NOW)).join(' || ');
    expect(all).toContain('mcpr_store_sessions_seen');
  });

  it('status and clients find the sessions started in the window through our index on started_at', () => {
    for (const run of [
      (db: Database.Database) => queryStatus(db, { sinceMs: since }, NOW),
      (db: Database.Database) => queryClients(db, { sinceMs: since }),
    ]) {
      const started = plans(run).filter((d) => /\bsessions\b/.test(d));
      expect(started.join(' || ')).toContain('mcpr_store_sessions_started');
      for (const detail of started) {
        expect(detail).not.toMatch(/SCAN sessions/);
      }
    }
  });

  it('store stats counts proxies by index seeks', () => {
    const details = plans((db) => queryStoreStats(db, dbPath));
    for (const detail of details) expect(detail).not.toMatch(/SCAN requests(?! USING)/);
  });
});
