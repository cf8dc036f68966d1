// The PostgreSQL target of replication: one connection, schema mcpr made
// when missing (pg-schema.ts), and each shipment written in one
// transaction. Requests go by COPY (measured faster than a multi-row
// INSERT or one array per column: docs/performance.md), straight into the
// table: rows are shipped in id order past a cursor, so they are new there
// unless a crash lost the cursor's last move, or another store sent the
// same request. Then, and only then, the COPY fails on request_id, rolls
// back to its savepoint, and the rows go through a temporary table and
// INSERT ... ON CONFLICT (request_id) DO NOTHING. Sessions, snapshots and
// schema changes go by one array per column, upserted.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ensurePgSchema } from './pg-schema.js';
import {
  CHANGE_COLUMNS,
  REQUEST_COLUMNS,
  type Row,
  SCHEMA_COLUMNS,
  SESSION_COLUMNS,
  SESSION_TYPES,
  type Shipment,
} from './shipment.js';
import type { ReplicationTarget } from './target.js';

/**
 * PostgreSQL text cannot hold U+0000; SQLite can. A row with one would
 * stop replication for good, so it goes with U+FFFD in its place.
 */
function pgText(value: unknown): unknown {
  return typeof value === 'string' && value.includes('\u0000')
    ? value.replaceAll('\u0000', '\uFFFD')
    : value;
}

const COPY_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '\t': '\\t',
  '\n': '\\n',
  '\r': '\\r',
};

/** One value in COPY's text format. */
function copyField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  const text = String(pgText(value));
  return /[\\\t\n\r]/.test(text)
    ? text.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c] as string)
    : text;
}

/** The rows as arrays per column, for `unnest`, with origin added as the last column. */
function columnsOf(rows: Row[], width: number, origin: string): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width + 1 }, () => []);
  for (const row of rows) {
    for (let c = 0; c < width; c += 1) (columns[c] as unknown[]).push(pgText(row[c]));
    (columns[width] as unknown[]).push(origin);
  }
  return columns;
}

/** SQLSTATE of a duplicate key. */
const UNIQUE_VIOLATION = '23505';

/** Makes the connection's staging table for COPY (once per connection; emptied at every commit). */
async function prepareStaging(client: pg.Client): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS staging_requests (
       request_id text, ts bigint, proxy text, session_id text, method text, tool text,
       latency_us bigint, status text, error_code text, error_msg text,
       bytes_in bigint, bytes_out bigint, origin_id bigint, origin text) ON COMMIT DELETE ROWS`,
  );
}

/** Writes `shipment` in one PostgreSQL transaction; throws (rolled back) on any failure. */
async function writeShipment(client: pg.Client, shipment: Shipment, origin: string): Promise<void> {
  await client.query('BEGIN');
  try {
    if (shipment.requests.length > 0) {
      const originField = copyField(origin);
      const lines = shipment.requests.map(
        (row) => `${row.map(copyField).join('\t')}\t${originField}\n`,
      );
      const text = lines.join('');
      const copyInto = (table: string) =>
        pipeline(
          Readable.from([text]),
          client.query(
            copyFrom(`COPY ${table} (${REQUEST_COLUMNS.join(', ')}, origin_id, origin) FROM STDIN`),
          ),
        );
      await client.query('SAVEPOINT direct');
      try {
        await copyInto('mcpr.requests');
        await client.query('RELEASE SAVEPOINT direct');
      } catch (error) {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
        await client.query('ROLLBACK TO SAVEPOINT direct');
        await copyInto('staging_requests');
        await client.query(
          `INSERT INTO mcpr.requests (${REQUEST_COLUMNS.join(', ')}, origin, origin_id)
           SELECT ${REQUEST_COLUMNS.join(', ')}, origin, origin_id FROM staging_requests ORDER BY origin_id
           ON CONFLICT (request_id) DO NOTHING`,
        );
      }
    }
    if (shipment.sessions.length > 0) {
      const set = SESSION_COLUMNS.filter((c) => c !== 'session_id')
        .map((c) => `${c} = excluded.${c}`)
        .join(', ');
      await client.query(
        `INSERT INTO mcpr.sessions (${SESSION_COLUMNS.join(', ')}, origin)
         SELECT * FROM unnest(${SESSION_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')}, $${SESSION_TYPES.length + 1}::text[])
         ON CONFLICT (session_id) DO UPDATE SET ${set}, origin = excluded.origin`,
        columnsOf(shipment.sessions, SESSION_COLUMNS.length, origin),
      );
    }
    if (shipment.snapshots.length > 0) {
      await client.query(
        `INSERT INTO mcpr.server_schema (${SCHEMA_COLUMNS.join(', ')}, origin)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], $7::text[])
         ON CONFLICT (proxy, upstream_url, method) DO UPDATE SET
           payload = excluded.payload, captured_at = excluded.captured_at,
           schema_hash = excluded.schema_hash, origin = excluded.origin
         WHERE mcpr.server_schema.captured_at <= excluded.captured_at`,
        columnsOf(shipment.snapshots, SCHEMA_COLUMNS.length, origin),
      );
    }
    if (shipment.changes.length > 0) {
      const columns = columnsOf(shipment.changes, CHANGE_COLUMNS.length + 1, origin);
      await client.query(
        `INSERT INTO mcpr.schema_changes (${CHANGE_COLUMNS.join(', ')}, origin_id, origin)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                              $7::text[], $8::bigint[], $9::bigint[], $10::text[])
         ON CONFLICT (origin, origin_id) DO NOTHING`,
        columns,
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

export class PostgresTarget implements ReplicationTarget {
  private client: pg.Client | null = null;

  constructor(private readonly url: string) {}

  get connected(): boolean {
    return this.client !== null;
  }

  async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      connectionTimeoutMillis: 10_000,
      query_timeout: 120_000,
      keepAlive: true,
      application_name: 'mcpr-store',
    });
    // A connection lost between shipments: the next one reconnects.
    client.on('error', () => {
      if (this.client === client) this.client = null;
    });
    try {
      await client.connect();
      await ensurePgSchema(client);
      await prepareStaging(client);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
  }

  async write(shipment: Shipment, origin: string): Promise<void> {
    if (!this.client) await this.connect();
    await writeShipment(this.client as pg.Client, shipment, origin);
  }

  close(): void {
    const client = this.client;
    this.client = null;
    client?.end().catch(() => {});
  }
}
