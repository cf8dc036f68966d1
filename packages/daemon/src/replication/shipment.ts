// One shipment: what the shipper reads from SQLite past its cursor and
// writes to PostgreSQL in one transaction. Requests go by COPY into a
// temporary table, then INSERT ... ON CONFLICT (request_id) DO NOTHING
// (measured faster than a multi-row INSERT or one array per column:
// docs/performance.md); sessions, snapshots and schema changes by one
// array per column. A shipment is all or nothing in PostgreSQL, so the
// cursor that follows it is exact.

import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../db/connection.js';
import type { ReplicationCursor } from '../writer/replication-meta.js';

const REQUEST_COLUMNS = [
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
] as const;
const SESSION_COLUMNS = [
  'session_id',
  'proxy',
  'started_at',
  'last_seen_at',
  'ended_at',
  'client_name',
  'client_version',
  'client_platform',
  'total_calls',
  'total_errors',
] as const;
const SESSION_TYPES = [
  'text',
  'text',
  'bigint',
  'bigint',
  'bigint',
  'text',
  'text',
  'text',
  'bigint',
  'bigint',
];
const SCHEMA_COLUMNS = [
  'proxy',
  'upstream_url',
  'method',
  'payload',
  'captured_at',
  'schema_hash',
] as const;
const CHANGE_COLUMNS = [
  'proxy',
  'upstream_url',
  'method',
  'change_type',
  'item_name',
  'old_hash',
  'new_hash',
  'detected_at',
] as const;

type Row = unknown[];

export interface Shipment {
  /** Request rows (REQUEST_COLUMNS then the SQLite id), in id order. */
  requests: Row[];
  /** Session rows (SESSION_COLUMNS), each session once. */
  sessions: Row[];
  /** Snapshot rows (SCHEMA_COLUMNS); empty when none changed. */
  snapshots: Row[];
  /** Schema change rows (CHANGE_COLUMNS then the SQLite id), in id order. */
  changes: Row[];
  /** The cursor once PostgreSQL has committed this shipment. */
  cursor: ReplicationCursor;
}

export function isEmpty(shipment: Shipment): boolean {
  return (
    shipment.requests.length === 0 &&
    shipment.sessions.length === 0 &&
    shipment.snapshots.length === 0 &&
    shipment.changes.length === 0
  );
}

/** How much one shipment carries at most. */
export interface ShipmentLimits {
  requests: number;
  sessions: number;
  changes: number;
}

/** Reads shipments from the SQLite file, on the shipper's own read-only connection. */
export class ShipmentReader {
  private readonly requestsAfter;
  private readonly sessionsByIds;
  private readonly sessionsAfterRowid;
  private readonly snapshots;
  private readonly changesAfter;
  private readonly maxRequestId;
  private readonly firstUnshipped;

  constructor(db: Db) {
    this.requestsAfter = db
      .prepare(
        `SELECT ${REQUEST_COLUMNS.join(', ')}, id FROM requests WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .raw();
    this.sessionsByIds = db
      .prepare(
        `SELECT ${SESSION_COLUMNS.join(', ')} FROM sessions
         WHERE session_id IN (SELECT value FROM json_each(?))`,
      )
      .raw();
    this.sessionsAfterRowid = db
      .prepare(
        `SELECT ${SESSION_COLUMNS.join(', ')}, rowid FROM sessions WHERE rowid > ? ORDER BY rowid LIMIT ?`,
      )
      .raw();
    this.snapshots = db.prepare(`SELECT ${SCHEMA_COLUMNS.join(', ')} FROM server_schema`).raw();
    this.changesAfter = db
      .prepare(
        `SELECT ${CHANGE_COLUMNS.join(', ')}, id FROM schema_changes WHERE id > ? ORDER BY id LIMIT ?`,
      )
      .raw();
    this.maxRequestId = db.prepare('SELECT MAX(id) FROM requests').pluck();
    this.firstUnshipped = db
      .prepare('SELECT ts FROM requests WHERE id > ? ORDER BY id LIMIT 1')
      .pluck();
  }

  /**
   * The next shipment after `cursor`: requests and schema changes past it,
   * the sessions of those requests and those in `sessionIds`, and every
   * snapshot when `withSnapshots`.
   */
  read(
    cursor: ReplicationCursor,
    sessionIds: Iterable<string>,
    withSnapshots: boolean,
    limits: ShipmentLimits,
  ): Shipment {
    const requests = this.requestsAfter.all(cursor.requests_id, limits.requests) as Row[];
    const ids = new Set(sessionIds);
    for (const row of requests) if (row[3] !== null) ids.add(row[3] as string);
    const sessions =
      ids.size > 0 ? (this.sessionsByIds.all(JSON.stringify([...ids])) as Row[]) : [];
    const changes = this.changesAfter.all(cursor.schema_changes_id, limits.changes) as Row[];
    return {
      requests,
      sessions,
      snapshots: withSnapshots ? (this.snapshots.all() as Row[]) : [],
      changes,
      cursor: {
        requests_id: requests.length > 0 ? (requests.at(-1)?.at(-1) as number) : cursor.requests_id,
        schema_changes_id:
          changes.length > 0 ? (changes.at(-1)?.at(-1) as number) : cursor.schema_changes_id,
      },
    };
  }

  /** Up to `limit` sessions after `rowid` (the sweep at start); the last rowid, or null when done. */
  sweepSessions(rowid: number, limit: number): { sessions: Row[]; next: number | null } {
    const rows = this.sessionsAfterRowid.all(rowid, limit) as Row[];
    return {
      sessions: rows.map((row) => row.slice(0, SESSION_COLUMNS.length)),
      next: rows.length < limit ? null : (rows.at(-1)?.at(-1) as number),
    };
  }

  /** Requests past the cursor, and the time of the oldest of them (null when none). */
  lag(cursor: ReplicationCursor): { rows: number; oldest_ts: number | null } {
    const max = (this.maxRequestId.get() as number | null) ?? 0;
    const oldest = (this.firstUnshipped.get(cursor.requests_id) as number | undefined) ?? null;
    return { rows: Math.max(0, max - cursor.requests_id), oldest_ts: oldest };
  }
}

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

/** Makes the connection's staging table for COPY (once per connection; emptied at every commit). */
export async function prepareStaging(client: pg.Client): Promise<void> {
  await client.query(
    `CREATE TEMP TABLE IF NOT EXISTS staging_requests (
       request_id text, ts bigint, proxy text, session_id text, method text, tool text,
       latency_us bigint, status text, error_code text, error_msg text,
       bytes_in bigint, bytes_out bigint, origin_id bigint, origin text) ON COMMIT DELETE ROWS`,
  );
}

/** Writes `shipment` in one PostgreSQL transaction; throws (rolled back) on any failure. */
export async function writeShipment(
  client: pg.Client,
  shipment: Shipment,
  origin: string,
): Promise<void> {
  await client.query('BEGIN');
  try {
    if (shipment.requests.length > 0) {
      const originField = copyField(origin);
      const lines = shipment.requests.map(
        (row) => `${row.map(copyField).join('\t')}\t${originField}\n`,
      );
      await pipeline(
        Readable.from([lines.join('')]),
        client.query(
          copyFrom(
            `COPY staging_requests (${REQUEST_COLUMNS.join(', ')}, origin_id, origin) FROM STDIN`,
          ),
        ),
      );
      await client.query(
        `INSERT INTO mcpr.requests (${REQUEST_COLUMNS.join(', ')}, origin, origin_id)
         SELECT ${REQUEST_COLUMNS.join(', ')}, origin, origin_id FROM staging_requests ORDER BY origin_id
         ON CONFLICT (request_id) DO NOTHING`,
      );
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
