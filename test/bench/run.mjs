#!/usr/bin/env node
// The benchmark harness (`npm run bench`, `npm run bench -- --quick`).
// Everything is measured in one run on the same machine, and every figure
// that matters is a ratio to a baseline measured in that same run: the
// machine is shared and noisy, absolute times are not. It asserts nothing
// about speed; --quick runs the same code on small numbers so it cannot rot.
//
//   node test/bench/run.mjs [--quick] [--out FILE] [--big-db PATH]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';

const { uuidv7 } = await import('../../packages/client/dist/index.js');

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const CLI = path.join(ROOT, 'packages/daemon/bin/mcpr-store.js');

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'big-db': { type: 'string' },
    events: { type: 'string' },
    only: { type: 'string' },
  },
});
const QUICK = values.quick;

if (!fs.existsSync(path.join(ROOT, 'packages/daemon/dist/bundle/mcpr-store.js'))) {
  process.stderr.write('bench: run `npm run build` first\n');
  process.exit(1);
}
const { applyWriterPragmas, openWriteConnection } = await import(
  '../../packages/daemon/dist/db/connection.js'
);
const { migrate } = await import('../../packages/daemon/dist/db/migrate.js');
const { TransactionWriter } = await import(
  '../../packages/daemon/dist/writer/transaction-writer.js'
);
const { DEFAULT_OPTIONS } = await import('../../packages/daemon/dist/server/daemon.js');
const { measureQueries } = await import('./query-timings.mjs');
const { measureUi } = await import('./ui-timings.mjs');
const { median } = await import('./median.mjs');

const SIZES = QUICK
  ? {
      sqliteEvents: 20_000,
      perEventEvents: 2_000,
      e2eEvents: 20_000,
      clients: [1, 4, 16],
      recordCalls: 100_000,
      busySeconds: 1,
      latencySeconds: 2,
      overloadSeconds: 3,
      queryRequests: 20_000,
      querySessions: 400,
      metricsEvents: 20_000,
    }
  : {
      sqliteEvents: 500_000,
      perEventEvents: 20_000,
      e2eEvents: 500_000,
      clients: [1, 4, 16],
      recordCalls: 2_000_000,
      busySeconds: 5,
      latencySeconds: 20,
      overloadSeconds: 30,
      queryRequests: 1_000_000,
      querySessions: 20_000,
      metricsEvents: 400_000,
    };
if (values.events) {
  SIZES.sqliteEvents = Number(values.events);
  SIZES.e2eEvents = Number(values.events);
}
/** --only sqlite,e2e,proxy,latency,overload,metrics,queries,ui runs a subset (ui needs queries' store). */
const ONLY = new Set(
  (values.only ?? 'sqlite,e2e,proxy,latency,overload,metrics,queries,ui').split(','),
);
/** The fleet the metrics section labels: proxies x tools, each tool within the default budget. */
const METRICS_PROXIES = 5;
const METRICS_TOOLS = 200;
const SCRAPES = 11;
const SESSIONS = 100;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-bench-'));
const report = {
  machine: machineInfo(),
  quick: QUICK,
  daemon_transaction_max_events: DEFAULT_OPTIONS.transactionMaxEvents,
  results: {},
};

function machineInfo() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

function log(line) {
  process.stderr.write(`bench: ${line}\n`);
}

function events(count) {
  return Array.from({ length: count }, (_, i) => ({
    kind: 'request',
    request_id: uuidv7(),
    ts: Date.now(),
    proxy: 'bench',
    session_id: `s-${i % SESSIONS}`,
    method: 'tools/call',
    tool: i % 3 === 0 ? 'search' : 'fetch',
    latency_us: i % 100_000,
    status: i % 20 === 0 ? 'error' : 'ok',
    error_code: null,
    error_msg: null,
    bytes_in: 200,
    bytes_out: 4000,
  }));
}

/**
 * Writes `count` generated events on a fresh file with the daemon's pragmas
 * and schema, `batchSize` at a time through the function `prepare` makes for
 * the connection; times the writing alone.
 */
function timedWrites(name, count, batchSize, prepare) {
  const file = path.join(work, `${name}-${batchSize}-${Date.now()}.db`);
  const db = openWriteConnection(file);
  applyWriterPragmas(db);
  migrate(db, 'bench');
  const writeBatch = prepare(db);
  const rows = events(count);
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += batchSize) writeBatch(rows.slice(i, i + batchSize));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  db.close();
  fs.rmSync(file, { force: true });
  return { events: count, batch: batchSize, seconds, events_per_s: Math.round(count / seconds) };
}

/** better-sqlite3 alone: the seed's INSERT plus the session counter UPDATE per event. */
function sqliteOnly(count, batchSize) {
  return timedWrites('sqlite', count, batchSize, (db) => {
    const insertSession = db.prepare(
      "INSERT INTO sessions (session_id, proxy, started_at, last_seen_at) VALUES (?, 'bench', 0, 0)",
    );
    for (let i = 0; i < SESSIONS; i += 1) insertSession.run(`s-${i}`);
    const insert =
      db.prepare(`INSERT INTO requests (request_id, ts, proxy, session_id, method, tool, latency_us, status,
    error_code, error_msg, bytes_in, bytes_out) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)`);
    const counters =
      db.prepare(`UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?1), total_calls = total_calls + 1,
    total_errors = total_errors + ?2 WHERE session_id = ?3`);
    return db.transaction((rows) => {
      for (const e of rows) {
        insert.run({
          1: e.request_id,
          2: e.ts,
          3: e.proxy,
          4: e.session_id,
          5: e.method,
          6: e.tool,
          7: e.latency_us,
          8: e.status,
          9: e.error_code,
          10: e.error_msg,
          11: e.bytes_in,
          12: e.bytes_out,
        });
        counters.run({ 1: e.ts, 2: e.status === 'ok' ? 0 : 1, 3: e.session_id });
      }
    });
  });
}

/**
 * The daemon's own writer (TransactionWriter) in this process, on the same events
 * and batches as the ceiling: no socket, no threads, nothing decoded. The
 * end-to-end runs over this figure are what the daemon costs on top of its
 * writer; the ceiling is what SQLite takes from the seed's statements.
 */
function writerOnly(count, batchSize) {
  return timedWrites('writer', count, batchSize, (db) => {
    const writer = new TransactionWriter(db);
    return (rows) => writer.write(rows);
  });
}

/** Every child still running; none outlives the harness, even when a measurement fails. */
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** `spawn`, with the child kept in `children` until it exits. */
function spawnChild(command, args, options) {
  const child = spawn(command, args, options);
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function spawnJson(args) {
  return new Promise((resolve, reject) => {
    const proc = spawnChild(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (c) => (out += c));
    proc.stderr.on('data', (c) => (err += c));
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

async function startDaemon(name, extra = []) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const socket = path.join(dir, 's.sock');
  const db = path.join(dir, 'store.db');
  // Started the way an operator starts it: through the launcher and its Node flags.
  const proc = spawnChild(
    CLI,
    ['daemon', '--db', db, '--socket', socket, '--log-level', 'warn', ...extra],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr += c));
  const deadline = Date.now() + 20_000;
  while (!fs.existsSync(socket)) {
    if (proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`daemon did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const peakRssBytes = () => {
    try {
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    } catch {
      return 0;
    }
  };
  return { socket, db, proc, stop: () => stopped(proc), peakRssBytes };
}

/** Sends SIGTERM to `proc`; resolves with its exit code. */
function stopped(proc) {
  return new Promise((resolve) => {
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

/** The instant-ack peer (instant-ack-peer.mjs) on a socket of its own. */
async function startInstantAckPeer() {
  const dir = path.join(work, 'instant-ack-peer');
  fs.mkdirSync(dir);
  const socket = path.join(dir, 's.sock');
  const proc = spawnChild(process.execPath, [path.join(HERE, 'instant-ack-peer.mjs'), socket], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    proc.stdout.once('data', resolve);
    proc.once('exit', (code) => reject(new Error(`instant-ack peer exited with ${code}`)));
  });
  return { socket, stop: () => stopped(proc) };
}

function countRows(file) {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) AS n FROM requests').get().n;
  } finally {
    db.close();
  }
}

async function endToEnd(clients, total) {
  const daemon = await startDaemon(`e2e-${clients}`);
  const share = Math.floor(total / clients);
  // The clients share the ceiling's sessions between them, so the daemon
  // writes the same rows and counters as the ceiling did.
  const sessionsEach = String(Math.max(1, Math.round(SESSIONS / clients)));
  const runs = await Promise.all(
    Array.from({ length: clients }, () =>
      spawnJson([path.join(HERE, 'bench-client.mjs'), daemon.socket, String(share), sessionsEach]),
    ),
  );
  const first = Math.min(...runs.map((r) => r.started_at_ms));
  const last = Math.max(...runs.map((r) => r.ended_at_ms));
  const seconds = (last - first) / 1000;
  await daemon.stop();
  const stored = countRows(daemon.db);
  return {
    clients,
    events: share * clients,
    stored,
    seconds,
    events_per_s: Math.round((share * clients) / seconds),
    daemon_peak_rss_mb: Math.round(daemon.peakRssBytes() / 2 ** 20),
  };
}

/** A TCP port free on loopback. */
function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** GET /metrics as Prometheus does it: the bytes in full, decoded once at the end. */
function scrape(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics' }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      })
      .on('error', reject);
  });
}

/**
 * Ingest with the metrics listener off and on, alternating, from one client
 * process per proxy, each calling METRICS_TOOLS tools; after each "on" run,
 * the scrape of the series that fleet made (median of SCRAPES).
 */
async function metricsCost(total) {
  const runs = [];
  // Off and on alternate (off-on, on-off, ...: a drift of the machine's
  // speed during the run weighs on both alike) and the medians compare: one
  // pair moves by more than the cost being measured on a 2-core machine.
  for (let round = 0; round < (QUICK ? 1 : 4); round += 1) {
    for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
      const port = on ? await freePort() : 0;
      const daemon = await startDaemon(
        `metrics-${round}-${on ? 'on' : 'off'}`,
        on ? ['--metrics-listen', `127.0.0.1:${port}`] : [],
      );
      const share = Math.floor(total / METRICS_PROXIES);
      const clients = await Promise.all(
        Array.from({ length: METRICS_PROXIES }, (_, p) =>
          spawnJson([
            path.join(HERE, 'bench-client.mjs'),
            daemon.socket,
            String(share),
            String(SESSIONS),
            String(METRICS_TOOLS),
            `proxy-${p}`,
          ]),
        ),
      );
      const seconds =
        (Math.max(...clients.map((r) => r.ended_at_ms)) -
          Math.min(...clients.map((r) => r.started_at_ms))) /
        1000;
      const run = { metrics: on, events: share * METRICS_PROXIES, events_per_s: 0 };
      run.events_per_s = Math.round(run.events / seconds);
      if (on) {
        const scrapesMs = [];
        let text = '';
        for (let i = 0; i < SCRAPES; i += 1) {
          const started = performance.now();
          text = await scrape(port);
          scrapesMs.push(performance.now() - started);
        }
        run.first_scrape_ms = Math.round(scrapesMs[0] * 10) / 10;
        run.scrape_ms = Math.round(median(scrapesMs.slice(1)) * 10) / 10;
        run.series = text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
        run.scrape_bytes = Buffer.byteLength(text);
      }
      await daemon.stop();
      runs.push(run);
    }
  }
  const rate = (on) => median(runs.filter((r) => r.metrics === on).map((r) => r.events_per_s));
  return {
    proxies: METRICS_PROXIES,
    tools_per_proxy: METRICS_TOOLS,
    runs,
    ratio_on_to_off: Math.round((rate(true) / rate(false)) * 100) / 100,
  };
}

async function overload(seconds, ceilingPerS) {
  const daemon = await startDaemon('overload');
  const clients = 4;
  // More than the writer can take in `seconds`: the daemon must push back, not buffer.
  const share = Math.ceil((ceilingPerS * seconds * 1.5) / clients);
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, daemon.peakRssBytes());
  }, 100);
  const runs = await Promise.all(
    Array.from({ length: clients }, () =>
      spawnJson([
        path.join(HERE, 'bench-client.mjs'),
        daemon.socket,
        String(share),
        String(SESSIONS),
      ]),
    ),
  );
  clearInterval(sampler);
  peak = Math.max(peak, daemon.peakRssBytes());
  await daemon.stop();
  const committed = runs.reduce((sum, r) => sum + r.committed, 0);
  const stored = countRows(daemon.db);
  return {
    clients,
    events: share * clients,
    acked: committed,
    stored,
    lost_acked: Math.max(0, committed - stored),
    daemon_peak_rss_mb: Math.round(peak / 2 ** 20),
    seconds: Math.max(...runs.map((r) => r.seconds)),
  };
}

async function main() {
  log(`work dir ${work}${QUICK ? ' (quick)' : ''}`);
  const batch = DEFAULT_OPTIONS.transactionMaxEvents;
  // The ceiling is always measured: every other figure is a ratio to it.
  log(`sqlite alone, transactions of ${batch}`);
  const ceiling = sqliteOnly(SIZES.sqliteEvents, batch);
  report.results.sqlite = { ceiling };
  if (ONLY.has('sqlite')) {
    log('sqlite alone, transactions of 500 (mcpr)');
    report.results.sqlite.mcpr_batching = sqliteOnly(SIZES.sqliteEvents, 500);
    log('sqlite alone, one transaction per event');
    report.results.sqlite.per_event = sqliteOnly(SIZES.perEventEvents, 1);
  }
  const mcpr = report.results.sqlite.mcpr_batching;
  if (ONLY.has('e2e')) {
    log(`the daemon's writer alone, in this process, batches of ${batch}`);
    report.results.sqlite.writer_alone = writerOnly(SIZES.sqliteEvents, batch);
  }
  const writerAlone = report.results.sqlite.writer_alone;

  if (ONLY.has('e2e')) {
    report.results.end_to_end = [];
    for (const clients of SIZES.clients) {
      log(`end to end, ${clients} client processes`);
      const run = await endToEnd(clients, SIZES.e2eEvents);
      run.ratio_to_ceiling = Math.round((run.events_per_s / ceiling.events_per_s) * 100) / 100;
      if (mcpr) run.ratio_to_mcpr = Math.round((run.events_per_s / mcpr.events_per_s) * 100) / 100;
      run.ratio_to_writer_alone =
        Math.round((run.events_per_s / writerAlone.events_per_s) * 100) / 100;
      report.results.end_to_end.push(run);
    }
  }

  if (ONLY.has('proxy')) {
    log('proxy side: record() cost and event-loop delay');
    const side = await startDaemon('proxy-side');
    const peer = await startInstantAckPeer();
    report.results.proxy_side = await spawnJson([
      path.join(HERE, 'proxy-side.mjs'),
      side.socket,
      String(SIZES.recordCalls),
      String(SIZES.busySeconds),
      peer.socket,
    ]);
    await peer.stop();
    await side.stop();
  }

  if (ONLY.has('latency')) {
    const halfCeiling = Math.round(ceiling.events_per_s / 2);
    log(`record-to-ack latency at ${halfCeiling} events/s`);
    const steady = await startDaemon('latency');
    report.results.ack_latency = await spawnJson([
      path.join(HERE, 'ack-latency.mjs'),
      steady.socket,
      String(halfCeiling),
      String(SIZES.latencySeconds),
    ]);
    await steady.stop();
  }

  if (ONLY.has('overload')) {
    log(`overload for about ${SIZES.overloadSeconds} s`);
    report.results.overload = await overload(SIZES.overloadSeconds, ceiling.events_per_s);
  }

  if (ONLY.has('metrics')) {
    log(`metrics off and on, ${METRICS_PROXIES} proxies x ${METRICS_TOOLS} tools`);
    report.results.metrics = await metricsCost(SIZES.metricsEvents);
  }

  if (ONLY.has('queries')) {
    let bigDb = values['big-db'];
    if (!bigDb || !fs.existsSync(bigDb)) {
      bigDb = bigDb ?? path.join(work, 'queries.db');
      log(`building a store of ${SIZES.queryRequests} requests for the queries`);
      await spawnJson([
        path.join(HERE, 'make-fixture-db.mjs'),
        '--db',
        bigDb,
        '--requests',
        String(SIZES.queryRequests),
        '--sessions',
        String(SIZES.querySessions),
      ]);
    }
    log('queries');
    report.results.queries = {
      requests: SIZES.queryRequests,
      rows: measureQueries(bigDb, QUICK ? 2 : 5),
    };
    if (ONLY.has('ui')) {
      log('web dashboard');
      report.results.ui = await measureUi(bigDb, QUICK ? 2 : 5);
    }
  }

  printReport();
  const out =
    values.out ??
    path.join(
      ROOT,
      'bench-results',
      `report-${QUICK ? 'quick-' : ''}${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    );
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  log(`report written to ${out}`);
  fs.rmSync(work, { recursive: true, force: true });
}

function printReport() {
  const r = report.results;
  const lines = [];
  const row = (a, b, c = '') => lines.push(`${a.padEnd(44)} ${String(b).padStart(16)}  ${c}`);
  const ratio = (x) => (x / r.sqlite.ceiling.events_per_s).toFixed(2);
  lines.push(
    `mcpr-store benchmark${QUICK ? ' (quick: small numbers, figures not meaningful)' : ''}`,
  );
  lines.push(
    `${report.machine.cpus} cores, ${report.machine.memory_gib} GiB, ${report.machine.cpu_model}, Node ${report.machine.node}`,
  );
  lines.push('');
  row('what', 'figure', 'ratio');
  row(
    `sqlite alone, batches of ${r.sqlite.ceiling.batch} (ceiling)`,
    `${r.sqlite.ceiling.events_per_s} ev/s`,
    '1.00',
  );
  if (r.sqlite.mcpr_batching)
    row(
      'sqlite alone, batches of 500 (mcpr)',
      `${r.sqlite.mcpr_batching.events_per_s} ev/s`,
      ratio(r.sqlite.mcpr_batching.events_per_s),
    );
  if (r.sqlite.per_event)
    row(
      'sqlite alone, one transaction per event',
      `${r.sqlite.per_event.events_per_s} ev/s`,
      ratio(r.sqlite.per_event.events_per_s),
    );
  if (r.sqlite.writer_alone)
    row(
      `our writer alone, batches of ${r.sqlite.writer_alone.batch}`,
      `${r.sqlite.writer_alone.events_per_s} ev/s`,
      ratio(r.sqlite.writer_alone.events_per_s),
    );
  for (const run of r.end_to_end ?? []) {
    const vsMcpr = run.ratio_to_mcpr === undefined ? '' : `, ${run.ratio_to_mcpr.toFixed(2)}x mcpr`;
    row(
      `end to end, ${run.clients} client process(es)`,
      `${run.events_per_s} ev/s`,
      `${run.ratio_to_ceiling.toFixed(2)} of ceiling${vsMcpr}, ${run.ratio_to_writer_alone.toFixed(2)} of our writer alone; stored ${run.stored}/${run.events}`,
    );
  }
  if (r.proxy_side) {
    const p = r.proxy_side;
    const spread = (rounds) => `rounds ${Math.min(...rounds)} to ${Math.max(...rounds)} ns`;
    row(
      'record() amortised: CPU / wall',
      `${Math.round(p.record_cpu_ns)} / ${Math.round(p.record_ns)} ns`,
      `CPU ${spread(p.record_cpu_ns_rounds)}; the call alone ${Math.round(p.record_call_ns)} ns`,
    );
    if (p.record_cpu_ns_instant_ack !== null) {
      row(
        'record() CPU, peer acking at once (no daemon)',
        `${Math.round(p.record_cpu_ns_instant_ack)} ns`,
        `the client alone; ${spread(p.record_cpu_ns_instant_ack_rounds)}`,
      );
    }
    row(
      'record() heap allocated per event',
      `${Math.round(p.record_heap_bytes)} bytes`,
      `beyond the event object itself (${Math.round(p.make_event_heap_bytes)} bytes)`,
    );
    row(
      'busy loop p99 delay without / with recording',
      `${p.loop_p99_ms_without.toFixed(2)} / ${p.loop_p99_ms_with.toFixed(2)} ms`,
      `+${(p.loop_p99_ms_with - p.loop_p99_ms_without).toFixed(2)} ms (medians of pairs ${p.loop_p99_ms_pairs
        .map(([off, on]) => `${off.toFixed(2)}/${on.toFixed(2)}`)
        .join(', ')})`,
    );
  }
  if (r.ack_latency)
    row(
      `record-to-ack at ${r.ack_latency.rate} ev/s p50 / p99`,
      `${r.ack_latency.p50_ms?.toFixed(1)} / ${r.ack_latency.p99_ms?.toFixed(1)} ms`,
      `achieved ${Math.round(r.ack_latency.achieved_rate)} ev/s`,
    );
  if (r.overload)
    row(
      'overload: daemon peak RSS',
      `${r.overload.daemon_peak_rss_mb} MB`,
      `${r.overload.events} sent, ${r.overload.acked} acked, ${r.overload.lost_acked} acked but missing`,
    );
  if (r.metrics) {
    const m = r.metrics;
    const on = m.runs.filter((run) => run.metrics);
    row(
      'ingest, metrics on / off',
      `${m.ratio_on_to_off.toFixed(2)}x`,
      m.runs.map((run) => `${run.metrics ? 'on' : 'off'} ${run.events_per_s}`).join(', '),
    );
    row(
      `scrape, ${m.proxies} proxies x ${m.tools_per_proxy} tools`,
      `${on.map((run) => run.scrape_ms).join(' / ')} ms`,
      `${on[0]?.series} series, ${Math.round((on[0]?.scrape_bytes ?? 0) / 1024)} KiB; first ${on.map((run) => run.first_scrape_ms).join(' / ')} ms`,
    );
  }
  if (r.queries) {
    lines.push('');
    lines.push(
      `queries on ${r.queries.requests} requests (median ms: query / whole CLI process, past a --version just before it)`,
    );
    for (const q of r.queries.rows) {
      row(
        `  ${q.command}`,
        `${q.query_ms} / ${q.cli_ms ?? '-'}${q.cli_past_startup_ms === null ? '' : ` (+${q.cli_past_startup_ms})`}`,
      );
    }
  }
  if (r.ui) {
    lines.push('');
    lines.push(
      `web dashboard on the same store: each screen's data for the last ${r.ui.window} (median ms)`,
    );
    for (const sc of r.ui.screens) row(`  ${sc.screen}`, `${sc.ms} ms`, `${sc.requests} requests`);
    if (r.ui.page) {
      const p = r.ui.page;
      row(
        `  ${p.rows} log rows in Chromium`,
        `${p.load_ms} ms`,
        `frame ${p.frame_ms_median} ms median, ${p.frame_ms_p95} ms p95 while scrolling; ${p.rows_in_dom} rows in the DOM`,
      );
      row(
        `  uPlot, ${p.chart_points} points x 3`,
        `${p.chart_draw_ms} ms`,
        `redraw ${p.chart_redraw_ms} ms`,
      );
    }
  }

  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
