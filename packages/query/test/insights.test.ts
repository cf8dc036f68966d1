// status's insights and series: exact values on hand-made fixtures, worked
// out by mcpr's rules (nearest rank; error_pct is the share not ok).
import {
  buildStore,
  closeOpenedStores,
  FIXTURE_NOW,
  fixtureRequest,
  MINUTE_MS,
  openFixtureStore,
} from '@mcpr-store/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { querySeries } from '../src/series.js';
import { defaultBucketMs } from '../src/series-buckets.js';
import { queryStatus } from '../src/status.js';

afterEach(closeOpenedStores);
const NOW = FIXTURE_NOW;
const MIN = MINUTE_MS;
const HOUR = 60 * MIN;
const req = fixtureRequest;

const listed = (proxy: string, tools: string[]) => ({
  kind: 'schema_version',
  ts: NOW - 2 * HOUR,
  proxy,
  upstream_url: `http://${proxy}`,
  method: 'tools/list',
  payload: JSON.stringify({ tools: tools.map((name) => ({ name })) }),
});

describe('status insights', () => {
  const file = () =>
    buildStore([
      listed('p1', ['search', 'idle']),
      // This hour: search 4 calls (latency 1..4 ms), one -32602 error, one timeout.
      ...[1, 2, 3, 4].map((ms, i) =>
        req({
          ts: NOW - (i + 1) * MIN,
          latency_us: ms * 1000,
          status: i === 0 ? 'error' : i === 1 ? 'timeout' : 'ok',
          error_code: i === 0 ? '-32602' : null,
        }),
      ),
      // Tools p1's server never listed, and one on p2, which has no list at all.
      req({ tool: 'invented', ts: NOW - 5 * MIN, status: 'error', error_code: '-32601' }),
      req({ tool: 'invented', ts: NOW - 6 * MIN, status: 'error', error_code: '-32601' }),
      req({ tool: 'imagined', ts: NOW - 7 * MIN, status: 'error', error_code: '-32601' }),
      req({ tool: 'whatever', proxy: 'p2', ts: NOW - 8 * MIN }),
      // The hour before: search 2 calls at 10 ms, one error.
      req({ ts: NOW - HOUR - MIN, latency_us: 10_000, status: 'error', error_code: '-32603' }),
      req({ ts: NOW - HOUR - 2 * MIN, latency_us: 10_000 }),
    ]);

  it('counts error codes, most first, and finds tools the server never listed', () => {
    const report = queryStatus(openFixtureStore(file()), { sinceMs: NOW - HOUR, since: '1h' }, NOW);
    expect(report.error_codes).toEqual([
      { error_code: '-32601', calls: 3 },
      { error_code: '-32602', calls: 1 },
    ]);
    expect(report.unknown_tools).toEqual([
      { tool: 'invented', calls: 2, last_called_at: NOW - 5 * MIN, proxy: 'p1' },
      { tool: 'imagined', calls: 1, last_called_at: NOW - 7 * MIN, proxy: 'p1' },
    ]);
    expect(
      queryStatus(openFixtureStore(file()), { sinceMs: NOW - HOUR, proxy: 'p2' }, NOW)
        .unknown_tools,
    ).toEqual([]);
  });

  it('--compare puts the previous window of the same length beside this one', () => {
    const report = queryStatus(
      openFixtureStore(file()),
      { sinceMs: NOW - HOUR, since: '1h', compare: true },
      NOW,
    );
    expect(report).toMatchObject({
      total_requests: 8,
      total_requests_prev: 2,
      error_pct_prev: 50,
    });
    const search = report.tools.find((t) => t.label === 'search');
    expect(search).toMatchObject({
      calls: 4,
      error_pct: 50,
      p90_us: 4000,
      calls_prev: 2,
      error_pct_prev: 50,
      p95_us_prev: 10_000,
    });
    const invented = report.tools.find((t) => t.label === 'invented');
    expect(invented).toMatchObject({ calls_prev: null, error_pct_prev: null, p95_us_prev: null });
    // Over all 8 requests (1 ms x5, 2, 3, 4 ms) the 8th is p95; the hour before, the 2nd of 2.
    expect(report).toMatchObject({ p95_us: 4000, p95_us_prev: 10_000 });
    // The one session (alpha-1) started with its first request, the hour before.
    expect(report).toMatchObject({ total_sessions: 0, total_sessions_prev: 1 });
    const plain = queryStatus(openFixtureStore(file()), { sinceMs: NOW - HOUR }, NOW);
    expect(plain).not.toHaveProperty('total_requests_prev');
    expect(plain).not.toHaveProperty('p95_us_prev');
    expect(plain).not.toHaveProperty('total_sessions_prev');
  });

  it('gives the p95 over every request of the window by the nearest rank, null when empty', () => {
    // 20 requests of 1..20 ms over two tools: the 19th smallest is p95.
    const rows = Array.from({ length: 20 }, (_, i) =>
      req({ tool: i % 2 ? 'a' : 'b', ts: NOW - (i + 1) * MIN, latency_us: (20 - i) * 1000 }),
    );
    const db = openFixtureStore(buildStore(rows));
    expect(queryStatus(db, { sinceMs: NOW - HOUR }, NOW).p95_us).toBe(19_000);
    expect(queryStatus(db, { sinceMs: NOW - HOUR, proxy: 'none' }, NOW).p95_us).toBeNull();
  });
});

describe('series', () => {
  it('gives one row per bucket, oldest first, empty buckets included, percentiles by bucket', () => {
    const start = Math.floor(NOW / HOUR) * HOUR - 3 * HOUR;
    const db = openFixtureStore(
      buildStore([
        // Bucket 0: 1..10 ms, one error and one timeout.
        ...Array.from({ length: 10 }, (_, i) =>
          req({
            ts: start + i * 1000,
            latency_us: (i + 1) * 1000,
            status: i === 0 ? 'error' : i === 1 ? 'timeout' : 'ok',
          }),
        ),
        // Bucket 2: one call, on its first millisecond (an edge).
        req({ ts: start + 2 * HOUR, latency_us: 7 }),
        // Before the window: not counted.
        req({ ts: start - 1, latency_us: 99 }),
      ]),
    );
    const rows = querySeries(db, { sinceMs: start, bucketMs: HOUR }, start + 3 * HOUR + 1);
    expect(rows).toEqual([
      {
        bucket_start: start,
        calls: 10,
        errors: 1,
        timeouts: 1,
        p50_us: 5000,
        p95_us: 10_000,
        p99_us: 10_000,
        p95_us_estimated: false,
      },
      {
        bucket_start: start + HOUR,
        calls: 0,
        errors: 0,
        timeouts: 0,
        p50_us: 0,
        p95_us: 0,
        p99_us: 0,
        p95_us_estimated: false,
      },
      {
        bucket_start: start + 2 * HOUR,
        calls: 1,
        errors: 0,
        timeouts: 0,
        p50_us: 7,
        p95_us: 7,
        p99_us: 7,
        p95_us_estimated: false,
      },
      {
        bucket_start: start + 3 * HOUR,
        calls: 0,
        errors: 0,
        timeouts: 0,
        p50_us: 0,
        p95_us: 0,
        p99_us: 0,
        p95_us_estimated: false,
      },
    ]);
  });

  it('picks a default bucket that gives about 60 buckets', () => {
    expect(defaultBucketMs(24 * HOUR)).toBe(30 * MIN);
    expect(defaultBucketMs(HOUR)).toBe(MIN);
    expect(defaultBucketMs(7 * 24 * HOUR)).toBe(3 * HOUR);
    expect(defaultBucketMs(30 * 24 * HOUR)).toBe(12 * HOUR);
  });
});
