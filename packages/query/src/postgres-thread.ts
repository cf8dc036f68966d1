// The PostgreSQL connection of a PostgresStore, in a thread of its own (see
// postgres-store.ts): it runs each statement it is sent and posts the rows
// back, then wakes the waiting caller. The first request (empty SQL)
// connects: a read-only session, schema `mcpr` first on the search path,
// and a check that the daemon's tables are there. Integers come back as
// numbers, as SQLite's do.

import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import type { ThreadAnswer, ThreadRequest } from './postgres-store.js';

const { url, port, signal } = workerData as { url: string; port: MessagePort; signal: Int32Array };

pg.types.setTypeParser(pg.types.builtins.INT8, Number);
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number);

const client = new pg.Client({
  connectionString: url,
  connectionTimeoutMillis: 10_000,
  application_name: 'mcpr-store query',
});
let connected = false;

async function connect(): Promise<void> {
  await client.connect();
  await client.query('SET search_path TO mcpr');
  await client.query('SET default_transaction_read_only = on');
  const { rows } = await client.query("SELECT to_regclass('mcpr.requests') IS NOT NULL AS ready");
  if (!rows[0]?.ready) {
    throw Object.assign(
      new Error(
        'this database holds no mcpr-store data (no schema mcpr): start a daemon with --replicate-to pointing here',
      ),
      { code: 'MCPR_NO_SCHEMA' },
    );
  }
  connected = true;
}

function answer(message: ThreadAnswer): void {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

parentPort?.on('message', async (request: ThreadRequest) => {
  const connecting = !connected;
  try {
    if (connecting) await connect();
    const rows = request.sql === '' ? [] : (await client.query(request.sql, request.values)).rows;
    answer({ ok: true, rows });
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    answer({ ok: false, code, message: message ?? String(error), connecting });
  }
});
