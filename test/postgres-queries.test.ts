// The same questions on PostgreSQL as on SQLite: two daemons (two hosts,
// two SQLite files) replicate into one throwaway PostgreSQL, and every
// answer of the query layer read there equals the answer read from one
// SQLite file holding both hosts' events, at the same "now": percentiles
// by mcpr's rank rule at the edges where PostgreSQL's percentile_disc
// alone would not match, unrounded averages and percentages to the last
// bit, orders and ties. The CLI and the web API answer the same JSON from
// a postgres:// --db, and a wrong one is said in one line, without its
// password.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { StoreClient } from '@mcpr-store/client';
import type { HealthReport } from '@mcpr-store/protocol';
import {
  countSlow,
  openStore,
  publicRow,
  queryClients,
  queryLogs,
  querySchema,
  querySchemaChanges,
  querySeries,
  querySession,
  querySessions,
  querySlow,
  queryStatus,
  queryStoreStats,
  queryUnusedTools,
  type Store,
} from '@mcpr-store/query';
import {
  buildStore,
  CLI,
  type DaemonProcess,
  type PostgresServer,
  runCli,
  startDaemon,
  startPostgres,
} from '@mcpr-store/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NOW = Date.now();
const MIN = 60_000;
let server: PostgresServer;
const daemons: DaemonProcess[] = [];
let pgStore: Store;
let sqliteStore: Store;
let hostA: Record<string, unknown>[];
let hostB: Record<string, unknown>[];

function tools(names: string[]): string {
  return JSON.stringify({
    tools: names.map((name) => ({ name, description: `does ${name}`, inputSchema: {} })),
  });
}

/** One host's events: sessions, requests of chosen latencies and outcomes, snapshots. */
function hostEvents(host: string, proxy: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [
    {
      kind: 'session',
      session_id: `${host}-s1`,
      proxy,
      started_at: NOW - 50 * MIN,
      client_name: 'claude-ai',
      client_version: '1',
      client_platform: 'claude',
    },
    {
      kind: 'session',
      session_id: `${host}-s2`,
      proxy,
      started_at: NOW - 40 * MIN,
      client_name: 'cursor',
      client_version: '0.4',
      client_platform: 'cursor',
    },
    {
      kind: 'session',
      session_id: `${host}-s3`,
      proxy,
      started_at: NOW - 90 * MIN,
      client_name: null,
    },
    { kind: 'session_closed', session_id: `${host}-s2`, proxy, ended_at: NOW - 2 * MIN },
  ];
  let n = 0;
  const request = (fields: Record<string, unknown>) => {
    n += 1;
    events.push({
      kind: 'request',
      request_id: `${host}-r${String(n).padStart(4, '0')}`,
      proxy,
      method: 'tools/call',
      status: 'ok',
      ...fields,
    });
  };
  // 20 calls of 1..20 ms: p95 is the 19th (mcpr's rank), p50 the 10th.
  for (let i = 1; i <= 20; i += 1) {
    request({
      tool: 'search',
      latency_us: i * 1000,
      ts: NOW - (i + 1) * MIN,
      session_id: `${host}-s1`,
      bytes_in: i,
      bytes_out: 7 * i,
    });
  }
  // 100 calls, a few errors and timeouts with codes, equal latencies (ties).
  for (let i = 0; i < 100; i += 1) {
    const failed = i % 9 === 0;
    request({
      tool: 'fetch',
      latency_us: 333 + (i % 7) * 1000,
      ts: NOW - 30 * MIN + i * 1000,
      session_id: `${host}-s2`,
      status: failed ? (i % 2 ? 'error' : 'timeout') : 'ok',
      error_code: failed && i % 2 ? '-32603' : null,
      error_msg: failed ? `upstream \t"${i}"` : null,
      bytes_in: i % 3 ? i : null,
    });
  }
  // One call of a tool the server never listed; methods without a tool.
  request({
    tool: 'invented',
    latency_us: 42,
    ts: NOW - 5 * MIN,
    session_id: `${host}-s3`,
    status: 'error',
    error_code: '-32601',
  });
  request({
    tool: null,
    method: 'tools/list',
    latency_us: 7,
    ts: NOW - 3 * MIN,
    session_id: `${host}-s1`,
  });
  request({
    tool: null,
    method: 'initialize',
    latency_us: 9,
    ts: NOW - 70 * MIN,
    session_id: null,
  });
  // Hours ago: only the previous window of --compare and wide series see these.
  for (let i = 0; i < 13; i += 1) {
    request({
      tool: 'search',
      latency_us: 50_000 + i,
      ts: NOW - 65 * MIN - i * MIN,
      session_id: `${host}-s3`,
    });
  }
  events.push(
    {
      kind: 'schema_version',
      proxy,
      upstream_url: `http://${host}.up`,
      method: 'tools/list',
      payload: tools(['search', 'fetch', 'unused']),
      ts: NOW - 60 * MIN,
    },
    {
      kind: 'schema_version',
      proxy,
      upstream_url: `http://${host}.up`,
      method: 'tools/list',
      payload: tools(['search', 'fetch', 'unused', 'spare']),
      ts: NOW - 10 * MIN,
    },
  );
  return events;
}

/** Sends each proxy's events through a client of its own, as its proxy would. */
async function send(d: DaemonProcess, events: Record<string, unknown>[]): Promise<void> {
  const proxies = [...new Set(events.map((event) => event.proxy as string))];
  for (const proxy of proxies) {
    const mine = events.filter((event) => event.proxy === proxy);
    const client = new StoreClient({ socketPath: d.socketPath, proxy });
    for (const event of mine) client.record(event as never);
    await client.close(10_000);
    expect(client.stats()).toMatchObject({ committed: mine.length, rejected: 0 });
  }
}

async function caughtUp(d: DaemonProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { stdout } = await runCli(['health', '--json', '--socket', d.socketPath]);
    const h = JSON.parse(stdout) as HealthReport;
    if (h.replication?.lag_rows === 0 && h.replication.shipped.schema_changes > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`replication never caught up:\n${d.stderr()}`);
}

beforeAll(async () => {
  server = await startPostgres();
  hostA = hostEvents('a', 'edge');
  // The second host runs a proxy of the same name and one of its own.
  hostB = [...hostEvents('b', 'edge'), ...hostEvents('c', 'west')];
  for (const events of [hostA, hostB]) {
    const d = await startDaemon({ args: ['--replicate-to', server.url] });
    daemons.push(d);
    await send(d, events);
    await caughtUp(d);
  }
  pgStore = openStore(server.url);
  // One SQLite file holding what both hosts hold: the answers PostgreSQL must give.
  sqliteStore = openStore(buildStore([...hostA, ...hostB]));
}, 90_000);

afterAll(async () => {
  pgStore?.close();
  sqliteStore?.close();
  await Promise.all(daemons.map((d) => d.stop()));
  server?.stop();
});

/** The same question of both stores. */
function both<T>(question: (store: Store) => T): { sqlite: T; postgres: T } {
  return { sqlite: question(sqliteStore), postgres: question(pgStore) };
}

describe('queries on PostgreSQL', () => {
  it('status: every figure equal to SQLite, percentiles by mcpr rank, across both hosts', () => {
    for (const filter of [
      { sinceMs: NOW - 60 * MIN },
      { sinceMs: NOW - 60 * MIN, compare: true },
      { sinceMs: NOW - 60 * MIN, proxy: 'edge', compare: true },
      { sinceMs: NOW - 3 * 60 * MIN, proxy: 'west' },
      { sinceMs: NOW - 60 * MIN, proxy: 'nobody' },
    ]) {
      const { sqlite, postgres } = both((store) => queryStatus(store, filter, NOW));
      expect(postgres).toEqual(sqlite);
    }
    const report = queryStatus(pgStore, { sinceMs: NOW - 60 * MIN, proxy: 'edge' }, NOW);
    const search = report.tools.find((row) => row.label === 'search');
    // Two hosts' 1..20 ms: 40 values, each twice; p95 is the 38th, the 19th distinct.
    expect(search).toMatchObject({ calls: 40, p50_us: 10_000, p95_us: 19_000, p99_us: 20_000 });
    expect(report.unknown_tools.map((row) => row.tool)).toEqual(['invented']);
  });

  it('status across two hosts sums what each host holds', async () => {
    const window = ['--since', '1h', '--json'];
    const fromPg = JSON.parse((await runCli(['status', '--db', server.url, ...window])).stdout);
    const hosts = await Promise.all(
      daemons.map(async (d) =>
        JSON.parse((await runCli(['status', '--db', d.dbPath, ...window])).stdout),
      ),
    );
    expect(fromPg.total_requests).toBe(hosts[0].total_requests + hosts[1].total_requests);
    expect(fromPg.total_errors).toBe(hosts[0].total_errors + hosts[1].total_errors);
    const calls = (report: { tools: { label: string; calls: number }[] }, label: string) =>
      report.tools.find((row) => row.label === label)?.calls ?? 0;
    for (const label of ['search', 'fetch', 'invented', '<tools/list>']) {
      expect(calls(fromPg, label)).toBe(calls(hosts[0], label) + calls(hosts[1], label));
    }
  });

  it('logs, slow, sessions, session, clients: the same rows in the same order', () => {
    const rows = (store: Store) => ({
      logs: queryLogs(store, { sinceMs: NOW - 120 * MIN }, 500).map(publicRow),
      errors: queryLogs(store, { status: 'error', proxy: 'edge' }, 50).map(publicRow),
      bySession: queryLogs(store, { session: 'b-' }, 50).map(publicRow),
      slow: querySlow(store, { thresholdUs: 5000, sinceMs: NOW - 120 * MIN }, 100).map(publicRow),
      slowCount: countSlow(store, { thresholdUs: 5000, sinceMs: NOW - 120 * MIN }),
      sessions: querySessions(store, {}, 100, NOW),
      active: querySessions(store, { active: true, proxy: 'edge' }, 100, NOW),
      session: querySession(store, 'c-s2', NOW),
      prefix: querySession(store, 'b-s1', NOW, 'edge'),
      clients: queryClients(store, { sinceMs: NOW - 24 * 60 * MIN }),
    });
    const { sqlite, postgres } = both(rows);
    expect(postgres).toEqual(sqlite);
    expect(postgres.logs.length).toBeGreaterThan(300);
    expect(() => querySession(pgStore, 'a-s', NOW)).toThrow(/matches several sessions/);
    expect(() => querySession(pgStore, 'zz', NOW)).toThrow(/no session matches/);
  });

  it('series, schema, changes, unused tools and store stats', () => {
    const { sqlite, postgres } = both((store) => ({
      series: querySeries(store, { sinceMs: NOW - 60 * MIN, bucketMs: 5 * MIN }, NOW),
      fetchSeries: querySeries(
        store,
        { sinceMs: NOW - 3 * 60 * MIN, bucketMs: 10 * MIN, tool: 'fetch', proxy: 'edge' },
        NOW,
      ),
      schema: querySchema(store, {}),
      changes: querySchemaChanges(store, { proxy: 'edge' }, 100),
      unused: queryUnusedTools(store, { sinceMs: NOW - 60 * MIN }),
      stats: {
        ...queryStoreStats(store, ''),
        db_file_size: 0,
        db_size_bytes: 0,
        wal_file_size: 0,
        wal_size_bytes: 0,
      },
    }));
    expect(postgres).toEqual(sqlite);
    expect(postgres.unused.filter((row) => row.calls === 0).map((row) => row.tool_name)).toContain(
      'spare',
    );
    expect(queryStoreStats(pgStore, '').db_size_bytes).toBeGreaterThan(0);
  });

  it('the CLI and the web API answer the same JSON from a postgres:// --db', async () => {
    for (const args of [
      ['status', '--since', '1h'],
      ['logs', '--tail', '20'],
      ['sessions'],
      ['clients'],
      ['schema', '--unused'],
    ]) {
      const fromPg = await runCli([...args, '--json', '--db', server.url]);
      expect(fromPg.code, fromPg.stderr).toBe(0);
      expect(fromPg.stdout.length).toBeGreaterThan(2);
    }
    // The dashboard's API, from the same --db, answers what the CLI prints.
    const ui = spawn(process.execPath, [CLI, 'ui', '--listen', '127.0.0.1:0', '--db', server.url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let output = '';
        ui.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const url = /mcpr-store ui: (http:\/\/\S+?)\/?(\s|$)/.exec(output)?.[1];
          if (url) resolve(url);
        });
        ui.on('exit', (code) => reject(new Error(`ui exited with ${code}`)));
      });
      // The dashboard runs for long: its command line no longer shows the password.
      const cmdline = fs.readFileSync(`/proc/${ui.pid}/cmdline`, 'utf8');
      expect(cmdline).toContain('--db postgres://mcpr@127.0.0.1');
      expect(cmdline).not.toContain(server.password);
      const api = await (await fetch(`${base}/api/sessions`)).json();
      const cli = (await runCli(['sessions', '--json', '--db', server.url])).stdout;
      expect(api).toEqual(
        cli
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      );
      const status = (await (await fetch(`${base}/api/status?since=1h&proxy=edge`)).json()) as {
        total_requests: number;
      };
      expect(status.total_requests).toBe(
        queryStatus(pgStore, { sinceMs: NOW - 60 * MIN, proxy: 'edge' }, NOW).total_requests,
      );
    } finally {
      ui.kill();
    }
    const stats = await runCli(['store', 'stats', '--db', server.url]);
    expect(stats.stdout).toContain('database   postgres://mcpr@127.0.0.1');
    expect(stats.stdout).not.toContain(server.password);
    const vacuum = await runCli(['store', 'vacuum', '--before', '30d', '--db', server.url]);
    expect(vacuum.code).toBe(1);
    expect(vacuum.stderr).toMatch(/vacuum deletes from a daemon's SQLite file/);
  });

  it('logs -f on PostgreSQL prints rows a daemon ships after it started, once each', async () => {
    const follow = spawn(
      process.execPath,
      [CLI, 'logs', '-f', '--json', '--tail', '0', '--db', server.url],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    follow.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const later = Array.from({ length: 30 }, (_, i) => ({
        kind: 'request',
        request_id: `later-${i}`,
        proxy: 'edge',
        method: 'tools/call',
        tool: 'search',
        latency_us: 1000 + i,
        status: 'ok',
        ts: Date.now(),
      }));
      const host = daemons[0] as DaemonProcess;
      await send(host, later.slice(0, 10));
      await new Promise((resolve) => setTimeout(resolve, 500));
      await send(host, later.slice(10));
      await caughtUp(host);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !stdout.includes('later-29')) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      follow.kill('SIGINT');
    }
    const printed = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { request_id: string }).request_id);
    expect(printed).toEqual(Array.from({ length: 30 }, (_, i) => `later-${i}`));
  });

  it('says what is wrong with an unreachable server or a wrong password, in one line, without it', async () => {
    const wrong = server.url.replace(server.password, 'N0t-the-password');
    const refused = await runCli(['status', '--json', '--db', wrong]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/refused the password for user "mcpr"/);
    expect(refused.stderr).not.toContain('N0t-the-password');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    const closed = server.url.replace(`:${server.port}/`, ':1/');
    const unreachable = await runCli(['logs', '--db', closed]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(
      /cannot connect to PostgreSQL at 127\.0\.0\.1:1: connection refused/,
    );
    const empty = await runCli(['status', '--db', server.url.replace(/\/postgres$/, '/template1')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no schema mcpr/);
  });
});
