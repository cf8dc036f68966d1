#!/usr/bin/env node
// Retention under load, in the bench harness: on copies of one big store,
// a daemon takes the same ingest with retention off, with a size bound set
// to the store's size (so it deletes as fast as events arrive), and with an
// age limit that leaves a backlog of old rows to delete while events
// arrive. Figures are ratios to the run without retention, measured in the
// same run; the file's size is sampled to show it flat under the bound.
// With --rate, the clients send that many events a second together, as a
// fleet does, from the store's own proxies with latencies scattered as the
// store's are (so deletes and inserts both land all over the latency
// index): what a daemon sustains beside retention, and its commit p99.
// Asserts nothing about speed.
//
//   node test/bench/retention.mjs --big-db PATH [--events 400000] [--clients 4]
//        [--rounds 2] [--retain 30d] [--rate EVENTS_PER_S] [--modes bytes,age] [--out FILE]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { outputOf } from './child-output.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.resolve(HERE, '../../packages/daemon/bin/mcpr-store.js');
const { values } = parseArgs({
  options: {
    'big-db': { type: 'string' },
    events: { type: 'string', default: '400000' },
    clients: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    retain: { type: 'string', default: '30d' },
    rate: { type: 'string', default: '0' },
    // The runs beside the one without retention: bytes (a size bound), age (--retain).
    modes: { type: 'string', default: 'bytes,age' },
    out: { type: 'string' },
  },
});
if (!values['big-db']) {
  process.stderr.write('usage: retention.mjs --big-db PATH (from make-fixture-db.mjs)\n');
  process.exit(1);
}
const EVENTS = Number(values.events);
const CLIENTS = Number(values.clients);
const RATE = Number(values.rate);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-retention-'));

function usedBytes(file) {
  const db = new Database(file, { readonly: true });
  try {
    const pages = db.pragma('page_count', { simple: true });
    const free = db.pragma('freelist_count', { simple: true });
    return (pages - free) * db.pragma('page_size', { simple: true });
  } finally {
    db.close();
  }
}

const proxies = (() => {
  const db = new Database(values['big-db'], { readonly: true });
  try {
    const names = db
      .prepare('SELECT DISTINCT proxy FROM requests INDEXED BY idx_requests_proxy')
      .pluck()
      .all();
    return names.length > 0 ? names : ['proxy-1'];
  } finally {
    db.close();
  }
})();

async function health(socket) {
  return JSON.parse(
    await outputOf(process.execPath, [CLI, 'health', '--socket', socket, '--json']).catch(
      () => '{}',
    ),
  );
}

async function variant(name, flags) {
  const db = path.join(work, `${name}.db`);
  fs.copyFileSync(values['big-db'], db);
  for (const suffix of ['-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
  const socket = path.join(work, `${name}.sock`);
  const bound = flags.includes('--retain-bytes') ? undefined : null;
  const args = flags.map((f) => (f === 'USED' ? String(usedBytes(db)) : f));
  const daemon = spawn(process.execPath, [CLI, 'daemon', '--db', db, '--socket', socket, ...args], {
    stdio: 'ignore',
  });
  while (!fs.existsSync(socket)) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  const sizeBefore = fs.statSync(db).size;
  let maxSize = sizeBefore;
  const sizes = [];
  const sampler = setInterval(() => {
    const size = fs.statSync(db).size;
    maxSize = Math.max(maxSize, size);
    sizes.push(size);
  }, 200);
  const share = Math.floor(EVENTS / CLIENTS);
  const runs = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) =>
      outputOf(process.execPath, [
        path.join(HERE, 'bench-client.mjs'),
        socket,
        String(share),
        '100',
        ...(RATE > 0
          ? ['8', proxies[i % proxies.length], 'random', String(Math.round(RATE / CLIENTS))]
          : []),
      ]).then(JSON.parse),
    ),
  );
  clearInterval(sampler);
  const seconds =
    (Math.max(...runs.map((r) => r.ended_at_ms)) - Math.min(...runs.map((r) => r.started_at_ms))) /
    1000;
  const report = await health(socket);
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  const result = {
    name,
    flags: args,
    events_per_s: Math.round((share * CLIENTS) / seconds),
    commit_ms_p99: report.commit_ms_p99,
    deleted_requests: report.retention?.deleted_requests ?? 0,
    size_before_mb: +(sizeBefore / 2 ** 20).toFixed(1),
    size_max_mb: +(maxSize / 2 ** 20).toFixed(1),
    size_after_mb: +(fs.statSync(db).size / 2 ** 20).toFixed(1),
    // The file at each tenth of the run, to show it flat under a bound.
    size_mb_by_tenth: Array.from(
      { length: 10 },
      (_, k) => +((sizes[Math.floor(((k + 1) * sizes.length) / 10) - 1] ?? 0) / 2 ** 20).toFixed(1),
    ),
    bound,
  };
  fs.rmSync(db, { force: true });
  return result;
}

const results = [];
for (let round = 0; round < Number(values.rounds); round += 1) {
  for (const [name, flags] of [
    ['off', ['--retain', '0']],
    ['bytes', ['--retain', '0', '--retain-bytes', 'USED']],
    ['age', ['--retain', values.retain]],
  ].filter(([name]) => name === 'off' || values.modes.split(',').includes(name))) {
    const result = await variant(name, flags);
    results.push({ round, ...result });
    process.stdout.write(`${JSON.stringify({ round, ...result })}\n`);
  }
}
for (const round of new Set(results.map((r) => r.round))) {
  const off = results.find((r) => r.round === round && r.name === 'off');
  for (const r of results.filter((x) => x.round === round && x.name !== 'off')) {
    process.stdout.write(
      `round ${round} ${r.name}: ${(r.events_per_s / off.events_per_s).toFixed(2)}x ingest, ` +
        `commit p99 ${(r.commit_ms_p99 / off.commit_ms_p99).toFixed(2)}x, deleted ${r.deleted_requests}, ` +
        `file ${r.size_before_mb} -> max ${r.size_max_mb} MB\n`,
    );
  }
}
if (values.out) fs.writeFileSync(values.out, JSON.stringify(results, null, 2));
fs.rmSync(work, { recursive: true, force: true });
