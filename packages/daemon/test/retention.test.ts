// Retention in a real daemon: on a store mcpr wrote (its own DDL, old
// timestamps) it deletes exactly what the rule says and keeps every fresh
// acked event; a size bound holds while events keep coming; kill -9 in the
// middle of deleting loses nothing in the window and leaves a sound file.
import fs from 'node:fs';
import path from 'node:path';
import { type HealthReport, StoreClient } from '@mcpr-store/client';
import {
  buildSeedDatabase,
  buildStore,
  type DaemonProcess,
  fixtureRequest,
  queryStore,
  rollupsAgainstRows,
  runCli,
  startDaemon,
  tempDir,
} from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const DAY = 86_400_000;
const NOW = Date.now();
const daemons: DaemonProcess[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop('SIGKILL')));
});

async function started(args: string[], dir: string, dbPath: string): Promise<DaemonProcess> {
  const d = await startDaemon({ dir, dbPath, args });
  daemons.push(d);
  return d;
}

async function health(d: DaemonProcess): Promise<HealthReport> {
  const out = await runCli(['health', '--socket', d.socketPath, '--json']);
  return JSON.parse(out.stdout);
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const query = queryStore;

/** A store as mcpr writes it: its four migration steps, then its rows. */
function mcprStore(dbPath: string): void {
  const db = new Database(dbPath);
  buildSeedDatabase(db, 4);
  const request = db.prepare(
    `INSERT INTO requests (request_id, ts, proxy, session_id, method, tool, latency_us, status)
     VALUES (?, ?, 'mcpr-proxy', ?, 'tools/call', 'search', 1000, 'ok')`,
  );
  const session = db.prepare(
    `INSERT INTO sessions (session_id, proxy, started_at, last_seen_at, total_calls, total_errors)
     VALUES (?, 'mcpr-proxy', ?, ?, ?, 0)`,
  );
  request.run('old-40d', NOW - 40 * DAY, 'old-session');
  request.run('old-31d', NOW - 31 * DAY, 'mixed-session');
  request.run('kept-29d', NOW - 29 * DAY, 'mixed-session');
  request.run('kept-1d', NOW - DAY, 'new-session');
  session.run('old-session', NOW - 40 * DAY, NOW - 40 * DAY, 1);
  session.run('mixed-session', NOW - 31 * DAY, NOW - 29 * DAY, 2);
  session.run('new-session', NOW - DAY, NOW - DAY, 1);
  session.run('empty-old-session', NOW - 50 * DAY, NOW - 50 * DAY, 0);
  db.prepare(
    `INSERT INTO server_schema (proxy, upstream_url, method, payload, captured_at, schema_hash)
     VALUES ('mcpr-proxy', 'http://up', 'tools/list', '{"tools":[]}', ?, 'h')`,
  ).run(NOW - 60 * DAY);
  db.prepare(
    `INSERT INTO schema_changes (proxy, upstream_url, method, change_type, new_hash, detected_at)
     VALUES ('mcpr-proxy', 'http://up', 'tools/list', 'initial', 'h', ?)`,
  ).run(NOW - 60 * DAY);
  db.close();
}

/** A 30-day status from the rollups counts every call, error and extreme as --exact does. */
async function expectStatusAsExact(dbPath: string): Promise<void> {
  const status = async (...flags: string[]) => {
    const run = await runCli(['status', '--db', dbPath, '--since', '30d', '--json', ...flags]);
    expect(run.stderr).toBe('');
    return JSON.parse(run.stdout) as {
      total_requests: number;
      p95_us_estimated: boolean;
      tools: { label: string; calls: number; errors: number; min_us: number; max_us: number }[];
    };
  };
  const rolled = await status();
  const exact = await status('--exact');
  expect(rolled.p95_us_estimated).toBe(true);
  expect(exact.total_requests).toBeGreaterThan(0);
  expect(rolled.total_requests).toBe(exact.total_requests);
  const counts = (tools: typeof rolled.tools) =>
    tools.map(({ label, calls, errors, min_us, max_us }) => ({
      label,
      calls,
      errors,
      min_us,
      max_us,
    }));
  expect(counts(rolled.tools)).toEqual(counts(exact.tools));
}

describe('retention', () => {
  it('--retain deletes exactly what the rule says on an mcpr store and keeps every fresh event', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    mcprStore(dbPath);
    const d = await started(['--retain', '30d'], dir, dbPath);
    await until(async () => (await health(d)).retention?.last_run_at !== null, 'a retention round');
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'fresh' });
    for (let i = 0; i < 500; i += 1) {
      client.record({
        kind: 'request',
        method: 'tools/call',
        tool: 't',
        latency_us: i,
        status: 'ok',
      });
    }
    await client.close(10_000);
    expect(client.stats()).toMatchObject({ committed: 500, dropped: 0, rejected: 0 });

    const ids = query<{ request_id: string }>(
      dbPath,
      "SELECT request_id FROM requests WHERE proxy = 'mcpr-proxy' ORDER BY ts",
    );
    expect(ids.map((r) => r.request_id)).toEqual(['kept-29d', 'kept-1d']);
    expect(query(dbPath, "SELECT COUNT(*) AS n FROM requests WHERE proxy = 'fresh'")).toEqual([
      { n: 500 },
    ]);
    // A session goes once no request refers to it and it was last seen before the cutoff.
    expect(
      query<{ session_id: string }>(
        dbPath,
        'SELECT session_id FROM sessions ORDER BY session_id',
      ).map((s) => s.session_id),
    ).toEqual(['mixed-session', 'new-session']);
    // Its counters count what happened: deletes do not change them.
    expect(
      query(dbPath, "SELECT total_calls FROM sessions WHERE session_id = 'mixed-session'"),
    ).toEqual([{ total_calls: 2 }]);
    expect(query(dbPath, 'SELECT COUNT(*) AS n FROM schema_changes')).toEqual([{ n: 0 }]);
    expect(query(dbPath, 'SELECT COUNT(*) AS n FROM server_schema')).toEqual([{ n: 1 }]);
    const report = await health(d);
    expect(report.retention).toMatchObject({
      retain_ms: 30 * DAY,
      retain_bytes: 0,
      deleted_requests: 2,
      deleted_sessions: 2,
    });
    expect(report.retention.oldest_ts).toBe(NOW - 29 * DAY);
    expect(d.stderr()).toMatch(/"retention":"deletes requests older than 30 days"/);
  });

  it('--retain 0 keeps everything', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    mcprStore(dbPath);
    const d = await started(['--retain', '0'], dir, dbPath);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await health(d)).retention).toMatchObject({ retain_ms: 0, last_run_at: null });
    expect(query(dbPath, 'SELECT COUNT(*) AS n FROM requests')).toEqual([{ n: 4 }]);
  });

  it('--retain-bytes holds its bound while events keep coming', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    const bound = 1024 * 1024;
    const d = await started(
      ['--retain-bytes', '1MiB', '--retention-interval-ms', '100'],
      dir,
      dbPath,
    );
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'busy' });
    const sizes: number[] = [];
    let sent = 0;
    for (let round = 0; round < 30; round += 1) {
      for (let i = 0; i < 1000; i += 1) {
        client.record({
          kind: 'request',
          method: 'tools/call',
          tool: `tool-${i % 10}`,
          latency_us: i,
          status: i % 3 ? 'ok' : 'error',
          error_msg: i % 3 ? null : `failure ${round}-${i} `.repeat(8),
        });
        sent += 1;
      }
      await client.flush(20_000);
      await new Promise((resolve) => setTimeout(resolve, 150));
      sizes.push(fs.statSync(dbPath).size);
    }
    await client.close(10_000);
    expect(client.stats()).toMatchObject({ committed: sent, dropped: 0 });
    const report = await health(d);
    expect(report.retention.deleted_requests).toBeGreaterThan(0);
    // The newest events are kept; the oldest went.
    const kept = query<{ n: number }>(dbPath, 'SELECT COUNT(*) AS n FROM requests')[0]?.n as number;
    expect(kept).toBeLessThan(sent);
    expect(kept + report.retention.deleted_requests).toBe(sent);
    // Once reached, the file stays near the bound: its free pages are reused.
    const reached = sizes.findIndex((size) => size >= bound);
    expect(reached).toBeGreaterThanOrEqual(0);
    for (const size of sizes.slice(reached)) expect(size).toBeLessThan(bound * 1.5);
    // The size bound's deletes kept exact the rollups readers read, and dropped the rest.
    await d.stop();
    const { rolled, counted, stale } = rollupsAgainstRows(dbPath, { afterDeletes: true });
    expect(rolled).toEqual(counted);
    expect(stale).toBe(0);
    await expectStatusAsExact(dbPath);
  });

  it('kill -9 in the middle of deleting loses nothing in the window and leaves a sound file', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    buildStore(
      Array.from({ length: 40_000 }, (_, i) =>
        fixtureRequest({
          request_id: `old-${i}`,
          ts: NOW - 10 * DAY - i,
          session_id: `s-${i % 100}`,
        }),
      ).concat(
        Array.from({ length: 100 }, (_, i) =>
          fixtureRequest({ request_id: `new-${i}`, ts: NOW - 1000 - i }),
        ),
      ),
      dbPath,
    );
    const d = await started(['--retain', '1d'], dir, dbPath);
    await until(
      async () =>
        query<{ n: number }>(
          dbPath,
          "SELECT COUNT(*) AS n FROM requests WHERE request_id LIKE 'old-%'",
        )[0]?.n !== 40_000,
      'the first delete step',
    );
    await d.stop('SIGKILL');
    const db = new Database(dbPath);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(
      db.prepare("SELECT COUNT(*) AS n FROM requests WHERE request_id LIKE 'new-%'").get(),
    ).toEqual({ n: 100 });
    db.close();
    // A restart finishes the job.
    const again = await started(['--retain', '1d'], dir, dbPath);
    await until(
      async () =>
        query<{ n: number }>(
          dbPath,
          "SELECT COUNT(*) AS n FROM requests WHERE request_id LIKE 'old-%'",
        )[0]?.n === 0,
      'the rest of the deletes',
    );
    expect(
      query(dbPath, "SELECT COUNT(*) AS n FROM requests WHERE request_id LIKE 'new-%'"),
    ).toEqual([{ n: 100 }]);
    expect((await health(again)).status).toBe('ok');
    // The rollups count exactly what is left once the daemon stops cleanly.
    await again.stop();
    const { rolled, counted, stale } = rollupsAgainstRows(dbPath, { afterDeletes: true });
    expect(rolled).toEqual(counted);
    expect(stale).toBe(0);
    await expectStatusAsExact(dbPath);
  });

  it('refuses bad retention flags with exit 2, naming the flag, creating nothing', async () => {
    for (const [args, message] of [
      [['--retain', 'abc'], '--retain: "abc" is not a duration'],
      [['--retain-bytes', '-5'], '--retain-bytes: "-5" is not a size'],
      [['--retain-bytes', '5 parsecs'], '--retain-bytes: "5 parsecs" is not a size'],
      [
        ['--retain-bytes', '2GB', '--max-db-bytes', '1GB'],
        '--retain-bytes (2000000000) must be below --max-db-bytes (1000000000)',
      ],
    ] as const) {
      const dir = tempDir();
      const out = await runCli([
        'daemon',
        '--db',
        path.join(dir, 'store.db'),
        '--socket',
        path.join(dir, 's.sock'),
        ...args,
      ]);
      expect([args, out.code]).toEqual([args, 2]);
      expect(out.stderr).toContain(message);
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });

  it('store stats shows the running daemon`s policy; store vacuum asks before deleting everything', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    mcprStore(dbPath);
    const d = await started(['--retain', '7d'], dir, dbPath);
    await until(async () => (await health(d)).retention?.last_run_at !== null, 'a retention round');
    const stats = JSON.parse(
      (await runCli(['store', 'stats', '--db', dbPath, '--socket', d.socketPath, '--json'])).stdout,
    );
    expect(stats.retention).toMatchObject({ retain_ms: 7 * DAY, retain_bytes: 0 });
    expect(stats.oldest_ts).toBe(NOW - DAY);
    const text = await runCli(['store', 'stats', '--db', dbPath, '--socket', d.socketPath]);
    expect(text.stdout).toMatch(/retention {2}deletes requests older than 7d; 3 requests deleted/);
    await d.stop();

    // Everything, or a cutoff in the future: refused without a terminal, unless --yes.
    const all = await runCli(['store', 'vacuum', '--before', '1h', '--db', dbPath]);
    expect(all.code).toBe(1);
    expect(all.stderr).toMatch(
      /would delete every request \(1 requests and \d+ sessions\); run again with --yes/,
    );
    const future = await runCli(['store', 'vacuum', '--before', '2999-01-01', '--db', dbPath]);
    expect(future.stderr).toMatch(/is in the future; this would delete 1 requests/);
    expect(query(dbPath, 'SELECT COUNT(*) AS n FROM requests')).toEqual([{ n: 1 }]);
    const yes = await runCli([
      'store',
      'vacuum',
      '--before',
      '1h',
      '--yes',
      '--db',
      dbPath,
      '--json',
    ]);
    expect(JSON.parse(yes.stdout)).toMatchObject({ deleted_requests: 1, dry_run: false });
  });
});
