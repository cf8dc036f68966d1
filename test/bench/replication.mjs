#!/usr/bin/env node
// Replication to PostgreSQL in the bench harness, against a durable
// throwaway server on this machine (Debian's, fsync on):
//  1. steady: client processes send at full speed for --minutes while the
//     daemon ships; the lag is sampled every second (bounded, or growing?);
//  2. outage: the server stops while clients send for --outage-seconds; once
//     it is back (clients stopped), the backlog's shipping rate against the
//     ingest rate. With --outage-rate, clients send that many events a
//     second (all together) instead, and go on sending at that rate while
//     the backlog ships, as a fleet's proxies do;
//  3. with --big-db: a daemon on a copy of that store ships it all from the
//     start (the catch-up rate at scale), then `status --since 24h --json`
//     as whole processes on PostgreSQL and on the SQLite file, beside the
//     CLI's own start-up.
// Asserts nothing.
//
//   node test/bench/replication.mjs [--minutes 2] [--outage-seconds 60]
//        [--outage-rate EVENTS_PER_S] [--clients 4] [--big-db PATH] [--out FILE]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startPostgres } from '../../packages/test-utils/src/postgres-server.mjs';
import { median } from './median.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../packages/daemon/bin/mcpr-store.js');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    'outage-seconds': { type: 'string', default: '60' },
    'outage-rate': { type: 'string', default: '0' },
    clients: { type: 'string', default: '4' },
    'big-db': { type: 'string' },
    out: { type: 'string' },
  },
});
const CLIENTS = Number(values.clients);
/** Events each client sends per round of the steady phase. */
const ROUND_EVENTS = 50_000;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-replication-'));

function run(args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      ...options,
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${args[1]} exited ${code}`)),
    );
  });
}

/** Health as the daemon reports it (the command exits 1 while degraded, with the report all the same). */
function health(socket) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'health', '--socket', socket, '--json'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('exit', () => resolve(JSON.parse(out || '{}')));
  });
}

async function startDaemon(name, db, url, extra = []) {
  const socket = path.join(work, `${name}.sock`);
  const daemon = spawn(
    process.execPath,
    [
      CLI,
      'daemon',
      '--db',
      db,
      '--socket',
      socket,
      '--retain',
      '0',
      '--replicate-to',
      url,
      ...extra,
    ],
    { stdio: 'ignore' },
  );
  while (!fs.existsSync(socket)) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  return { daemon, socket };
}

async function stopDaemon({ daemon }) {
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
}

/** Clients send `perClient` events each at full speed; returns events/s. */
async function ingest(socket, perClient) {
  const runs = await Promise.all(
    Array.from({ length: CLIENTS }, () =>
      run([path.join(HERE, 'bench-client.mjs'), socket, String(perClient), '100']).then(JSON.parse),
    ),
  );
  const seconds =
    (Math.max(...runs.map((r) => r.ended_at_ms)) - Math.min(...runs.map((r) => r.started_at_ms))) /
    1000;
  return { events: perClient * CLIENTS, seconds };
}

/**
 * Clients send `ratePerS` events a second together for `seconds`, or until
 * stopped; `done` resolves with the events and seconds the clients report.
 */
function pacedIngest(socket, ratePerS, seconds) {
  const perClientRate = ratePerS / CLIENTS;
  const children = [];
  const runs = Array.from({ length: CLIENTS }, () => {
    const args = [
      path.join(HERE, 'bench-client.mjs'),
      socket,
      String(Math.round(perClientRate * seconds)),
      '100',
      '0',
      '',
      'fixed',
      String(perClientRate),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    return new Promise((resolve) => child.on('exit', () => resolve(out ? JSON.parse(out) : null)));
  });
  const startedAt = Date.now();
  return {
    done: Promise.all(runs).then((reports) => {
      const finished = reports.filter((r) => r !== null);
      return {
        events: finished.reduce((sum, r) => sum + r.count, 0),
        seconds: (Date.now() - startedAt) / 1000,
      };
    }),
    stop: () => {
      for (const child of children) child.kill('SIGTERM');
    },
  };
}

/** Rounds of ingest at full speed until `ms` have passed. */
async function ingestFor(socket, ms) {
  const endAt = Date.now() + ms;
  let events = 0;
  let seconds = 0;
  while (Date.now() < endAt) {
    const round = await ingest(socket, ROUND_EVENTS);
    events += round.events;
    seconds += round.seconds;
  }
  return { events, seconds };
}

/** Waits until PostgreSQL has every row; returns the seconds it took. */
async function untilShipped(socket, timeoutS = 3600) {
  const started = Date.now();
  for (;;) {
    const h = await health(socket);
    if (h.replication?.lag_rows === 0 && h.replication.last_shipped_at !== null) break;
    if (Date.now() - started > timeoutS * 1000) throw new Error('shipping never caught up');
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - started) / 1000;
}

const results = {};
const server = await startPostgres({ durable: true });
try {
  // 1. Steady.
  {
    const url = server.url;
    const d = await startDaemon('steady', path.join(work, 'steady.db'), url);
    const samples = [];
    const sampler = setInterval(async () => {
      const h = await health(d.socket);
      if (h.replication) samples.push({ at_s: samples.length, lag_rows: h.replication.lag_rows });
    }, 1000);
    const { events, seconds } = await ingestFor(d.socket, Number(values.minutes) * 60_000);
    clearInterval(sampler);
    const drain_s = await untilShipped(d.socket);
    await stopDaemon(d);
    const lags = samples.map((s) => s.lag_rows);
    const quarter = (q) => lags[Math.min(lags.length - 1, Math.floor((q * lags.length) / 4))];
    results.steady = {
      minutes: Number(values.minutes),
      events,
      ingest_events_per_s: Math.round(events / seconds),
      lag_rows_max: Math.max(...lags),
      lag_rows_median: median(lags),
      lag_rows_by_quarter: [quarter(1), quarter(2), quarter(3), quarter(4) ?? lags.at(-1)],
      drain_after_ingest_s: +drain_s.toFixed(1),
    };
    process.stdout.write(`${JSON.stringify({ steady: results.steady })}\n`);
  }
  // 2. Outage.
  {
    const d = await startDaemon('outage', path.join(work, 'outage.db'), server.url);
    await ingest(d.socket, 10_000);
    await untilShipped(d.socket);
    server.pause();
    const outageS = Number(values['outage-seconds']);
    const ratePerS = Number(values['outage-rate']);
    const { events, seconds } =
      ratePerS > 0
        ? await pacedIngest(d.socket, ratePerS, outageS).done
        : await ingestFor(d.socket, outageS * 1000);
    const ingestRate = events / seconds;
    const before = (await health(d.socket)).replication;
    const backlog = before.lag_rows;
    // Paced, the fleet goes on sending while the backlog ships.
    const during = ratePerS > 0 ? pacedIngest(d.socket, ratePerS, 4 * outageS) : null;
    server.resume();
    // Timed from the first shipment after the outage: the shipper first
    // waits out its backoff (at most 10 s), which is not shipping speed.
    const resumedAt = Date.now();
    let first;
    for (;;) {
      first = (await health(d.socket)).replication;
      if (first.shipped.requests > before.shipped.requests) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const firstAt = Date.now();
    const backoff_s = (firstAt - resumedAt) / 1000;
    // Caught up: the lag is what a second of the fleet's traffic adds.
    let last;
    for (;;) {
      last = (await health(d.socket)).replication;
      if (last.lag_rows <= Math.max(ratePerS, 0)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const catchUp = (Date.now() - firstAt) / 1000;
    const shipRate = (last.shipped.requests - first.shipped.requests) / catchUp;
    if (during) {
      during.stop();
      await during.done;
    }
    await stopDaemon(d);
    results.outage = {
      outage_s: outageS,
      backlog_rows: backlog,
      ingest_events_per_s: Math.round(ingestRate),
      ingest_during_catch_up: during !== null,
      backoff_wait_s: +backoff_s.toFixed(1),
      catch_up_s: +catchUp.toFixed(1),
      catch_up_rows_per_s: Math.round(shipRate),
      ratio_to_ingest: +(shipRate / ingestRate).toFixed(2),
    };
    process.stdout.write(`${JSON.stringify({ outage: results.outage })}\n`);
  }
  // 3. A big store, shipped from its first row; then status on both.
  if (values['big-db']) {
    const db = path.join(work, 'big.db');
    fs.copyFileSync(values['big-db'], db);
    const url = server.url.replace(/\/postgres$/, '/big');
    await run([
      '-e',
      `const pg=require('pg');const c=new pg.Client(${JSON.stringify(server.url)});c.connect().then(()=>c.query('CREATE DATABASE big')).then(()=>c.end())`,
    ]);
    const d = await startDaemon('big', db, url);
    const rows = (await health(d.socket)).replication.lag_rows;
    const shipped_s = await untilShipped(d.socket);
    await stopDaemon(d);
    const timed = async (args) => {
      const times = [];
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        await run([CLI, ...args]);
        times.push(performance.now() - started);
      }
      return Math.round(median(times));
    };
    results.big = {
      rows,
      ship_s: Math.round(shipped_s),
      ship_rows_per_s: Math.round(rows / shipped_s),
      cli_start_ms: await timed(['--version']),
      status_24h_postgres_ms: await timed(['status', '--since', '24h', '--json', '--db', url]),
      status_24h_sqlite_ms: await timed(['status', '--since', '24h', '--json', '--db', db]),
      status_1h_postgres_ms: await timed(['status', '--json', '--db', url]),
      logs_postgres_ms: await timed(['logs', '--json', '--db', url]),
    };
    process.stdout.write(`${JSON.stringify({ big: results.big })}\n`);
  }
} finally {
  server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
if (values.out) fs.writeFileSync(values.out, JSON.stringify(results, null, 2));
