// Writes validated events, the client batches the transaction queue gathered,
// in one transaction. This is the product's hot path and its bill is the
// indexes, so the per-event work is one prepared statement, its parameters
// bound by position straight from the batch's columns (column-batch.ts;
// binding by name costs better-sqlite3 a property lookup per parameter);
// session counters are summed in memory and written once per session per
// transaction.
// Every rule that keeps the data right under resends and reordering lives
// here: duplicate request ids are ignored and never counted, a request that
// precedes its session still counts, an unchanged schema writes no change.

import { createHash } from 'node:crypto';
import {
  REQUEST_FIELD_NAMES,
  type SchemaVersionEvent,
  type SessionClosedEvent,
  type SessionEvent,
  type StoreEvent,
} from '@mcpr-store/protocol';
import type { Db } from '../db/connection.js';
import {
  CODE_AT,
  type ColumnBatch,
  NUMBER_AT,
  packColumns,
  REQUEST_CODES,
  REQUEST_NUMBERS,
  requestValues,
  textOf,
} from './column-batch.js';
import { NO_OPERATIONS, type OperationTallies, OperationTally } from './operations.js';
import { Rollups } from './rollups.js';
import { diffSnapshots } from './schema-diff.js';

/** The INSERT of one request, its columns in REQUEST_FIELDS order (requestValues binds them). */
const INSERT_REQUEST_SQL = `
  INSERT INTO requests (${REQUEST_FIELD_NAMES.join(', ')})
  VALUES (${REQUEST_FIELD_NAMES.map(() => '?').join(', ')})
  ON CONFLICT(request_id) DO NOTHING`;

/**
 * What the writer reports for one transaction; positions count its events in
 * order, across the client batches it wrote.
 */
export interface TransactionOutcome {
  /** Events stored or already stored (duplicates included). */
  committed: number;
  /** Positions of requests whose request_id was already stored. */
  duplicate_positions: number[];
  /** Events SQLite itself refused (constraint errors); the rest committed. */
  rejected: { position: number; reason: string }[];
  /** Wall time of the transaction, commit included. */
  commit_us: number;
  /** Bytes of the database's pages in use after the commit (for the size bound). */
  used_bytes: number;
  /** Events committed, by kind (duplicates included, as `committed`). */
  committed_by_kind: Record<string, number>;
  /** The transaction's new requests, tallied for metrics (metrics/operations.ts). */
  operations: OperationTallies;
  /** Sessions whose first `session` event this transaction stored, by proxy and platform. */
  sessions_started: { proxy: string; client_platform: string; count: number }[];
  /**
   * Sessions a `session` or `session_closed` event of this transaction
   * changed (for replication; requests' sessions travel with the requests).
   */
  sessions_changed: string[];
}

/** An outcome with nothing written yet: the start of every transaction's, and the whole of one with no events. */
export function emptyOutcome(): TransactionOutcome {
  return {
    committed: 0,
    duplicate_positions: [],
    rejected: [],
    commit_us: 0,
    used_bytes: 0,
    committed_by_kind: {},
    operations: NO_OPERATIONS,
    sessions_started: [],
    sessions_changed: [],
  };
}

interface SessionTally {
  session_id: string;
  proxy: string;
  first_ts: number;
  last_ts: number;
  calls: number;
  errors: number;
}

/** SQLite errors that belong to one event (its statement failed); anything else aborts the batch. */
function isEventError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH')
  );
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export class TransactionWriter {
  private readonly insertRequest;
  private readonly tallySession;
  private readonly upsertSession;
  private readonly closeKnownSession;
  private readonly closeSession;
  private readonly readSchema;
  private readonly touchSchema;
  private readonly upsertSchema;
  private readonly insertChange;
  private readonly transaction;
  /** One request's parameters, reused for every row. */
  private readonly values: unknown[] = [];
  /** This transaction's tallies for metrics; counted only for rows really inserted. */
  private readonly operations = new OperationTally();
  private readonly started = new Map<
    string,
    { proxy: string; client_platform: string; count: number }
  >();
  /** Sessions changed by session events in this transaction. */
  private readonly changedSessions = new Set<string>();
  private readonly sessionIsBare;
  private readonly pageCount;
  private readonly freePages;
  private readonly pageBytes: number;

  private readonly tallyOperations: boolean;
  /** The rollups, kept in each transaction with the rows they count. */
  private readonly rollups: Rollups;

  /**
   * `tallyOperations`: fill `operations` in each outcome (for metrics); on
   * unless set false. `rollups`: the connection's (made here when not given).
   */
  constructor(
    db: Db,
    options: { tallyOperations?: boolean; rollups?: Rollups; rollupFlushMs?: number } = {},
  ) {
    this.tallyOperations = options.tallyOperations ?? true;
    this.rollups = options.rollups ?? new Rollups(db, options.rollupFlushMs);
    this.insertRequest = db.prepare(INSERT_REQUEST_SQL);
    // A request may come before its session's event: the row is then created
    // from the request, and the session event fills in the client later.
    this.tallySession = db.prepare(`
      INSERT INTO sessions (session_id, proxy, started_at, last_seen_at, total_calls, total_errors)
      VALUES (@session_id, @proxy, @first_ts, @last_ts, @calls, @errors)
      ON CONFLICT(session_id) DO UPDATE SET
        last_seen_at = MAX(last_seen_at, excluded.last_seen_at),
        total_calls  = total_calls + excluded.total_calls,
        total_errors = total_errors + excluded.total_errors`);
    this.upsertSession = db.prepare(`
      INSERT INTO sessions (session_id, proxy, started_at, last_seen_at,
                            client_name, client_version, client_platform, total_calls, total_errors)
      VALUES (@session_id, @proxy, @started_at, @started_at,
              @client_name, @client_version, @client_platform, 0, 0)
      ON CONFLICT(session_id) DO UPDATE SET
        started_at      = MIN(started_at, excluded.started_at),
        client_name     = COALESCE(client_name, excluded.client_name),
        client_version  = COALESCE(client_version, excluded.client_version),
        client_platform = COALESCE(client_platform, excluded.client_platform)`);
    this.closeKnownSession = db.prepare(
      'UPDATE sessions SET ended_at = @ended_at WHERE session_id = @session_id AND ended_at IS NULL',
    );
    this.closeSession = db.prepare(`
      INSERT INTO sessions (session_id, proxy, started_at, last_seen_at, ended_at)
      VALUES (@session_id, @proxy, @ended_at, @ended_at, @ended_at)
      ON CONFLICT(session_id) DO UPDATE SET ended_at = excluded.ended_at WHERE ended_at IS NULL`);
    this.readSchema = db.prepare(
      'SELECT schema_hash, payload, captured_at FROM server_schema WHERE proxy = ? AND upstream_url = ? AND method = ?',
    );
    this.touchSchema = db.prepare(
      'UPDATE server_schema SET captured_at = MAX(captured_at, ?) WHERE proxy = ? AND upstream_url = ? AND method = ?',
    );
    this.upsertSchema = db.prepare(`
      INSERT INTO server_schema (proxy, upstream_url, method, payload, captured_at, schema_hash)
      VALUES (@proxy, @upstream_url, @method, @payload, @ts, @schema_hash)
      ON CONFLICT(proxy, upstream_url, method) DO UPDATE SET
        payload = excluded.payload, captured_at = excluded.captured_at, schema_hash = excluded.schema_hash`);
    this.insertChange = db.prepare(`
      INSERT INTO schema_changes (proxy, upstream_url, method, change_type, item_name, old_hash, new_hash, detected_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    // A session starts with its first `session` event: no row yet, or one a
    // request made before it, with no client known.
    this.sessionIsBare = db
      .prepare(
        'SELECT client_name IS NULL AND client_version IS NULL AND client_platform IS NULL FROM sessions WHERE session_id = ?',
      )
      .pluck();
    this.pageCount = db.prepare('PRAGMA page_count').pluck();
    this.freePages = db.prepare('PRAGMA freelist_count').pluck();
    this.pageBytes = db.pragma('page_size', { simple: true }) as number;
    this.transaction = db.transaction((batches: ColumnBatch[], outcome: TransactionOutcome) =>
      this.writeAll(batches, outcome),
    );
  }

  /** Writes events (in order) in one transaction; see writeBatches. */
  write(events: readonly StoreEvent[]): TransactionOutcome {
    return this.writeBatches([packColumns(events)]);
  }

  /**
   * Writes the batches' events, in order, in one transaction; throws (and
   * rolls back) on environmental errors.
   */
  writeBatches(batches: ColumnBatch[]): TransactionOutcome {
    const started = process.hrtime.bigint();
    const outcome = emptyOutcome();
    this.operations.clear();
    this.started.clear();
    this.changedSessions.clear();
    try {
      this.transaction.immediate(batches, outcome);
    } catch (error) {
      this.rollups.rolledBack();
      throw error;
    }
    this.rollups.committed();
    outcome.operations = this.operations.take();
    outcome.sessions_started = [...this.started.values()];
    outcome.sessions_changed = [...this.changedSessions];
    outcome.commit_us = Number((process.hrtime.bigint() - started) / 1000n);
    outcome.used_bytes = this.usedBytes();
    return outcome;
  }

  /** Writes the rollup counts that wait in memory (before deletes, and at close). */
  flushRollups(): void {
    this.rollups.flushPending();
  }

  /** Bytes of the pages that hold data (the file less its free pages); two cheap pragmas. */
  usedBytes(): number {
    const pages = this.pageCount.get() as number;
    const free = this.freePages.get() as number;
    return (pages - free) * this.pageBytes;
  }

  private writeAll(batches: ColumnBatch[], outcome: TransactionOutcome): void {
    // By session id: each batch numbers its strings its own way.
    const tallies = new Map<string, SessionTally>();
    let first = 0;
    for (const batch of batches) {
      this.writeOne(batch, first, tallies, outcome);
      first += batch.count;
    }
    for (const tally of tallies.values()) this.tallySession.run(tally);
    this.rollups.endTransaction();
  }

  /** Writes one batch, whose events are at `first` onwards among the transaction's. */
  private writeOne(
    batch: ColumnBatch,
    first: number,
    tallies: Map<string, SessionTally>,
    outcome: TransactionOutcome,
  ): void {
    let request = 0;
    let other = 0;
    for (let i = 0; i < batch.count; i += 1) {
      const position = first + i;
      try {
        if (batch.other_positions[other] !== i) {
          const r = request;
          request += 1;
          // A duplicate counts as committed: it is stored already.
          if (!this.writeRequest(batch, r, tallies)) outcome.duplicate_positions.push(position);
          outcome.committed += 1;
          outcome.committed_by_kind.request = (outcome.committed_by_kind.request ?? 0) + 1;
          continue;
        }
        const event = batch.others[other] as StoreEvent;
        other += 1;
        switch (event.kind) {
          case 'session':
            this.writeSession(event);
            break;
          case 'session_closed':
            this.writeSessionClosed(event);
            break;
          case 'schema_version':
            this.writeSchemaVersion(event);
            break;
        }
        outcome.committed += 1;
        outcome.committed_by_kind[event.kind] = (outcome.committed_by_kind[event.kind] ?? 0) + 1;
      } catch (error) {
        if (!isEventError(error)) throw error;
        outcome.rejected.push({
          position,
          reason: `database refused the event: ${(error as Error).message}`,
        });
      }
    }
  }

  /** Stores request `r` of the batch; returns false when its request_id was already stored. */
  private writeRequest(batch: ColumnBatch, r: number, tallies: Map<string, SessionTally>): boolean {
    const ts = batch.numbers[r * REQUEST_NUMBERS + NUMBER_AT.ts] as number;
    const c = r * REQUEST_CODES;
    const proxy = textOf(batch, batch.codes[c + CODE_AT.proxy] as number) as string;
    const sessionId = textOf(batch, batch.codes[c + CODE_AT.session_id] as number);
    const status = textOf(batch, batch.codes[c + CODE_AT.status] as number);
    const inserted = this.insertRequest.run(requestValues(batch, r, this.values));
    // Already stored (a resend): its session must not count it again.
    if (inserted.changes === 0) return false;
    const method = textOf(batch, batch.codes[c + CODE_AT.method] as number) as string;
    const tool = textOf(batch, batch.codes[c + CODE_AT.tool] as number);
    const errorCode = textOf(batch, batch.codes[c + CODE_AT.error_code] as number);
    const n = r * REQUEST_NUMBERS;
    const latencyUs = batch.numbers[n + NUMBER_AT.latency_us] as number;
    if (this.tallyOperations) {
      this.operations.add(proxy, method, tool, status as string, errorCode, latencyUs);
    }
    const bytesIn = batch.numbers[n + NUMBER_AT.bytes_in] as number;
    const bytesOut = batch.numbers[n + NUMBER_AT.bytes_out] as number;
    this.rollups.add(
      ts,
      proxy,
      method,
      tool,
      status as string,
      errorCode,
      latencyUs,
      Number.isNaN(bytesIn) ? null : bytesIn,
      Number.isNaN(bytesOut) ? null : bytesOut,
    );
    if (sessionId !== null) {
      const error = status === 'ok' ? 0 : 1;
      const tally = tallies.get(sessionId);
      if (tally) {
        tally.calls += 1;
        tally.errors += error;
        if (ts < tally.first_ts) tally.first_ts = ts;
        if (ts > tally.last_ts) tally.last_ts = ts;
      } else {
        tallies.set(sessionId, {
          session_id: sessionId,
          proxy,
          first_ts: ts,
          last_ts: ts,
          calls: 1,
          errors: error,
        });
      }
    }
    return true;
  }

  private writeSession(event: SessionEvent): void {
    const bare = this.sessionIsBare.get(event.session_id);
    this.upsertSession.run(event);
    this.changedSessions.add(event.session_id);
    if (bare === undefined || bare === 1) {
      const platform = event.client_platform ?? '';
      const key = `${event.proxy}\u0000${platform}`;
      const tally = this.started.get(key);
      if (tally) tally.count += 1;
      else this.started.set(key, { proxy: event.proxy, client_platform: platform, count: 1 });
    }
  }

  private writeSessionClosed(event: SessionClosedEvent): void {
    if (event.proxy === null) this.closeKnownSession.run(event);
    else this.closeSession.run(event);
    this.changedSessions.add(event.session_id);
  }

  private writeSchemaVersion(event: SchemaVersionEvent): void {
    const hash = event.schema_hash ?? sha256Hex(event.payload);
    const key = [event.proxy, event.upstream_url, event.method] as const;
    const stored = this.readSchema.get(...key) as
      | { schema_hash: string; payload: string; captured_at: number }
      | undefined;
    if (stored && stored.schema_hash === hash) {
      this.touchSchema.run(event.ts, ...key);
      return;
    }
    // A resent snapshot older than the stored one was already superseded.
    if (stored && stored.captured_at > event.ts) return;
    this.upsertSchema.run({ ...event, schema_hash: hash });
    for (const change of diffSnapshots(event.method, stored?.payload ?? null, event.payload)) {
      this.insertChange.run(
        ...key,
        change.change_type,
        change.item_name,
        stored?.schema_hash ?? null,
        hash,
        event.ts,
      );
    }
  }
}
