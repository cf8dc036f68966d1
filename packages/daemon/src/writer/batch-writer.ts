// Writes one batch of validated events in one transaction. This is the
// product's hot path and its bill is the indexes, so the per-event work is
// one prepared statement bound straight from the event object; session
// counters are summed in memory and written once per session per batch.
// Every rule that keeps the data right under resends and reordering lives
// here: duplicate request ids are ignored and never counted, a request that
// precedes its session still counts, an unchanged schema writes no change.

import { createHash } from 'node:crypto';
import type {
  RequestEvent,
  SchemaVersionEvent,
  SessionClosedEvent,
  SessionEvent,
  StoreEvent,
} from '@mcpr-store/protocol';
import type { Db } from '../db/connection.js';
import { diffSnapshots } from './schema-diff.js';

/** What the writer reports for one batch; positions index the batch's event array. */
export interface BatchOutcome {
  /** Events stored or already stored (duplicates included). */
  committed: number;
  /** Positions of requests whose request_id was already stored. */
  duplicate_positions: number[];
  /** Events SQLite itself refused (constraint errors); the rest committed. */
  rejected: { position: number; reason: string }[];
  /** Wall time of the transaction, commit included. */
  commit_us: number;
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

export class BatchWriter {
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

  constructor(db: Db) {
    this.insertRequest = db.prepare(`
      INSERT INTO requests (request_id, ts, proxy, session_id, method, tool,
                            latency_us, status, error_code, error_msg, bytes_in, bytes_out)
      VALUES (@request_id, @ts, @proxy, @session_id, @method, @tool,
              @latency_us, @status, @error_code, @error_msg, @bytes_in, @bytes_out)
      ON CONFLICT(request_id) DO NOTHING`);
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
    this.transaction = db.transaction((events: readonly StoreEvent[], outcome: BatchOutcome) =>
      this.writeAll(events, outcome),
    );
  }

  /** Writes the batch in one transaction; throws (and rolls back) on environmental errors. */
  write(events: readonly StoreEvent[]): BatchOutcome {
    const started = process.hrtime.bigint();
    const outcome: BatchOutcome = {
      committed: 0,
      duplicate_positions: [],
      rejected: [],
      commit_us: 0,
    };
    this.transaction.immediate(events, outcome);
    outcome.commit_us = Number((process.hrtime.bigint() - started) / 1000n);
    return outcome;
  }

  private writeAll(events: readonly StoreEvent[], outcome: BatchOutcome): void {
    const tallies = new Map<string, SessionTally>();
    for (let position = 0; position < events.length; position += 1) {
      const event = events[position] as StoreEvent;
      try {
        switch (event.kind) {
          case 'request':
            if (this.writeRequest(event, tallies)) outcome.committed += 1;
            else {
              outcome.committed += 1;
              outcome.duplicate_positions.push(position);
            }
            break;
          case 'session':
            this.writeSession(event);
            outcome.committed += 1;
            break;
          case 'session_closed':
            this.writeSessionClosed(event);
            outcome.committed += 1;
            break;
          case 'schema_version':
            this.writeSchemaVersion(event);
            outcome.committed += 1;
            break;
        }
      } catch (error) {
        if (!isEventError(error)) throw error;
        outcome.rejected.push({
          position,
          reason: `database refused the event: ${(error as Error).message}`,
        });
      }
    }
    for (const tally of tallies.values()) this.tallySession.run(tally);
  }

  /** Returns false when the request_id was already stored. */
  private writeRequest(event: RequestEvent, tallies: Map<string, SessionTally>): boolean {
    if (this.insertRequest.run(event).changes === 0) return false;
    if (event.session_id !== null) {
      const error = event.status === 'ok' ? 0 : 1;
      const tally = tallies.get(event.session_id);
      if (tally) {
        tally.calls += 1;
        tally.errors += error;
        if (event.ts < tally.first_ts) tally.first_ts = event.ts;
        if (event.ts > tally.last_ts) tally.last_ts = event.ts;
      } else {
        tallies.set(event.session_id, {
          session_id: event.session_id,
          proxy: event.proxy,
          first_ts: event.ts,
          last_ts: event.ts,
          calls: 1,
          errors: error,
        });
      }
    }
    return true;
  }

  private writeSession(event: SessionEvent): void {
    this.upsertSession.run(event);
  }

  private writeSessionClosed(event: SessionClosedEvent): void {
    if (event.proxy === null) this.closeKnownSession.run(event);
    else this.closeSession.run(event);
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
