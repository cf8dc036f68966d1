#!/usr/bin/env node
// Times every query command on a large store, two ways: the query itself
// (in process, median of repeated runs on an open connection) and the whole
// `mcpr-store` process as an operator runs it (median wall time, Node's own
// start-up included). Prints a table and returns the rows for the harness.
// With --write-beside, a daemon owns the store while it runs (it brings the
// rollups up to date at open) and a client sends that many events a second
// to it from one of the store's proxies, as a fleet does while an operator
// asks; the commands find that daemon at their default socket
// ($MCPR_STORE_SOCKET), so those it answers are timed as it answers them.
//
// Each whole process is run right after `mcpr-store --version`, and the
// median of their differences is reported beside it (`past start-up`): the
// machine's speed drifts between commands more than a target's margin, and
// a difference taken a moment apart does not carry that drift.
//
//   node test/bench/query-timings.mjs --db PATH [--runs 5] [--cli-runs 3] [--write-beside EVENTS_PER_S]

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  defaultBucketMs,
  openReadConnection,
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
} from '../../packages/query/dist/index.js';
import { median } from './median.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../packages/daemon/bin/mcpr-store.js');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function timeMs(fn) {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function measureQueries(
  dbPath,
  runs = 5,
  cliEnv = process.env,
  cliRuns = Math.min(runs, 3),
) {
  const db = openReadConnection(dbPath);
  // Read afresh before each query (below), as a new CLI process does: with a
  // writer beside, a window ending at a time now past would read the rows
  // written since inside its last half-hour one by one.
  let now = Date.now();
  const someSession = querySessions(db, { sinceMs: 0 }, 1, now)[0]?.session_id ?? 'none';
  const cases = [
    ['logs', () => queryLogs(db, { sinceMs: now - HOUR }, 50), ['logs']],
    [
      'logs --proxy proxy-1',
      () => queryLogs(db, { sinceMs: now - HOUR, proxy: 'proxy-1' }, 50),
      ['logs', '--proxy', 'proxy-1'],
    ],
    [
      'logs --tool search --since 7d',
      () => queryLogs(db, { sinceMs: now - 7 * DAY, tool: 'search' }, 50),
      ['logs', '--tool', 'search', '--since', '7d'],
    ],
    [
      'logs --status error',
      () => queryLogs(db, { sinceMs: now - HOUR, status: 'error' }, 50),
      ['logs', '--status', 'error'],
    ],
    [
      'logs --session PREFIX',
      () => queryLogs(db, { session: someSession.slice(0, 12) }, 50),
      ['logs', '--session', someSession.slice(0, 12)],
    ],
    ['slow', () => querySlow(db, { sinceMs: now - HOUR, thresholdUs: 500_000 }, 20), ['slow']],
    [
      'slow --since 7d --proxy proxy-1',
      () => querySlow(db, { sinceMs: now - 7 * DAY, thresholdUs: 500_000, proxy: 'proxy-1' }, 20),
      ['slow', '--since', '7d', '--proxy', 'proxy-1'],
    ],
    ['sessions', () => querySessions(db, { sinceMs: now - HOUR }, 50, now), ['sessions']],
    [
      'sessions --active',
      () => querySessions(db, { sinceMs: now - HOUR, active: true }, 50, now),
      ['sessions', '--active'],
    ],
    ['session ID', () => querySession(db, someSession, now), ['session', someSession]],
    ['clients', () => queryClients(db, { sinceMs: now - 7 * DAY }), ['clients']],
    ['status', () => queryStatus(db, { sinceMs: now - HOUR }, now), ['status']],
    [
      'status --since 1d',
      () => queryStatus(db, { sinceMs: now - DAY }, now),
      ['status', '--since', '1d'],
    ],
    [
      'status --since 7d',
      () => queryStatus(db, { sinceMs: now - 7 * DAY }, now),
      ['status', '--since', '7d'],
    ],
    [
      'status --since 30d',
      () => queryStatus(db, { sinceMs: now - 30 * DAY }, now),
      ['status', '--since', '30d'],
    ],
    [
      'status --compare --since 7d',
      () => queryStatus(db, { sinceMs: now - 7 * DAY, compare: true }, now),
      ['status', '--compare', '--since', '7d'],
    ],
    [
      'series',
      () => querySeries(db, { sinceMs: now - DAY, bucketMs: defaultBucketMs(DAY) }, now),
      ['series'],
    ],
    [
      'series --since 30d',
      () => querySeries(db, { sinceMs: now - 30 * DAY, bucketMs: defaultBucketMs(30 * DAY) }, now),
      ['series', '--since', '30d'],
    ],
    ['schema', () => querySchema(db, {}), ['schema']],
    ['schema --changes', () => querySchemaChanges(db, {}, 50), ['schema', '--changes']],
    [
      'schema --unused',
      () => queryUnusedTools(db, { sinceMs: now - 7 * DAY }),
      ['schema', '--unused'],
    ],
    ['store stats', () => queryStoreStats(db, dbPath), ['store', 'stats']],
  ];
  // Baselines of the same run: the full scans the rollups stand in for, and
  // the two floors (Node starting the CLI; SQLite counting a window's rows
  // through idx_requests_ts). Each full scan runs once: they take seconds.
  const countWindow = (days) =>
    db
      .prepare('SELECT COUNT(*) FROM requests INDEXED BY idx_requests_ts WHERE ts >= ?')
      .pluck()
      .get(now - days * DAY);
  const baselines = [
    ['floor: CLI start-up (--version)', () => 0, ['--version'], { noDb: true }],
    ['floor: count 7d of rows by ts', () => countWindow(7), null],
    // status --compare --since 7d reads two weeks: the window and the one before.
    ['floor: count 14d of rows by ts', () => countWindow(14), null],
    ['floor: count 30d of rows by ts', () => countWindow(30), null],
    [
      'full scan: status --since 7d --exact',
      () => queryStatus(db, { sinceMs: now - 7 * DAY, exact: true }, now),
      ['status', '--since', '7d', '--exact'],
      { once: true },
    ],
    [
      'full scan: status --since 30d --exact',
      () => queryStatus(db, { sinceMs: now - 30 * DAY, exact: true }, now),
      ['status', '--since', '30d', '--exact'],
      { once: true },
    ],
    [
      'full scan: series --since 30d --exact',
      () =>
        querySeries(
          db,
          { sinceMs: now - 30 * DAY, bucketMs: defaultBucketMs(30 * DAY), exact: true },
          now,
        ),
      ['series', '--since', '30d', '--exact'],
      { once: true },
    ],
  ];
  const rows = [];
  for (const [name, query, args, how = {}] of [...cases, ...baselines]) {
    const times = how.once ? 1 : runs;
    const timed = () => {
      now = Date.now();
      query();
    };
    if (!how.once) timed(); // warm the page cache, as an operator's second look would be
    const queryMs = median(Array.from({ length: times }, () => timeMs(timed)));
    const cliArgs = args === null ? null : how.noDb ? args : [...args, '--db', dbPath, '--json'];
    const cli = cliArgs === null ? null : timeCli(cliArgs, how.once ? 1 : cliRuns, cliEnv);
    rows.push({
      command: name,
      query_ms: Math.round(queryMs * 10) / 10,
      cli_ms: cli === null ? null : Math.round(cli.ms),
      cli_past_startup_ms: cli === null ? null : Math.round(cli.pastStartupMs),
    });
  }
  db.close();
  return rows;
}

/** One run of the CLI with `args`, in ms; throws when it fails. */
function cliRunMs(args, env) {
  return timeMs(() => {
    const out = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env });
    if (out.status !== 0) throw new Error(`${args.join(' ')} failed: ${out.stderr}`);
  });
}

/** The median of `runs` whole processes, and of each one's time past a `--version` run just before it. */
function timeCli(args, runs, env) {
  const times = [];
  const pastStartup = [];
  for (let i = 0; i < runs; i += 1) {
    const startupMs = cliRunMs(['--version'], env);
    const ms = cliRunMs(args, env);
    times.push(ms);
    pastStartup.push(ms - startupMs);
  }
  return { ms: median(times), pastStartupMs: median(pastStartup) };
}

/**
 * A daemon on the store (keeping every row: --retain 0) and a client sending
 * `ratePerS` events a second as `proxy`; resolves once the client is
 * connected. `stop` ends both.
 */
async function writeBeside(dbPath, ratePerS, proxy) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-timings-'));
  const socket = path.join(dir, 'store.sock');
  const daemon = spawn(
    process.execPath,
    [CLI, 'daemon', '--db', dbPath, '--socket', socket, '--retain', '0'],
    { stdio: 'ignore' },
  );
  while (!fs.existsSync(socket)) {
    if (daemon.exitCode !== null) throw new Error(`the daemon exited ${daemon.exitCode}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const client = spawn(
    process.execPath,
    [
      path.join(HERE, 'bench-client.mjs'),
      socket,
      String(ratePerS * 3600),
      '1000',
      '20',
      proxy,
      'random',
      String(ratePerS),
    ],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 2000));
  return {
    socket,
    stop: async () => {
      client.kill('SIGTERM');
      daemon.kill('SIGTERM');
      await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      runs: { type: 'string', default: '5' },
      'cli-runs': { type: 'string', default: '3' },
      'write-beside': { type: 'string', default: '0' },
    },
  });
  if (!values.db) {
    process.stderr.write(
      'usage: query-timings.mjs --db PATH [--runs N] [--cli-runs N] [--write-beside EVENTS_PER_S]\n',
    );
    process.exit(1);
  }
  const ratePerS = Number(values['write-beside']);
  const writer = ratePerS > 0 ? await writeBeside(values.db, ratePerS, 'proxy-1') : null;
  let rows;
  try {
    // The commands find the daemon as an operator's do, at their default socket.
    const cliEnv =
      writer === null ? process.env : { ...process.env, MCPR_STORE_SOCKET: writer.socket };
    rows = measureQueries(values.db, Number(values.runs), cliEnv, Number(values['cli-runs']));
  } finally {
    await writer?.stop();
  }
  const width = Math.max(...rows.map((r) => r.command.length));
  process.stdout.write(`${'command'.padEnd(width)}  query ms  cli ms  past start-up\n`);
  for (const row of rows) {
    process.stdout.write(
      `${row.command.padEnd(width)}  ${String(row.query_ms).padStart(8)}  ${String(row.cli_ms ?? '-').padStart(6)}  ${String(row.cli_past_startup_ms ?? '-').padStart(13)}\n`,
    );
  }
}
