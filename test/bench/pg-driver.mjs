#!/usr/bin/env node
// Which PostgreSQL driver and which write form the replication uses, by
// measurement: request rows shaped like the store's, shipped in batches
// into a durable throwaway server with `ON CONFLICT (request_id) DO
// NOTHING`, each way in turn, alternating over rounds. Ways: `pg` with a
// multi-row VALUES insert, `pg` with one array per column (unnest), `pg`
// COPY into a temporary table then INSERT ... SELECT, and `postgres` (the
// other maintained driver) with the unnest form; then, as replication
// writes today, COPY straight into mcpr.requests with all six of its
// indexes (the ceiling of shipping on this server). Asserts nothing.
//
//   node test/bench/pg-driver.mjs [--rows 200000] [--batch 5000] [--rounds 3]

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import postgres from 'postgres';
import { PG_SCHEMA_SQL } from '../../packages/daemon/dist/replication/pg-schema.js';
import { startPostgres } from '../../packages/test-utils/src/postgres-server.mjs';
import { median } from './median.mjs';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '200000' },
    batch: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROWS = Number(values.rows);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);

const COLUMNS = [
  'id',
  'request_id',
  'ts',
  'proxy',
  'session_id',
  'method',
  'tool',
  'latency_us',
  'status',
  'error_code',
  'error_msg',
  'bytes_in',
  'bytes_out',
];
const TYPES = [
  'bigint',
  'text',
  'bigint',
  'text',
  'text',
  'text',
  'text',
  'bigint',
  'text',
  'text',
  'text',
  'bigint',
  'bigint',
];
const TABLE = `CREATE TABLE IF NOT EXISTS bench_requests (
  id bigint NOT NULL, request_id text NOT NULL UNIQUE, ts bigint NOT NULL,
  proxy text NOT NULL, session_id text, method text NOT NULL, tool text,
  latency_us bigint NOT NULL, status text NOT NULL, error_code text,
  error_msg text, bytes_in bigint, bytes_out bigint)`;
const INDEXES = [
  'CREATE INDEX IF NOT EXISTS bench_ts ON bench_requests (ts)',
  'CREATE INDEX IF NOT EXISTS bench_proxy ON bench_requests (proxy, ts)',
  'CREATE INDEX IF NOT EXISTS bench_session ON bench_requests (session_id)',
];

function makeRows(round) {
  const rows = [];
  for (let i = 0; i < ROWS; i += 1) {
    const error = i % 20 === 0;
    rows.push([
      i + 1,
      `r${round}-${i.toString(16).padStart(8, '0')}-0000-7000-8000-000000000000`,
      1_760_000_000_000 + i * 10,
      `proxy-${i % 5}`,
      `s-${i % 1000}`,
      'tools/call',
      `tool_${i % 40}`,
      1000 + ((i * 7919) % 500_000),
      error ? 'error' : 'ok',
      error ? '-32603' : null,
      error ? 'upstream failed' : null,
      200 + (i % 300),
      1000 + (i % 5000),
    ]);
  }
  return rows;
}

function columnsOf(batch) {
  return COLUMNS.map((_, c) => batch.map((row) => row[c]));
}

const UNNEST_SQL = `INSERT INTO bench_requests (${COLUMNS.join(', ')})
  SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})
  ON CONFLICT (request_id) DO NOTHING`;

function copyText(value) {
  if (value === null) return '\\N';
  return String(value).replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c],
  );
}

const WAYS = {
  async 'pg VALUES'(url, rows) {
    const client = new pg.Client(url);
    await client.connect();
    for (let at = 0; at < rows.length; at += BATCH) {
      const batch = rows.slice(at, at + BATCH);
      const params = [];
      const tuples = batch.map((row) => {
        const start = params.length;
        params.push(...row);
        return `(${row.map((_, c) => `$${start + c + 1}`).join(', ')})`;
      });
      await client.query(
        `INSERT INTO bench_requests (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (request_id) DO NOTHING`,
        params,
      );
    }
    await client.end();
  },
  async 'pg unnest'(url, rows) {
    const client = new pg.Client(url);
    await client.connect();
    for (let at = 0; at < rows.length; at += BATCH) {
      await client.query(UNNEST_SQL, columnsOf(rows.slice(at, at + BATCH)));
    }
    await client.end();
  },
  async 'pg COPY'(url, rows) {
    const client = new pg.Client(url);
    await client.connect();
    for (let at = 0; at < rows.length; at += BATCH) {
      const batch = rows.slice(at, at + BATCH);
      await client.query('BEGIN');
      await client.query(
        'CREATE TEMP TABLE IF NOT EXISTS staging (LIKE bench_requests) ON COMMIT DELETE ROWS',
      );
      const text = batch.map((row) => row.map(copyText).join('\t')).join('\n');
      await pipeline(
        Readable.from([`${text}\n`]),
        client.query(copyFrom('COPY staging FROM STDIN')),
      );
      await client.query(
        'INSERT INTO bench_requests SELECT * FROM staging ON CONFLICT (request_id) DO NOTHING',
      );
      await client.query('COMMIT');
    }
    await client.end();
  },
  async 'pg COPY into mcpr.requests'(url, rows) {
    const client = new pg.Client(url);
    await client.connect();
    for (let at = 0; at < rows.length; at += BATCH) {
      const batch = rows.slice(at, at + BATCH);
      await client.query('BEGIN');
      const text = batch
        .map((row) => [...row.slice(1), row[0], 'bench'].map(copyText).join('\t'))
        .join('\n');
      await pipeline(
        Readable.from([`${text}\n`]),
        client.query(
          copyFrom(
            `COPY mcpr.requests (${COLUMNS.slice(1).join(', ')}, origin_id, origin) FROM STDIN`,
          ),
        ),
      );
      await client.query('COMMIT');
    }
    await client.end();
  },
  async 'postgres unnest'(url, rows) {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    for (let at = 0; at < rows.length; at += BATCH) {
      await sql.unsafe(UNNEST_SQL, columnsOf(rows.slice(at, at + BATCH)));
    }
    await sql.end();
  },
};

const server = await startPostgres({ durable: true });
try {
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query(TABLE);
  await admin.query(PG_SCHEMA_SQL);
  for (const index of INDEXES) await admin.query(index);
  const rates = Object.fromEntries(Object.keys(WAYS).map((way) => [way, []]));
  let round = 0;
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const [way, ship] of Object.entries(WAYS)) {
      round += 1;
      const rows = makeRows(round);
      await admin.query('TRUNCATE bench_requests, mcpr.requests');
      await admin.query('CHECKPOINT');
      const started = performance.now();
      await ship(server.url, rows);
      const seconds = (performance.now() - started) / 1000;
      const table = way.includes('mcpr.requests') ? 'mcpr.requests' : 'bench_requests';
      const { rows: counted } = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
      if (counted[0].n !== ROWS) throw new Error(`${way}: ${counted[0].n} rows of ${ROWS}`);
      rates[way].push(ROWS / seconds);
      process.stderr.write(`${way}: ${Math.round(ROWS / seconds)} rows/s\n`);
    }
  }
  await admin.end();
  console.log(`| way | rows/s (median of ${ROUNDS}) |`);
  console.log('| --- | ---: |');
  for (const [way, list] of Object.entries(rates)) {
    console.log(`| ${way} | ${Math.round(median(list)).toLocaleString('en-US')} |`);
  }
} finally {
  server.stop();
}
