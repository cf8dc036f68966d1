// Replication to a real PostgreSQL server (Debian's, started throwaway):
// every committed row arrives column by column with the counters SQLite
// holds; an outage in the middle of ingest, and a kill -9 in the middle of
// a shipment, end with every row there exactly once; retention keeps what
// is not shipped; bad URLs and wrong passwords are said clearly and never
// with the password, while ingest goes on.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StoreClient } from '@mcpr-store/client';
import type { HealthReport } from '@mcpr-store/protocol';
import {
  agedStoreEvents,
  buildStore,
  type DaemonProcess,
  type PostgresServer,
  queryStore,
  runCli,
  startDaemon,
  startPostgres,
  tempDir,
} from '@mcpr-store/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let server: PostgresServer;
const daemons: DaemonProcess[] = [];

beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop('SIGKILL')));
  server?.stop();
});

/** A database of its own on the shared server, so tests do not see each other's rows. */
async function freshDatabase(): Promise<string> {
  const name = `t_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return server.url.replace(/\/postgres$/, `/${name}`);
}

async function pgRows<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

async function health(d: DaemonProcess): Promise<HealthReport> {
  const { stdout } = await runCli(['health', '--json', '--socket', d.socketPath]);
  return JSON.parse(stdout) as HealthReport;
}

/** Waits until `check` holds of the daemon's health (or fails with the last one seen). */
async function healthUntil(
  d: DaemonProcess,
  check: (h: HealthReport) => boolean,
  timeoutMs = 20_000,
): Promise<HealthReport> {
  const deadline = Date.now() + timeoutMs;
  let last: HealthReport | null = null;
  while (Date.now() < deadline) {
    last = await health(d);
    if (check(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`health never matched: ${JSON.stringify(last?.replication)}\n${d.stderr()}`);
}

const caughtUp = (h: HealthReport) =>
  h.replication !== null && h.replication.lag_rows === 0 && h.replication.last_shipped_at !== null;

// bigint columns arrive as numbers, as SQLite's integers do (every value here is well below 2^53).
pg.types.setTypeParser(pg.types.builtins.INT8, Number);

async function sendRequests(socketPath: string, count: number, prefix: string): Promise<void> {
  const client = new StoreClient({ socketPath, proxy: 'edge' });
  for (let i = 0; i < count; i += 1) {
    client.record({
      kind: 'request',
      request_id: `${prefix}-${i}`,
      session_id: `${prefix}-s${i % 7}`,
      method: 'tools/call',
      tool: `tool_${i % 5}`,
      latency_us: 1000 + i,
      status: i % 10 === 0 ? 'error' : 'ok',
      error_code: i % 10 === 0 ? '-32603' : null,
    } as never);
  }
  await client.close(30_000);
  expect(client.stats()).toMatchObject({ committed: count, rejected: 0 });
}

const REQUEST_COLUMNS =
  'request_id, ts, proxy, session_id, method, tool, latency_us, status, error_code, error_msg, bytes_in, bytes_out';
const SESSION_COLUMNS =
  'session_id, proxy, started_at, last_seen_at, ended_at, client_name, client_version, client_platform, total_calls, total_errors';

describe('replication to PostgreSQL', () => {
  it('copies every committed row column by column, with the counters SQLite holds', async () => {
    const url = await freshDatabase();
    const d = await startDaemon({ args: ['--replicate-to', url] });
    daemons.push(d);
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'edge' });
    const now = Date.now();
    client.record({
      kind: 'session',
      session_id: 's-1',
      client_name: 'claude-ai',
      client_version: '0.9',
      client_platform: 'claude',
    });
    client.record({ kind: 'session', session_id: 's-2', client_name: 'cursor' });
    const odd = "tab\there, new\nline, back\\slash, quote', nul\u0000, ünïcödé 🎉";
    for (let i = 0; i < 50; i += 1) {
      client.record({
        kind: 'request',
        request_id: `req-${i}`,
        ts: now - 1000 + i,
        session_id: i % 2 === 0 ? 's-1' : 's-2',
        method: i % 9 === 0 ? 'tools/list' : 'tools/call',
        tool: i % 9 === 0 ? null : `tool-${i % 4}`,
        latency_us: 100 * i,
        status: i % 7 === 0 ? 'error' : i % 11 === 0 ? 'timeout' : 'ok',
        error_code: i % 7 === 0 ? '-32602' : null,
        error_msg: i % 7 === 0 ? odd : null,
        bytes_in: i,
        bytes_out: i % 3 === 0 ? null : 10 * i,
      } as never);
    }
    client.record({ kind: 'session_closed', session_id: 's-2', ended_at: now });
    const tools = (names: string[]) =>
      JSON.stringify({ tools: names.map((name) => ({ name, inputSchema: { type: 'object' } })) });
    client.record({
      kind: 'schema_version',
      upstream_url: 'http://up.example',
      method: 'tools/list',
      payload: tools(['a', 'b']),
      ts: now - 500,
    } as never);
    client.record({
      kind: 'schema_version',
      upstream_url: 'http://up.example',
      method: 'tools/list',
      payload: tools(['a', 'c']),
      ts: now,
    } as never);
    await client.close(10_000);
    await healthUntil(d, (h) => caughtUp(h) && (h.replication?.shipped.schema_changes ?? 0) > 0);

    const localRequests = queryStore<Record<string, unknown>>(
      d.dbPath,
      `SELECT ${REQUEST_COLUMNS}, id AS origin_id FROM requests ORDER BY request_id`,
    );
    const shippedRequests = await pgRows(
      url,
      `SELECT ${REQUEST_COLUMNS}, origin_id FROM mcpr.requests ORDER BY request_id COLLATE "C"`,
    );
    expect(localRequests).toHaveLength(50);
    // PostgreSQL text cannot hold U+0000: it arrives as U+FFFD, the rest unchanged.
    const expected = localRequests.map((row) => ({
      ...row,
      error_msg:
        typeof row.error_msg === 'string'
          ? row.error_msg.replace('\u0000', '\uFFFD')
          : row.error_msg,
    }));
    expect(shippedRequests).toEqual(expected);

    // Counters and times as SQLite holds them, closes included.
    const sessions = `SELECT ${SESSION_COLUMNS} FROM sessions ORDER BY session_id`;
    expect(await pgRows(url, sessions.replace('FROM sessions', 'FROM mcpr.sessions'))).toEqual(
      queryStore(d.dbPath, sessions),
    );
    const snapshots =
      'SELECT proxy, upstream_url, method, payload, captured_at, schema_hash FROM server_schema ORDER BY method';
    expect(
      await pgRows(url, snapshots.replace('FROM server_schema', 'FROM mcpr.server_schema')),
    ).toEqual(queryStore(d.dbPath, snapshots));
    const changes =
      'SELECT proxy, upstream_url, method, change_type, item_name, old_hash, new_hash, detected_at FROM schema_changes ORDER BY detected_at, change_type, item_name';
    const localChanges = queryStore(d.dbPath, changes);
    expect(localChanges.length).toBeGreaterThan(1);
    expect(
      await pgRows(
        url,
        `${changes.replace('FROM schema_changes', 'FROM mcpr.schema_changes')} COLLATE "C"`,
      ),
    ).toEqual(localChanges);

    // The cursor PostgreSQL committed is in the file.
    const meta = Object.fromEntries(
      queryStore<{ key: string; value: string }>(
        d.dbPath,
        "SELECT key, value FROM meta WHERE key LIKE 'mcpr_store_replication%'",
      ).map((r) => [r.key, r.value]),
    );
    expect(meta.mcpr_store_replication_target).toBe(url.replace(/:[^:@/]+@/, '@'));
    expect(Number(meta.mcpr_store_replication_requests_id)).toBe(
      Math.max(...localRequests.map((r) => r.origin_id as number)),
    );
  }, 60_000);

  it('ends an outage in the middle of ingest with every row exactly once', async () => {
    const url = await freshDatabase();
    const d = await startDaemon({ args: ['--replicate-to', url] });
    daemons.push(d);
    await sendRequests(d.socketPath, 2000, 'before');
    await healthUntil(d, caughtUp);
    server.pause();
    const pausedAt = Date.now();
    try {
      // Acked while PostgreSQL is gone: ingest never waits on it. In 20
      // transactions over a few seconds, each of which tells the shipper.
      for (let round = 0; round < 20; round += 1) {
        await sendRequests(d.socketPath, 150, `during-${round}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const down = await healthUntil(
        d,
        (h) => h.replication?.connected === false && h.replication.lag_rows === 3000,
      );
      expect(down.status).toBe('degraded');
      expect(down.replication?.last_error?.message).toMatch(/connection refused|cannot connect/);
      expect(down.replication?.lag_ms).toBeGreaterThan(0);
      // Retried with backoff, not at every commit (there were dozens meanwhile).
      const outageS = (Date.now() - pausedAt) / 1000;
      expect(down.replication?.failures).toBeLessThanOrEqual(4 + outageS / 2);
      // Between retries the lag still follows the rows: right after the
      // fourth or a later retry the next is at least 4 s away, and the lag
      // counts 500 more rows well before then, with no retry between.
      let retried = down;
      for (;;) {
        const seen = retried.replication?.failures ?? 0;
        retried = await healthUntil(d, (h) => (h.replication?.failures ?? 0) > seen, 30_000);
        if ((retried.replication?.failures ?? 0) >= 4) break;
      }
      await sendRequests(d.socketPath, 500, 'between-retries');
      const followed = await healthUntil(d, (h) => h.replication?.lag_rows === 3500, 3_000);
      expect(followed.replication?.failures).toBe(retried.replication?.failures);
    } finally {
      server.resume();
    }
    await sendRequests(d.socketPath, 1000, 'after');
    const up = await healthUntil(
      d,
      (h) => caughtUp(h) && h.replication?.connected === true,
      60_000,
    );
    expect(up.status).toBe('ok');
    const [counted] = await pgRows<{ rows: number; distinct: number }>(
      url,
      'SELECT count(*) AS rows, count(DISTINCT request_id) AS distinct FROM mcpr.requests',
    );
    expect(counted).toEqual({ rows: 6500, distinct: 6500 });
  }, 120_000);

  it('after kill -9 in the middle of shipping, a restart ships the rest exactly once', async () => {
    const url = await freshDatabase();
    const dir = tempDir();
    const d = await startDaemon({ dir, args: ['--replicate-to', url] });
    daemons.push(d);
    await sendRequests(d.socketPath, 30_000, 'bulk');
    // Killed with rows shipped and rows left.
    await healthUntil(d, (h) => (h.replication?.shipped.requests ?? 0) > 0, 30_000);
    await d.stop('SIGKILL');
    const again = await startDaemon({ dir, args: ['--replicate-to', url] });
    daemons.push(again);
    await healthUntil(again, caughtUp, 60_000);
    const local = queryStore<{ n: number }>(again.dbPath, 'SELECT COUNT(*) AS n FROM requests')[0]
      ?.n;
    expect(local).toBe(30_000);
    const [counted] = await pgRows<{ rows: number; distinct: number }>(
      url,
      'SELECT count(*) AS rows, count(DISTINCT request_id) AS distinct FROM mcpr.requests',
    );
    expect(counted).toEqual({ rows: 30_000, distinct: 30_000 });
    const [sessions] = await pgRows<{ calls: string }>(
      url,
      'SELECT sum(total_calls) AS calls FROM mcpr.sessions',
    );
    expect(Number(sessions?.calls)).toBe(30_000);
  }, 120_000);

  it('stores a request another store already shipped once, and the rest of its shipment', async () => {
    const url = await freshDatabase();
    const first = await startDaemon({ args: ['--replicate-to', url] });
    daemons.push(first);
    await sendRequests(first.socketPath, 500, 'shared');
    await healthUntil(first, caughtUp);
    // A second host received the same 500 requests and 300 of its own, in one shipment.
    const second = await startDaemon({ args: ['--replicate-to', url] });
    daemons.push(second);
    await sendRequests(second.socketPath, 500, 'shared');
    await sendRequests(second.socketPath, 300, 'own');
    await healthUntil(second, caughtUp);
    const [counted] = await pgRows<{ rows: number; distinct: number }>(
      url,
      'SELECT count(*) AS rows, count(DISTINCT request_id) AS distinct FROM mcpr.requests',
    );
    expect(counted).toEqual({ rows: 800, distinct: 800 });
    const origins = await pgRows<{ origin: string; n: number }>(
      url,
      "SELECT origin, count(*) AS n FROM mcpr.requests WHERE request_id LIKE 'own-%' GROUP BY origin",
    );
    expect(origins).toHaveLength(1);
    expect(origins[0]?.n).toBe(300);
  }, 60_000);

  it('keeps rows retention would delete until PostgreSQL has them', async () => {
    const url = await freshDatabase();
    const dir = tempDir();
    const dbPath = buildStore(agedStoreEvents(), path.join(dir, 'store.db'));
    server.pause();
    let d: DaemonProcess;
    try {
      d = await startDaemon({
        dir,
        dbPath,
        args: ['--replicate-to', url, '--retain', '30d', '--retention-interval-ms', '200'],
      });
      daemons.push(d);
      const held = await healthUntil(d, (h) => h.replication?.holding_retention === true);
      expect(held.retention.deleted_requests).toBe(0);
      expect(held.reasons.join(' ')).toMatch(/retention is keeping rows/);
      expect(queryStore(dbPath, 'SELECT request_id FROM requests')).toHaveLength(5);
    } finally {
      server.resume();
    }
    const done = await healthUntil(
      d,
      (h) => caughtUp(h) && h.retention.deleted_requests === 3 && !h.replication?.holding_retention,
      60_000,
    );
    expect(done.retention.deleted_requests).toBe(3);
    expect(queryStore(dbPath, 'SELECT request_id FROM requests')).toHaveLength(2);
    // PostgreSQL keeps every row it was sent: retention is the local store's.
    expect(await pgRows(url, 'SELECT request_id FROM mcpr.requests')).toHaveLength(5);
  }, 90_000);

  it('says what is wrong with a bad URL or a wrong password, never the password, and ingest goes on', async () => {
    const dir = tempDir();
    const bad = await runCli([
      'daemon',
      '--db',
      path.join(dir, 'x.db'),
      '--replicate-to',
      'mysql://u:pw@h/db',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--replicate-to: expected a URL that starts with postgres:\/\//);
    expect(bad.stderr).not.toContain(':pw@');
    expect(fs.existsSync(path.join(dir, 'x.db'))).toBe(false);
    const fromEnv = await runCli(['daemon', '--db', path.join(dir, 'y.db')], {
      MCPR_REPLICATE_URL: 'postgres://',
    });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toMatch(/MCPR_REPLICATE_URL: the URL names no host/);

    const secret = 'Wr0ng-s3cret';
    const wrong = server.url.replace(`:${server.password}@`, `:${secret}@`);
    const d = await startDaemon({ args: ['--replicate-to', wrong] });
    daemons.push(d);
    await sendRequests(d.socketPath, 100, 'wrongpw');
    const h = await healthUntil(d, (x) => x.replication?.last_error !== null);
    expect(h.replication?.last_error?.message).toMatch(/refused the password for user "mcpr"/);
    expect(h.replication?.target).toBe(wrong.replace(`:${secret}@`, '@'));
    expect(h.committed).toBe(100);
    expect(JSON.stringify(h)).not.toContain(secret);
    expect(d.stderr()).not.toContain(secret);
    const cmdline = fs.readFileSync(`/proc/${d.proc.pid}/cmdline`, 'utf8');
    expect(cmdline).toContain('--replicate-to');
    expect(cmdline).not.toContain(secret);
    const ps = execFileSync('ps', ['-o', 'args=', '-p', String(d.proc.pid)]).toString();
    expect(ps).not.toContain(secret);

    // The password from PGPASSWORD instead of the URL.
    const bare = server.url.replace(`:${server.password}@`, '@');
    const withEnv = await startDaemon({
      args: ['--replicate-to', bare],
      env: { PGPASSWORD: server.password },
    });
    daemons.push(withEnv);
    await sendRequests(withEnv.socketPath, 10, 'pgpassword');
    await healthUntil(withEnv, caughtUp);

    // ... or from a password file (~/.pgpass, here named by PGPASSFILE), which must be 0600.
    const passFile = path.join(tempDir(), 'pgpass');
    fs.writeFileSync(passFile, `127.0.0.1:${server.port}:*:${server.user}:${server.password}\n`, {
      mode: 0o600,
    });
    const withFile = await startDaemon({
      args: ['--replicate-to', bare],
      env: { PGPASSFILE: passFile },
    });
    daemons.push(withFile);
    await sendRequests(withFile.socketPath, 10, 'pgpassfile');
    await healthUntil(withFile, caughtUp);
  }, 60_000);
});
