import {
  agedStoreEvents,
  buildStore,
  closeOpenedStores,
  FIXTURE_NOW,
  fixtureRequest,
  fixtureSession,
  MINUTE_MS,
  openFixtureStore,
} from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { queryLogs, querySlow } from '../src/requests.js';
import {
  countToolCalls,
  countToolCallsBySql,
  querySchema,
  querySchemaChanges,
  queryUnusedTools,
} from '../src/schema.js';
import { queryClients, querySession, querySessions } from '../src/sessions.js';
import { queryStatus } from '../src/status.js';
import { queryStoreStats } from '../src/store-stats.js';

const NOW = FIXTURE_NOW;
const MIN = MINUTE_MS;
afterEach(closeOpenedStores);
const read = openFixtureStore;

const req = fixtureRequest;
const session = fixtureSession;

describe('logs and slow', () => {
  const file = () =>
    buildStore([
      req({ ts: NOW - 3 * MIN, tool: 'search', session_id: 'alpha-1' }),
      req({
        ts: NOW - 2 * MIN,
        tool: 'fetch',
        status: 'error',
        error_code: '-32602',
        session_id: 'alpha-2',
      }),
      req({
        ts: NOW - 2 * MIN,
        method: 'resources/read',
        tool: null,
        session_id: 'beta-1',
        latency_us: 900_000,
      }),
      req({
        ts: NOW - MIN,
        tool: 'search',
        proxy: 'p2',
        status: 'timeout',
        session_id: 'beta-2',
        latency_us: 2_000_000,
      }),
      req({
        ts: NOW - 3 * 3_600_000,
        tool: 'search',
        session_id: 'alpha-1',
        latency_us: 5_000_000,
      }),
    ]);

  it('returns newest first within the window and honours every filter', () => {
    const db = read(file());
    const since = NOW - 3_600_000;
    const ids = (rows: { request_id: string }[]) => rows.map((r) => r.request_id);
    const all = queryLogs(db, { sinceMs: since }, 50);
    expect(all.map((r) => r.ts)).toEqual([...all.map((r) => r.ts)].sort((a, b) => b - a));
    expect(all).toHaveLength(4);
    expect(queryLogs(db, { sinceMs: since }, 2)).toHaveLength(2);
    expect(ids(queryLogs(db, { sinceMs: since, proxy: 'p2' }, 50))).toEqual([all[0]?.request_id]);
    expect(queryLogs(db, { sinceMs: since, tool: 'search' }, 50).map((r) => r.tool)).toEqual([
      'search',
      'search',
    ]);
    expect(queryLogs(db, { sinceMs: since, method: 'resources/read' }, 50)).toHaveLength(1);
    expect(queryLogs(db, { sinceMs: since, status: 'error' }, 50).map((r) => r.error_code)).toEqual(
      ['-32602'],
    );
    expect(queryLogs(db, { sinceMs: since, errorCode: '-32602' }, 50)).toHaveLength(1);
    // Session prefix; with no window it covers all time.
    expect(queryLogs(db, { session: 'alpha' }, 50).map((r) => r.session_id)).toEqual([
      'alpha-2',
      'alpha-1',
      'alpha-1',
    ]);
    expect(queryLogs(db, { session: 'beta-2' }, 50)).toHaveLength(1);
    expect(queryLogs(db, { session: 'gamma' }, 50)).toEqual([]);
  });

  it('returns requests at or above the threshold, slowest first', () => {
    const db = read(file());
    const rows = querySlow(db, { sinceMs: NOW - 3_600_000, thresholdUs: 900_000 }, 20);
    expect(rows.map((r) => r.latency_us)).toEqual([2_000_000, 900_000]);
    expect(querySlow(db, { sinceMs: 0, thresholdUs: 900_000 }, 1).map((r) => r.latency_us)).toEqual(
      [5_000_000],
    );
    expect(querySlow(db, { sinceMs: 0, thresholdUs: 900_000, proxy: 'p2' }, 20)).toHaveLength(1);
  });
});

describe('sessions and clients', () => {
  const file = () =>
    buildStore([
      session('alpha-1', { started_at: NOW - 30 * MIN }),
      session('alpha-2', {
        client_name: 'Cursor',
        client_version: '0.4',
        client_platform: 'cursor',
      }),
      session('beta-1', { proxy: 'p2' }),
      session('old-1', { started_at: NOW - 3 * 86_400_000 }),
      req({ session_id: 'alpha-1', ts: NOW - MIN }),
      req({ session_id: 'alpha-1', ts: NOW - 2 * MIN, status: 'error' }),
      req({ session_id: 'alpha-2', ts: NOW - 6 * MIN }),
      req({ session_id: 'beta-1', proxy: 'p2', ts: NOW - 2 * MIN }),
      { kind: 'session_closed', session_id: 'beta-1', ended_at: NOW - MIN },
    ]);

  it('lists sessions most recently seen first, with is_active by mcpr rule', () => {
    const db = read(file());
    const rows = querySessions(db, { sinceMs: NOW - 3_600_000 }, 50, NOW);
    expect(rows.map((r) => [r.session_id, r.is_active])).toEqual([
      ['alpha-1', true],
      ['beta-1', false],
      ['alpha-2', false],
    ]);
    expect(rows[0]).toMatchObject({ total_calls: 2, total_errors: 1, client_platform: 'claude' });
    expect(
      querySessions(db, { sinceMs: NOW - 3_600_000, active: true }, 50, NOW).map(
        (r) => r.session_id,
      ),
    ).toEqual(['alpha-1']);
    // --client matches the client's name only, as mcpr's does: not its platform.
    expect(
      querySessions(db, { sinceMs: NOW - 3_600_000, client: 'cursor' }, 50, NOW).map(
        (r) => r.session_id,
      ),
    ).toEqual([]);
    expect(
      querySessions(db, { sinceMs: NOW - 3_600_000, client: 'Cursor' }, 50, NOW).map(
        (r) => r.session_id,
      ),
    ).toEqual(['alpha-2']);
    expect(
      querySessions(db, { sinceMs: NOW - 3_600_000, proxy: 'p2' }, 50, NOW).map(
        (r) => r.session_id,
      ),
    ).toEqual(['beta-1']);
    expect(querySessions(db, { sinceMs: 0 }, 50, NOW)).toHaveLength(4);
    expect(querySessions(db, { sinceMs: 0 }, 2, NOW)).toHaveLength(2);
  });

  it('finds a session by prefix with its requests oldest first, and names ambiguous candidates', () => {
    const db = read(file());
    const detail = querySession(db, 'alpha-1', NOW);
    expect(detail.requests.map((r) => r.ts)).toEqual([NOW - 2 * MIN, NOW - MIN]);
    expect(querySession(db, 'bet', NOW).session_id).toBe('beta-1');
    expect(() => querySession(db, 'alpha', NOW)).toThrow(
      '"alpha" matches several sessions: alpha-1, alpha-2; give more of the id',
    );
    expect(() => querySession(db, 'zzz', NOW)).toThrow('no session matches "zzz"');
  });

  it('groups clients with error_pct, most calls first', () => {
    const db = read(file());
    expect(queryClients(db, { sinceMs: NOW - 7 * 86_400_000 })).toEqual([
      {
        client_name: 'claude-ai',
        client_version: '1',
        client_platform: 'claude',
        sessions: 3,
        total_calls: 3,
        total_errors: 1,
        error_pct: 100 / 3,
        first_seen: NOW - 3 * 86_400_000,
        last_seen: NOW - MIN,
      },
      {
        client_name: 'Cursor',
        client_version: '0.4',
        client_platform: 'cursor',
        sessions: 1,
        total_calls: 1,
        total_errors: 0,
        error_pct: 0,
        first_seen: NOW - 10 * MIN,
        last_seen: NOW - 6 * MIN,
      },
    ]);
  });
});

describe('status', () => {
  it('computes percentiles in SQL with the nearest-rank rule (p95 of 1..10 is 10)', () => {
    const events = Array.from({ length: 10 }, (_, i) =>
      req({ latency_us: i + 1, status: i < 2 ? 'error' : 'ok', bytes_in: 10, bytes_out: 100 }),
    );
    events.push(
      ...Array.from({ length: 100 }, (_, i) => req({ tool: 'hundred', latency_us: 100 - i })),
    );
    events.push(req({ method: 'initialize', tool: null, latency_us: 7 }));
    events.push(req({ ts: NOW - 2 * 3_600_000, latency_us: 99_999 }));
    const report = queryStatus(
      read(buildStore([session('alpha-1'), ...events])),
      { sinceMs: NOW - 3_600_000, since: '1h' },
      NOW,
    );
    const byTool = Object.fromEntries(report.tools.map((t) => [t.label, t]));
    expect(byTool.search).toMatchObject({
      calls: 10,
      min_us: 1,
      max_us: 10,
      avg_us: 5.5,
      p50_us: 5,
      p90_us: 9,
      p95_us: 10,
      p99_us: 10,
      error_pct: 20,
      errors: 2,
      total_bytes_in: 100,
      total_bytes_out: 1000,
    });
    expect(byTool.hundred).toMatchObject({
      calls: 100,
      p50_us: 50,
      p90_us: 90,
      p95_us: 95,
      p99_us: 99,
      max_us: 100,
    });
    expect(byTool['<initialize>']).toMatchObject({ calls: 1, p50_us: 7, p95_us: 7, p99_us: 7 });
    expect(report).toMatchObject({
      proxy: null,
      since: '1h',
      total_requests: 111,
      error_pct: 200 / 111,
      total_sessions: 1,
      active_sessions: 1,
      running_proxies: [],
    });
    expect(report.calls_per_minute).toBeCloseTo(111 / 60, 2);
  });

  it('matches a sort of every latency, label by label, on varied data', () => {
    // A small deterministic generator, so a failure repeats.
    let seed = 12345;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % below;
    };
    const tools = ['search', 'a:b', "it's", 'x'.repeat(40), null];
    const events = Array.from({ length: 3000 }, () => {
      const tool = tools[random(tools.length)] ?? null;
      return req({
        tool,
        method: tool === null ? ['initialize', 'tools/list'][random(2)] : 'tools/call',
        // Many ties, a few huge values.
        latency_us: random(10) === 0 ? 2 ** 40 + random(1000) : random(200),
        proxy: random(3) === 0 ? 'p2' : 'p1',
        ts: NOW - random(120) * MIN,
        status: random(7) === 0 ? 'error' : 'ok',
      });
    });
    const db = read(buildStore([session('alpha-1'), ...events]));
    for (const proxy of [undefined, 'p2']) {
      const sinceMs = NOW - 90 * MIN;
      const report = queryStatus(db, { sinceMs, proxy }, NOW);
      const inWindow = events.filter(
        (e) => (e.ts as number) >= sinceMs && (proxy === undefined || e.proxy === proxy),
      );
      const byLabel = new Map<string, number[]>();
      for (const e of inWindow) {
        const label = (e.tool as string | null) ?? `<${e.method}>`;
        byLabel.set(label, [...(byLabel.get(label) ?? []), e.latency_us as number]);
      }
      const nearest = (sorted: number[], p: number) =>
        sorted[Math.max(1, Math.ceil((p * sorted.length) / 100)) - 1];
      expect(report.total_requests).toBe(inWindow.length);
      expect(report.tools.map((t) => t.label).sort()).toEqual([...byLabel.keys()].sort());
      for (const row of report.tools) {
        const sorted = (byLabel.get(row.label) ?? []).sort((a, b) => a - b);
        expect(row).toMatchObject({
          calls: sorted.length,
          min_us: sorted[0],
          max_us: sorted[sorted.length - 1],
          p50_us: nearest(sorted, 50),
          p90_us: nearest(sorted, 90),
          p95_us: nearest(sorted, 95),
          p99_us: nearest(sorted, 99),
        });
      }
    }
  });

  it('agrees with plain SQL on every field, with huge sums and with values off the fast path', () => {
    let seed = 777;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % below;
    };
    const tools = ['search', 'fetch', 'émoji-😀', '\uffffwide', null];
    const events = Array.from({ length: 2000 }, (_, i) => {
      const tool = tools[random(tools.length)] ?? null;
      // A few latencies and sizes near 2^52, so sums pass 2^53.
      const huge = i % 200 === 0;
      return req({
        tool,
        method: tool === null ? ['initialize', 'ping'][random(2)] : 'tools/call',
        latency_us: huge ? 2 ** 52 + random(1000) : random(5) * 1000 + random(3),
        ts: NOW - random(50) * MIN,
        status: ['ok', 'ok', 'error', 'timeout'][random(4)],
        bytes_in: random(4) === 0 ? null : huge ? 2 ** 52 - random(99) : random(10_000),
        bytes_out: random(4) === 0 ? null : random(100_000),
      });
    });
    const file = buildStore([session('alpha-1'), ...events]);
    const label = `COALESCE(tool, '<' || method || '>')`;
    const oracle = (db: Database.Database, sinceMs: number) => {
      const rows = db
        .prepare(
          `SELECT ${label} AS label, COUNT(*) AS calls,
                  AVG(latency_us) AS avg_us,
                  MIN(latency_us) AS min_us, MAX(latency_us) AS max_us,
                  SUM(status <> 'ok') AS errors,
                  100.0 * SUM(status <> 'ok') / COUNT(*) AS error_pct,
                  COALESCE(SUM(bytes_in), 0) AS total_bytes_in,
                  COALESCE(SUM(bytes_out), 0) AS total_bytes_out
           FROM requests WHERE ts >= ? GROUP BY label ORDER BY calls DESC, label`,
        )
        .all(sinceMs) as { label: string; calls: number }[];
      const nth = db.prepare(
        `SELECT latency_us FROM requests WHERE ts >= ? AND ${label} = ?
         ORDER BY latency_us LIMIT 1 OFFSET ?`,
      );
      const at = (tool: string, p: number, calls: number) =>
        nth.pluck().get(sinceMs, tool, Math.max(1, Math.ceil((p * calls) / 100)) - 1);
      return rows.map((row) => {
        const { error_pct, total_bytes_in, total_bytes_out, ...head } = row as Record<
          string,
          unknown
        >;
        return {
          ...head,
          p50_us: at(row.label, 50, row.calls),
          p90_us: at(row.label, 90, row.calls),
          p95_us: at(row.label, 95, row.calls),
          p99_us: at(row.label, 99, row.calls),
          error_pct,
          total_bytes_in,
          total_bytes_out,
        };
      });
    };
    const sinceMs = NOW - 40 * MIN;
    const fast = read(file);
    expect(queryStatus(fast, { sinceMs }, NOW).tools).toEqual(oracle(fast, sinceMs));
    // A database written by other software may hold what the daemon never
    // writes: text, reals and negative numbers. They are reported as SQL
    // orders and sums them.
    const edit = new Database(file);
    edit.exec(`UPDATE requests SET latency_us = 'n/a' WHERE id % 97 = 0;
               UPDATE requests SET latency_us = -5 WHERE id % 89 = 0;
               UPDATE requests SET latency_us = 2.5 WHERE id % 83 = 0;
               UPDATE requests SET bytes_out = 1.25 WHERE id % 79 = 0;`);
    edit.close();
    const odd = read(file);
    const report = queryStatus(odd, { sinceMs }, NOW).tools;
    expect(report.some((row) => row.max_us === ('n/a' as unknown as number))).toBe(true);
    expect(report).toEqual(oracle(odd, sinceMs));
  });

  it('keeps tool names that are not valid UTF-8 apart, each with its percentiles', () => {
    const events = [
      ...Array.from({ length: 10 }, (_, i) => req({ tool: 'bad-a', latency_us: i + 1 })),
      ...Array.from({ length: 20 }, (_, i) => req({ tool: 'bad-b', latency_us: 100 + i })),
      req({ tool: 'fine', latency_us: 5 }),
    ];
    const file = buildStore([session('alpha-1'), ...events]);
    // Software other than the daemon may write bytes that are not UTF-8.
    const edit = new Database(file);
    edit.exec(`UPDATE requests SET tool = CAST(X'ff41' AS TEXT) WHERE tool = 'bad-a';
               UPDATE requests SET tool = CAST(X'fe41' AS TEXT) WHERE tool = 'bad-b';`);
    edit.close();
    const report = queryStatus(read(file), { sinceMs: NOW - 3_600_000 }, NOW);
    expect(
      report.tools.map((t) => [t.label, t.calls, t.min_us, t.p50_us, t.p95_us, t.max_us]),
    ).toEqual([
      ['\ufffdA', 20, 100, 109, 118, 119],
      ['\ufffdA', 10, 1, 5, 10, 10],
      ['fine', 1, 5, 5, 5, 5],
    ]);
  });

  it('reports over a thousand labels (past 1,024 the tally gives way to SQL) with the same figures', () => {
    const events = Array.from({ length: 1100 }, (_, i) =>
      req({ tool: `tool-${i}`, latency_us: i % 50, status: i % 3 === 0 ? 'error' : 'ok' }),
    );
    events.push(req({ tool: 'tool-7', latency_us: 10_000 }));
    const report = queryStatus(
      read(buildStore([session('alpha-1'), ...events])),
      { sinceMs: NOW - 3_600_000 },
      NOW,
    );
    expect(report.tools).toHaveLength(1100);
    expect(report.tools[0]).toMatchObject({
      label: 'tool-7',
      calls: 2,
      min_us: 7,
      max_us: 10_000,
      p50_us: 7,
      p99_us: 10_000,
    });
    expect(report.tools[1]).toMatchObject({ label: 'tool-0', calls: 1, error_pct: 100 });
  });

  it('reports zeros for an empty window', () => {
    const report = queryStatus(read(buildStore([])), { sinceMs: NOW - 3_600_000 }, NOW);
    expect(report).toMatchObject({
      total_requests: 0,
      error_pct: 0,
      tools: [],
      total_sessions: 0,
    });
  });
});

describe('schema', () => {
  const snapshot = (fields: Record<string, unknown>) => ({
    kind: 'schema_version',
    ts: NOW - 5 * MIN,
    proxy: 'p1',
    upstream_url: 'http://up-a',
    method: 'tools/list',
    payload: JSON.stringify({ tools: [{ name: 'search' }, { name: 'idle' }] }),
    ...fields,
  });
  const file = () =>
    buildStore([
      snapshot({
        method: 'initialize',
        payload: JSON.stringify({
          protocolVersion: '2025-06-18',
          serverInfo: { name: 'alpha-server', version: '2.0' },
          capabilities: { tools: {}, prompts: {} },
        }),
      }),
      snapshot({}),
      snapshot({
        ts: NOW - 4 * MIN,
        payload: JSON.stringify({ tools: [{ name: 'search' }, { name: 'idle' }, { name: 'new' }] }),
      }),
      snapshot({
        proxy: 'p2',
        upstream_url: 'http://up-b',
        payload: JSON.stringify({ tools: [{ name: 'only_b' }] }),
      }),
      snapshot({ proxy: 'p3', upstream_url: 'http://up-c', method: 'initialize', payload: '{}' }),
      req({ tool: 'search' }),
      req({ tool: 'search', status: 'error' }),
      req({ tool: 'only_b', proxy: 'p1' }),
    ]);

  it('reports unknown, partial and complete per upstream with the initialize details', () => {
    const db = read(file());
    const report = querySchema(db, {});
    expect(report.upstreams.map((u) => [u.proxy, u.upstream_url, u.status])).toEqual([
      ['p1', 'http://up-a', 'complete'],
      ['p2', 'http://up-b', 'partial'],
      ['p3', 'http://up-c', 'partial'],
    ]);
    expect(report.upstreams[0]).toMatchObject({
      server_name: 'alpha-server',
      server_version: '2.0',
      protocol_version: '2025-06-18',
      capabilities: ['prompts', 'tools'],
      methods: ['initialize', 'tools/list'],
    });
    expect(report.snapshots).toHaveLength(4);
    expect(querySchema(db, { method: 'initialize' }).snapshots.map((s) => s.method)).toEqual([
      'initialize',
      'initialize',
    ]);
    expect(querySchema(db, { proxy: 'p2' }).upstreams).toHaveLength(1);
  });

  it('lists changes newest first', () => {
    const db = read(file());
    const changes = querySchemaChanges(db, { proxy: 'p1' }, 50);
    expect(changes.map((c) => [c.change_type, c.item_name])).toEqual([
      ['tool_added', 'new'],
      ['initial', null],
      ['initial', null],
    ]);
    expect(querySchemaChanges(db, {}, 1)).toHaveLength(1);
    expect(
      querySchemaChanges(db, { method: 'initialize' }, 50).every((c) => c.method === 'initialize'),
    ).toBe(true);
  });

  it('counts calls per proxy and tool from index row ids exactly as SQL grouping does', () => {
    const events: Record<string, unknown>[] = [];
    for (let i = 0; i < 3000; i += 1) {
      events.push(
        req({
          ts: NOW - (i % 500) * MIN,
          proxy: `p${i % 4}`,
          tool: i % 9 === 0 ? null : `t${i % 5}`,
          method: i % 9 === 0 ? 'resources/read' : 'tools/call',
          status: i % 7 === 0 ? 'error' : i % 11 === 0 ? 'timeout' : 'ok',
        }),
      );
    }
    const db = read(buildStore(events));
    const since = NOW - 300 * MIN;
    const fast = countToolCalls(
      db,
      ['p0', 'p1', 'p2', 'p3'],
      ['t0', 't1', 't2', 't3', 't4'],
      since,
    );
    const bySql = countToolCallsBySql(db, since);
    expect(Object.fromEntries(fast)).toEqual(
      Object.fromEntries([...bySql].map(([k, v]) => [k, { calls: v.calls, errors: v.errors }])),
    );
    expect(fast.size).toBe(20);
  });

  it('reads unused tools from each proxy’s own tools/list, unused first', () => {
    const db = read(file());
    const rows = queryUnusedTools(db, { sinceMs: NOW - 86_400_000 });
    expect(rows.map((r) => [r.proxy, r.tool_name, r.calls, r.errors])).toEqual([
      ['p1', 'idle', 0, 0],
      ['p1', 'new', 0, 0],
      ['p1', 'search', 2, 1],
      // only_b was called through p1, not p2: p2 has not used it.
      ['p2', 'only_b', 0, 0],
    ]);
    expect(rows[2]?.last_called_at).toBe(NOW - MIN);
    expect(queryUnusedTools(db, { sinceMs: 0, proxy: 'p2' }).map((r) => r.tool_name)).toEqual([
      'only_b',
    ]);
  });
});

describe('store stats', () => {
  const DAY = 86_400_000;
  const file = () => buildStore(agedStoreEvents());

  it('counts requests, sessions, span and proxies', () => {
    const path = file();
    const stats = queryStoreStats(read(path), path);
    expect(stats).toMatchObject({
      total_requests: 5,
      total_sessions: 4,
      oldest_ts: NOW - 40 * DAY,
      newest_ts: NOW - MIN,
      proxy_count: 2,
    });
    expect(stats.db_file_size).toBeGreaterThan(0);
    expect(queryStoreStats(read(path), path, 'p2')).toMatchObject({
      total_requests: 1,
      total_sessions: 0,
      proxy_count: 1,
    });
  });
});
