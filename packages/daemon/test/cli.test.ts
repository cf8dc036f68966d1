// The CLI as a real process: one test or more per command, the JSON shapes
// scripts rely on, and one clear line with exit code 1 for bad input.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type StoreEvent, validateEvent } from '@mcpr-store/protocol';
import { buildStore, CLI, runCli, tempDir } from '@mcpr-store/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyWriterPragmas, openWriteConnection } from '../src/db/connection.js';
import { TransactionWriter } from '../src/writer/transaction-writer.js';

const NOW = Date.now();
const MIN = 60_000;
let db: string;

function req(id: string, fields: Record<string, unknown> = {}) {
  return {
    kind: 'request',
    request_id: id,
    ts: NOW - MIN,
    proxy: 'edge',
    session_id: '0190aaaa-1111',
    method: 'tools/call',
    tool: 'search',
    latency_us: 1500,
    status: 'ok',
    bytes_in: 100,
    bytes_out: 2048,
    ...fields,
  };
}

beforeAll(() => {
  db = buildStore([
    {
      kind: 'session',
      session_id: '0190aaaa-1111',
      proxy: 'edge',
      started_at: NOW - 10 * MIN,
      client_name: 'claude-ai',
      client_version: '0.9',
      client_platform: 'claude',
    },
    {
      kind: 'session',
      session_id: '0190aaaa-2222',
      proxy: 'edge',
      started_at: NOW - 10 * MIN,
      client_name: 'Cursor',
      client_version: '1.0',
      client_platform: 'cursor',
    },
    req('a1'),
    req('a2', {
      status: 'error',
      error_code: '-32602',
      error_msg: 'bad arguments',
      latency_us: 900_000,
    }),
    req('a3', {
      session_id: '0190aaaa-2222',
      tool: 'fetch',
      latency_us: 2_500_000,
      ts: NOW - 2 * MIN,
    }),
    req('a4', { method: 'resources/read', tool: null, ts: NOW - 3 * MIN }),
    {
      kind: 'schema_version',
      ts: NOW - 5 * MIN,
      proxy: 'edge',
      upstream_url: 'http://upstream',
      method: 'initialize',
      payload: JSON.stringify({
        protocolVersion: '2025-06-18',
        serverInfo: { name: 'up', version: '3' },
        capabilities: { tools: {} },
      }),
    },
    {
      kind: 'schema_version',
      ts: NOW - 5 * MIN,
      proxy: 'edge',
      upstream_url: 'http://upstream',
      method: 'tools/list',
      payload: JSON.stringify({
        tools: [{ name: 'search' }, { name: 'fetch' }, { name: 'dusty' }],
      }),
    },
  ]);
});

const jsonLinesOf = (text: string) =>
  text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe('mcpr-store CLI', () => {
  it('logs: newest first, filters, JSON Lines with the reference field names', async () => {
    const out = await runCli(['logs', '--db', db, '--json']);
    expect(out.code).toBe(0);
    const rows = jsonLinesOf(out.stdout);
    // a1 and a2 share a millisecond: the later-stored row comes first.
    expect(rows.map((r) => r.request_id)).toEqual(['a2', 'a1', 'a3', 'a4']);
    for (const key of [
      'request_id',
      'ts',
      'method',
      'tool',
      'latency_us',
      'status',
      'error_code',
      'error_msg',
      'session_id',
      'bytes_in',
      'bytes_out',
    ]) {
      expect(rows[0]).toHaveProperty(key);
    }
    expect(rows[0]).not.toHaveProperty('id');
    const errors = jsonLinesOf(
      (await runCli(['logs', '--db', db, '--json', '--status', 'error'])).stdout,
    );
    expect(errors.map((r) => r.error_code)).toEqual(['-32602']);
    // JSON-RPC error codes are negative: the value may follow its flag as
    // the next argument or after an equals sign.
    for (const flag of [['--error-code', '-32602'], ['--error-code=-32602']]) {
      const byCode = await runCli(['logs', '--db', db, '--json', ...flag]);
      expect(byCode.stderr).toBe('');
      expect(jsonLinesOf(byCode.stdout).map((r) => r.request_id)).toEqual(['a2']);
    }
    const otherCode = await runCli(['logs', '--db', db, '--json', '--error-code', '-32600']);
    expect([otherCode.code, otherCode.stdout]).toEqual([0, '']);
    const bySession = jsonLinesOf(
      (await runCli(['logs', '--db', db, '--json', '--session', '0190aaaa-2'])).stdout,
    );
    expect(bySession.map((r) => r.request_id)).toEqual(['a3']);
    const tail = jsonLinesOf((await runCli(['logs', '--db', db, '--json', '--tail', '2'])).stdout);
    expect(tail).toHaveLength(2);
    const text = await runCli(['logs', '--db', db]);
    expect(text.stdout).toMatch(/TIME \(UTC[^)]*\)\s+PROXY\s+TOOL\/METHOD\s+STATUS\s+LATENCY/);
    expect(text.stdout).toContain('900.0ms');
    expect(text.stdout).toContain('2.50s');
    expect(text.stdout).toContain('2.0 KB');
    expect(text.stdout).not.toContain('\x1b[');
  });

  it('logs: says how to widen an empty result', async () => {
    const out = await runCli(['logs', '--db', db, '--tool', 'nothing']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(
      'no requests in the last 1h; widen the window with --since (e.g. --since 24h), or drop a filter\n',
    );
  });

  it('slow: at or above the threshold, slowest first', async () => {
    const rows = jsonLinesOf(
      (await runCli(['slow', '--db', db, '--json', '--threshold', '900ms'])).stdout,
    );
    expect(rows.map((r) => [r.request_id, r.latency_us])).toEqual([
      ['a3', 2_500_000],
      ['a2', 900_000],
    ]);
    const none = await runCli(['slow', '--db', db, '--threshold', '10s']);
    expect(none.stderr).toContain('no requests at or above 10.00s in the last 1h');
  });

  it('sessions, session and clients', async () => {
    const sessions = jsonLinesOf((await runCli(['sessions', '--db', db, '--json'])).stdout);
    expect(sessions.map((s) => [s.session_id, s.total_calls, s.total_errors, s.is_active])).toEqual(
      [
        ['0190aaaa-1111', 3, 1, true],
        ['0190aaaa-2222', 1, 0, true],
      ],
    );
    const detail = await runCli(['session', '0190aaaa-1', '--db', db, '--json']);
    expect(detail.code).toBe(0);
    const parsed = JSON.parse(detail.stdout);
    expect(parsed).toMatchObject({
      session_id: '0190aaaa-1111',
      client_platform: 'claude',
      total_calls: 3,
    });
    expect(parsed.requests.map((r: { request_id: string }) => r.request_id)).toEqual([
      'a4',
      'a1',
      'a2',
    ]);
    const pretty = await runCli(['session', '0190aaaa-2', '--db', db]);
    expect(pretty.stdout).toContain('client    Cursor 1.0 (cursor)');
    const clients = jsonLinesOf((await runCli(['clients', '--db', db, '--json'])).stdout);
    expect(clients[0]).toMatchObject({
      client_name: 'claude-ai',
      sessions: 1,
      total_calls: 3,
      total_errors: 1,
      error_pct: 100 / 3,
    });
  });

  it('session: not found and ambiguous prefixes exit 1 with one line', async () => {
    const missing = await runCli(['session', 'ffff', '--db', db]);
    expect(missing).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'mcpr-store: no session matches "ffff"\n',
    });
    const ambiguous = await runCli(['session', '0190aaaa', '--db', db]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toBe(
      'mcpr-store: "0190aaaa" matches several sessions: 0190aaaa-1111, 0190aaaa-2222; give more of the id\n',
    );
  });

  it('status: one JSON object with percentiles per tool and totals', async () => {
    const out = await runCli(['status', '--db', db, '--json']);
    const report = JSON.parse(out.stdout);
    // mcpr's keys first, in mcpr's order, then ours.
    expect(Object.keys(report).slice(0, 8)).toEqual([
      'proxy',
      'since',
      'total_requests',
      'error_pct',
      'active_sessions',
      'total_sessions',
      'running_proxies',
      'tools',
    ]);
    expect(report).toMatchObject({
      proxy: null,
      since: '1h',
      total_requests: 4,
      error_pct: 25,
      total_sessions: 2,
      active_sessions: 2,
      running_proxies: [],
    });
    expect(report.tools.find((t: { label: string }) => t.label === 'search')).toMatchObject({
      calls: 2,
      p50_us: 1500,
      p95_us: 900_000,
      p99_us: 900_000,
      error_pct: 50,
    });
    expect(report.tools.map((t: { label: string }) => t.label)).toContain('<resources/read>');
    const text = await runCli(['status', '--db', db]);
    expect(text.stdout).toMatch(/^STATUS — all proxies — last 1h\n/);
    expect(text.stdout).toMatch(
      /4 requests \([\d.]+\/min\), 25\.0% errors; 2 sessions started, 2 active/,
    );
  });

  it('status --compare and series, as JSON and as charts', async () => {
    const compared = JSON.parse(
      (await runCli(['status', '--compare', '--db', db, '--json'])).stdout,
    );
    expect(compared).toHaveProperty('total_requests_prev');
    expect(compared).toHaveProperty('error_codes');
    expect(compared).toHaveProperty('unknown_tools');
    expect(compared.tools[0]).toHaveProperty('calls_prev');
    const text = await runCli(['status', '--compare', '--db', db]);
    expect(text.stdout).toMatch(/the 1h before: \d+ requests/);
    expect(text.stdout).toMatch(/CALLS Δ/);
    const series = (
      await runCli(['series', '--since', '1h', '--bucket', '10m', '--db', db, '--json'])
    ).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(series.length).toBeGreaterThanOrEqual(6);
    expect(series.reduce((sum: number, r: { calls: number }) => sum + r.calls, 0)).toBe(4);
    const chart = await runCli(['series', '--since', '1h', '--db', db]);
    expect(chart.stdout).toMatch(/^SERIES — all proxies — last 1h, \d+ buckets of 60s\ncalls {3}/);
    // The footer gives the span the buckets cover, to the end of the last one.
    const tenMinutes = await runCli(['series', '--since', '1h', '--bucket', '10m', '--db', db]);
    const span = /from (\S+ \S+) to (\S+ \S+) \(/.exec(tenMinutes.stdout);
    const localMs = (text: string | undefined) => Date.parse(String(text).replace(' ', 'T'));
    expect(localMs(span?.[2]) - localMs(span?.[1])).toBe(series.length * 600_000);
    expect(localMs(span?.[1])).toBe(series[0].bucket_start);
  });

  it('status names the ten most called unknown tools and counts the rest; --json lists them all', async () => {
    const many = buildStore([
      {
        kind: 'schema_version',
        ts: NOW - 5 * MIN,
        proxy: 'edge',
        upstream_url: 'http://upstream',
        method: 'tools/list',
        payload: JSON.stringify({ tools: [{ name: 'search' }] }),
      },
      // made-up-0 is called 12 times, made-up-11 once.
      ...Array.from({ length: 12 }, (_, tool) =>
        Array.from({ length: 12 - tool }, (_, call) =>
          req(`made-${tool}-${call}`, { tool: `made-up-${tool}` }),
        ),
      ).flat(),
    ]);
    const human = await runCli(['status', '--db', many]);
    expect(human.code, human.stderr).toBe(0);
    const line = human.stdout
      .split('\n')
      .find((l) => l.startsWith('tools the server never listed:'));
    expect(line).toBe(
      `tools the server never listed: ${Array.from({ length: 10 }, (_, i) => `made-up-${i} ×${12 - i} (edge)`).join(', ')} and 2 more (--json lists them all)`,
    );
    const json = JSON.parse((await runCli(['status', '--db', many, '--json'])).stdout);
    expect(json.unknown_tools).toHaveLength(12);
  });

  it('wide windows come from the rollups unless --exact: the same counts, percentiles said to be estimated', async () => {
    const now = Date.now();
    const wide = buildStore(
      Array.from({ length: 400 }, (_, i) => ({
        kind: 'request',
        request_id: `wide-${i}`,
        ts: now - i * 6 * 60_000, // one every six minutes, 40 hours back
        proxy: 'edge',
        method: 'tools/call',
        tool: i % 2 ? 'search' : 'fetch',
        latency_us: 1000 + ((i * 7919) % 500_000),
        status: i % 9 ? 'ok' : 'error',
      })),
    );
    const json = async (args: string[]) => (await runCli([...args, '--db', wide, '--json'])).stdout;
    const rolled = JSON.parse(await json(['status', '--since', '2d']));
    const exact = JSON.parse(await json(['status', '--since', '2d', '--exact']));
    expect(rolled.p95_us_estimated).toBe(true);
    expect(exact.p95_us_estimated).toBe(false);
    expect(rolled.total_requests).toBe(400);
    expect(rolled.tools.map((t: { calls: number }) => t.calls)).toEqual(
      exact.tools.map((t: { calls: number }) => t.calls),
    );
    const lines = (text: string) =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
    const series = lines(await json(['series', '--since', '2d', '--bucket', '6h']));
    const seriesExact = lines(await json(['series', '--since', '2d', '--bucket', '6h', '--exact']));
    expect(series.every((r: { p95_us_estimated: boolean }) => r.p95_us_estimated)).toBe(true);
    expect(seriesExact.some((r: { p95_us_estimated: boolean }) => r.p95_us_estimated)).toBe(false);
    expect(series.map((r: { calls: number }) => r.calls)).toEqual(
      seriesExact.map((r: { calls: number }) => r.calls),
    );
  });

  it('schema, schema --changes and schema --unused', async () => {
    // mcpr's JSON Lines: one snapshot a line.
    const snapshots = jsonLinesOf((await runCli(['schema', '--db', db, '--json'])).stdout);
    expect(snapshots.map((s) => s.method)).toEqual(['initialize', 'tools/list']);
    for (const key of ['upstream_url', 'method', 'payload', 'captured_at', 'schema_hash']) {
      expect(snapshots[0]).toHaveProperty(key);
    }
    // A NAME is a proxy, as in mcpr; it wins over --proxy.
    const named = jsonLinesOf(
      (await runCli(['schema', 'edge', '--proxy', 'elsewhere', '--db', db, '--json'])).stdout,
    );
    expect(named).toHaveLength(2);
    const none = await runCli(['schema', 'elsewhere', '--db', db, '--json']);
    expect(none.stdout).toBe('');
    const changes = jsonLinesOf(
      (await runCli(['schema', '--changes', '--db', db, '--json'])).stdout,
    );
    expect(changes.map((c) => c.change_type)).toEqual(['initial', 'initial']);
    for (const key of [
      'upstream_url',
      'method',
      'change_type',
      'item_name',
      'old_hash',
      'new_hash',
      'detected_at',
    ]) {
      expect(changes[0]).toHaveProperty(key);
    }
    const unused = jsonLinesOf((await runCli(['schema', '--unused', '--db', db, '--json'])).stdout);
    expect(unused.map((u) => [u.tool_name, u.calls])).toEqual([
      ['dusty', 0],
      ['fetch', 1],
      ['search', 2],
    ]);
    const text = await runCli(['schema', '--db', db]);
    expect(text.stdout).toContain('http://upstream  [complete]');
    expect(text.stdout).toContain('3 tools: search, fetch, dusty');
  });

  it('store stats and store vacuum (dry run first)', async () => {
    const stats = JSON.parse((await runCli(['store', 'stats', '--db', db, '--json'])).stdout);
    expect(stats).toMatchObject({ total_requests: 4, total_sessions: 2, proxy_count: 1 });
    for (const key of ['oldest_ts', 'newest_ts', 'db_file_size', 'wal_file_size'])
      expect(stats).toHaveProperty(key);
    const copy = path.join(tempDir(), 'copy.db');
    fs.copyFileSync(db, copy);
    const dry = JSON.parse(
      (await runCli(['store', 'vacuum', '--before', '150s', '--dry-run', '--db', copy, '--json']))
        .stdout,
    );
    expect(dry).toMatchObject({ deleted_requests: 1, deleted_sessions: 0, dry_run: true });
    const real = JSON.parse(
      (await runCli(['store', 'vacuum', '--before', '150s', '--db', copy, '--json'])).stdout,
    );
    expect(real).toMatchObject({ deleted_requests: 1, deleted_sessions: 0, dry_run: false });
    const missing = await runCli(['store', 'vacuum', '--db', copy]);
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain('--before is required');
  });

  it('never creates a database on a read, and says so in one line', async () => {
    const absent = path.join(tempDir(), 'absent.db');
    for (const args of [
      ['logs'],
      ['slow'],
      ['sessions'],
      ['session', 'x'],
      ['clients'],
      ['status'],
      ['schema'],
      ['store', 'stats'],
      ['store', 'vacuum', '--before', '1d'],
    ]) {
      const out = await runCli([...args, '--db', absent]);
      expect({ args, code: out.code, stderr: out.stderr }).toEqual({
        args,
        code: 1,
        stderr: `mcpr-store: no database at ${absent} (start the daemon, or pass --db PATH or set MCPR_DB)\n`,
      });
    }
    expect(fs.existsSync(absent)).toBe(false);
  });

  it('rejects bad durations, thresholds, statuses and flags with exit code 1', async () => {
    const cases: [string[], string][] = [
      [['logs', '--since', '3 days'], '--since: "3 days" is not a duration'],
      [['slow', '--threshold', 'slowish'], '--threshold: "slowish" is not a latency'],
      [['logs', '--since', '-5m'], '--since: "-5m" is negative'],
      [['logs', '--tail', '-3'], '--tail: expected a whole number of 0 or more, got "-3"'],
      [['logs', '--tail', '-x'], "logs: Option '--tail' argument is ambiguous"],
      [['logs', '--colour'], "logs: Unknown option '--colour'"],
      [['frobnicate'], 'unknown command "frobnicate"'],
    ];
    for (const [args, message] of cases) {
      const out = await runCli([...args, '--db', db]);
      expect({ args, code: out.code }).toEqual({ args, code: 1 });
      expect(out.stderr).toContain(message);
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('MCPR_DB is the default database', async () => {
    const out = await runCli(['store', 'stats', '--json'], { MCPR_DB: db });
    expect(JSON.parse(out.stdout).total_requests).toBe(4);
  });

  it('logs -f follows new rows without missing or repeating rows that share a millisecond', async () => {
    const sameMs = Date.now();
    const expected: string[] = [];
    const rounds = Array.from({ length: 4 }, (_, round) =>
      Array.from({ length: 25 }, (_, i) => {
        const id = `f-${round}-${i}`;
        expected.push(id);
        return req(id, { ts: sameMs });
      }),
    );
    const stdout = await followWhileWriting(buildStore([req('seed-1')]), ['--json'], rounds);
    const ids = jsonLinesOf(stdout).map((r) => r.request_id);
    expect(ids).toEqual(['seed-1', ...expected]);
  });

  it('logs -f prints its header once and keeps new rows under it, even from an empty window', async () => {
    const rounds = [
      [req('wide', { proxy: 'a-proxy-with-a-long-name', tool: 'a_tool_with_a_long_name' })],
      [req('narrow', { proxy: 'p', tool: 't', status: 'error', error_code: '-1' })],
    ];
    const stdout = await followWhileWriting(buildStore([]), [], rounds);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    const [header, wide, narrow] = lines as [string, string, string];
    expect(header).toMatch(/^TIME \(UTC[^)]*\)\s+PROXY\s+TOOL\/METHOD\s+STATUS\s+LATENCY/);
    expect(wide).toContain('a-proxy-with-a-long-name');
    expect(narrow).toContain(' p ');
    // Each row's status starts under the header's STATUS.
    expect(wide.indexOf(' ok ') + 1).toBe(header.indexOf('STATUS'));
    expect(narrow.indexOf(' error ') + 1).toBe(header.indexOf('STATUS'));
  });
});

/**
 * Runs `logs -f` on `file` with `flags`, writes each round of events into
 * the store as the daemon's writer would, 300 ms apart, then stops it with
 * SIGINT; returns what it printed.
 */
async function followWhileWriting(
  file: string,
  flags: string[],
  rounds: Record<string, unknown>[][],
): Promise<string> {
  const proc = spawn(process.execPath, [CLI, 'logs', '-f', ...flags, '--db', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  await new Promise((r) => setTimeout(r, 700));
  const writer = openWriteConnection(file);
  applyWriterPragmas(writer);
  const batchWriter = new TransactionWriter(writer);
  const valid = (raw: Record<string, unknown>): StoreEvent => {
    const result = validateEvent(raw);
    if (!result.ok) throw new Error(result.reason);
    return result.event;
  };
  for (const round of rounds) {
    batchWriter.write(round.map(valid));
    await new Promise((r) => setTimeout(r, 300));
  }
  writer.close();
  await new Promise((r) => setTimeout(r, 800));
  proc.kill('SIGINT');
  const code = await new Promise((resolve) => proc.on('exit', resolve));
  expect(code).toBe(0);
  return stdout;
}
