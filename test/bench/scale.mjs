#!/usr/bin/env node
// Ingest as the store grows, in the bench harness: the same ingest into an
// empty store and into a copy of a big one (make-fixture-db.mjs), taking
// turns in the same run, with the page cache dropped before each daemon
// starts where this process may (root). The new events come from the
// proxies already in the big store, with latencies scattered as theirs are,
// so they land all over the latency index as a month-old daemon's do. For
// each run: events/s, the bytes the daemon wrote per event (its write
// calls: WAL frames and checkpoint copies), what the disk wrote per event
// meanwhile, and its commit p99; ratios are to the empty store of the same
// round. Asserts nothing.
//
//   node test/bench/scale.mjs --big-db PATH [--big-db PATH2 ...] [--events 400000]
//        [--clients 4] [--rounds 2] [--retain 0] [--warm] [--out FILE]

import { execFileSync, spawn } from 'node:child_process';
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
    'big-db': { type: 'string', multiple: true },
    events: { type: 'string', default: '400000' },
    clients: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '2' },
    retain: { type: 'string', default: '0' },
    warm: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
if (!values['big-db']?.length) {
  process.stderr.write('usage: scale.mjs --big-db PATH (from make-fixture-db.mjs)\n');
  process.exit(1);
}
const EVENTS = Number(values.events);
const CLIENTS = Number(values.clients);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-scale-'));

function storeFacts(file) {
  const db = new Database(file, { readonly: true });
  try {
    const proxies = db
      .prepare('SELECT DISTINCT proxy FROM requests INDEXED BY idx_requests_proxy')
      .pluck()
      .all();
    return {
      rows: db.prepare('SELECT MAX(id) FROM requests').pluck().get() ?? 0,
      page_size: db.pragma('page_size', { simple: true }),
      proxies,
    };
  } finally {
    db.close();
  }
}

/**
 * Bytes a process wrote, two ways: `wchar`, what its write calls asked for
 * (SQLite's WAL frames and checkpoint copies), and `write_bytes`, what the
 * kernel charged it when it dirtied page-cache pages. The second counts a
 * whole large folio for each small write into one (ext4 caches a file read
 * in long runs in large folios), so it is reported, not relied on.
 */
function processWrites(pid) {
  const io = fs.readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)[1]);
  return { wchar: field('wchar'), write_bytes: field('write_bytes') };
}

/** Bytes the block device holding `file` has written (every process's, the file system's journal too). */
function deviceWrittenBytes(file) {
  const { dev } = fs.statSync(file);
  const stat = fs.readFileSync(`/sys/dev/block/${dev >> 8}:${dev & 0xff}/stat`, 'utf8');
  return Number(stat.trim().split(/\s+/)[6]) * 512;
}

/**
 * Written back first: the copy's pages still dirty would otherwise be
 * written while the daemon runs, and a page the daemon dirties again is
 * not counted to it.
 */
function dropPageCache() {
  execFileSync('sync');
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
    return true;
  } catch {
    return false;
  }
}

async function ingest(name, source, proxies) {
  const db = path.join(work, `${name}.db`);
  if (source) fs.copyFileSync(source, db);
  const socket = path.join(work, `${name}.sock`);
  const cold = dropPageCache();
  // --warm: the copy read once, as on a host whose page cache holds the file.
  if (values.warm && source) execFileSync('cat', [db], { stdio: ['ignore', 'ignore', 'inherit'] });
  const daemon = spawn(
    process.execPath,
    [CLI, 'daemon', '--db', db, '--socket', socket, '--retain', values.retain],
    { stdio: 'ignore' },
  );
  while (!fs.existsSync(socket)) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  const writtenBefore = processWrites(daemon.pid);
  const deviceBefore = deviceWrittenBytes(db);
  const share = Math.floor(EVENTS / CLIENTS);
  const runs = await Promise.all(
    Array.from({ length: CLIENTS }, (_, i) =>
      outputOf(process.execPath, [
        path.join(HERE, 'bench-client.mjs'),
        socket,
        String(share),
        '100',
        '8',
        proxies[i % proxies.length],
        'random',
      ]).then(JSON.parse),
    ),
  );
  const seconds =
    (Math.max(...runs.map((r) => r.ended_at_ms)) - Math.min(...runs.map((r) => r.started_at_ms))) /
    1000;
  const written = processWrites(daemon.pid);
  const deviceWritten = deviceWrittenBytes(db) - deviceBefore;
  const report = JSON.parse(
    await outputOf(process.execPath, [CLI, 'health', '--socket', socket, '--json']),
  );
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(db + suffix, { force: true });
  return {
    name,
    cold_cache: cold,
    events_per_s: Math.round((share * CLIENTS) / seconds),
    bytes_per_event: Math.round((written.wchar - writtenBefore.wchar) / (share * CLIENTS)),
    device_bytes_per_event: Math.round(deviceWritten / (share * CLIENTS)),
    write_bytes_per_event: Math.round(
      (written.write_bytes - writtenBefore.write_bytes) / (share * CLIENTS),
    ),
    commit_ms_p99: report.commit_ms_p99,
    events_per_transaction: Math.round(report.committed / report.transactions_committed),
    deleted_requests: report.retention?.deleted_requests ?? 0,
  };
}

const stores = values['big-db'].map((file) => ({ file, ...storeFacts(file) }));
const proxies = stores[0].proxies.length > 0 ? stores[0].proxies : ['proxy-1'];
for (const store of stores) {
  process.stdout.write(
    `${JSON.stringify({ store: store.file, rows: store.rows, page_size: store.page_size })}\n`,
  );
}
const results = [];
for (let round = 0; round < Number(values.rounds); round += 1) {
  const empty = await ingest('empty', null, proxies);
  results.push({ round, rows: 0, ...empty });
  process.stdout.write(`${JSON.stringify({ round, ...empty })}\n`);
  for (const store of stores) {
    const big = await ingest('big', store.file, proxies);
    const row = {
      round,
      rows: store.rows,
      page_size: store.page_size,
      ...big,
      rate_ratio: +(big.events_per_s / empty.events_per_s).toFixed(2),
      bytes_ratio: +(big.bytes_per_event / empty.bytes_per_event).toFixed(2),
      device_bytes_ratio: +(big.device_bytes_per_event / empty.device_bytes_per_event).toFixed(2),
      commit_p99_ratio: +(big.commit_ms_p99 / empty.commit_ms_p99).toFixed(2),
    };
    results.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}
if (values.out) fs.writeFileSync(values.out, JSON.stringify(results, null, 2));
fs.rmSync(work, { recursive: true, force: true });
