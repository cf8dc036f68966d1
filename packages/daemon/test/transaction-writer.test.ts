import path from 'node:path';
import { type StoreEvent, validateEvent } from '@mcpr-store/protocol';
import { requestEvent, sessionEvent, tempDir } from '@mcpr-store/test-utils';
import type Database from 'better-sqlite3';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyWriterPragmas, openWriteConnection } from '../src/db/connection.js';
import { migrate } from '../src/db/migrate.js';
import { packColumns } from '../src/writer/column-batch.js';
import { OPERATION_COUNT_AT, OPERATION_SUM_AT } from '../src/writer/operations.js';
import { sha256Hex, TransactionWriter } from '../src/writer/transaction-writer.js';

let db: Database.Database;
let writer: TransactionWriter;

beforeEach(() => {
  db = openWriteConnection(path.join(tempDir(), 'w.db'));
  applyWriterPragmas(db);
  migrate(db, 'test');
  writer = new TransactionWriter(db);
});

function valid(raw: Record<string, unknown>): StoreEvent {
  const result = validateEvent(raw);
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

function session(id = 'session-1') {
  return db.prepare('SELECT * FROM sessions WHERE session_id = ?').get(id) as Record<
    string,
    unknown
  >;
}

function schema(payload: unknown, ts: number, method = 'tools/list'): StoreEvent {
  return valid({
    kind: 'schema_version',
    ts,
    proxy: 'p',
    upstream_url: 'http://up',
    method,
    payload: JSON.stringify(payload),
  });
}

function changes() {
  return db
    .prepare(
      'SELECT change_type, item_name, old_hash, new_hash, detected_at FROM schema_changes ORDER BY id',
    )
    .all() as Record<string, unknown>[];
}

describe('TransactionWriter', () => {
  it('stores a request row with every field', () => {
    const event = valid(
      requestEvent({
        status: 'error',
        error_code: '-32602',
        error_msg: 'bad',
        bytes_in: 10,
        bytes_out: 20,
      }),
    );
    expect(writer.write([event])).toMatchObject({
      committed: 1,
      duplicate_positions: [],
      rejected: [],
    });
    const { id: _id, ...row } = db.prepare('SELECT * FROM requests').get() as Record<
      string,
      unknown
    >;
    const { kind: _kind, ...fields } = event as unknown as Record<string, unknown>;
    expect(row).toEqual(fields);
  });

  it('ignores a duplicate request_id and does not count it again', () => {
    writer.write([valid(sessionEvent())]);
    const event = valid(requestEvent({ request_id: 'same', status: 'error' }));
    writer.write([event]);
    const outcome = writer.write([event, event]);
    expect(outcome.committed).toBe(2);
    expect(outcome.duplicate_positions).toEqual([0, 1]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 1 });
    expect(session()).toMatchObject({ total_calls: 1, total_errors: 1 });
  });

  it('tallies inserted requests for metrics, a duplicate never, and nothing when told not to', () => {
    const event = valid(requestEvent({ request_id: 'once', latency_us: 30_000, tool: 'search' }));
    const first = writer.write([event, event]);
    expect(first.operations.keys).toEqual(['test-proxy\u0000tools/call\u0000search\u0000']);
    const values = [...first.operations.values];
    expect(values[OPERATION_SUM_AT]).toBeCloseTo(0.03);
    expect(values[OPERATION_COUNT_AT]).toBe(1);
    // 30 ms falls in the bucket of 0.05 s, the third.
    expect(values.slice(0, OPERATION_SUM_AT)).toEqual([
      0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(writer.write([event]).operations.keys).toEqual([]);
    const quiet = new TransactionWriter(db, { tallyOperations: false });
    const outcome = quiet.write([valid(requestEvent({ request_id: 'other' }))]);
    expect(outcome.committed).toBe(1);
    expect(outcome.operations.keys).toEqual([]);
  });

  it('writes a mixed batch in order and reports duplicates at their own positions', () => {
    const first = valid(requestEvent({ ts: 2000 }));
    const outcome = writer.write([
      valid(sessionEvent({ started_at: 1000 })),
      first,
      schema([{ name: 'a' }], 1500),
      first,
      valid({ kind: 'session_closed', session_id: 'session-1', ended_at: 4000, proxy: null }),
      valid(requestEvent({ ts: 3000, status: 'timeout', session_id: null })),
      valid(requestEvent({ ts: 3500, status: 'error', error_code: '-1', bytes_in: 0 })),
    ]);
    expect(outcome).toMatchObject({ committed: 7, duplicate_positions: [3], rejected: [] });
    expect(session()).toMatchObject({
      started_at: 1000,
      last_seen_at: 3500,
      ended_at: 4000,
      total_calls: 2,
      total_errors: 1,
    });
    expect(changes()).toHaveLength(1);
    expect(
      db
        .prepare(
          `SELECT session_id, status, error_code, bytes_in, bytes_out,
                  typeof(ts) AS ts_type, typeof(latency_us) AS latency_type
             FROM requests ORDER BY ts`,
        )
        .all(),
    ).toEqual([
      {
        session_id: 'session-1',
        status: 'ok',
        error_code: null,
        bytes_in: null,
        bytes_out: null,
        ts_type: 'integer',
        latency_type: 'integer',
      },
      {
        session_id: null,
        status: 'timeout',
        error_code: null,
        bytes_in: null,
        bytes_out: null,
        ts_type: 'integer',
        latency_type: 'integer',
      },
      {
        session_id: 'session-1',
        status: 'error',
        error_code: '-1',
        bytes_in: 0,
        bytes_out: null,
        ts_type: 'integer',
        latency_type: 'integer',
      },
    ]);
  });

  it('reports an event SQLite refuses at its position and commits the rest', () => {
    // Not validated: the table's CHECK on status refuses it.
    const refused = { ...valid(requestEvent()), status: 'lost' } as unknown as StoreEvent;
    const outcome = writer.write([valid(requestEvent()), refused, valid(sessionEvent())]);
    expect(outcome.committed).toBe(2);
    expect(outcome.rejected).toHaveLength(1);
    expect(outcome.rejected[0]).toMatchObject({ position: 1 });
    expect(outcome.rejected[0]?.reason).toMatch(/CHECK constraint failed/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 1 });
    expect(session()).toMatchObject({ total_calls: 1 });
  });

  it('writes several client batches in one transaction, positions and counters across them', () => {
    const first = valid(requestEvent({ ts: 2000, session_id: 'session-1' }));
    const refused = { ...valid(requestEvent()), status: 'lost' } as unknown as StoreEvent;
    const outcome = writer.writeBatches([
      packColumns([valid(sessionEvent({ started_at: 1000 })), first]),
      packColumns([
        valid(requestEvent({ ts: 3000, status: 'error', session_id: 'session-2' })),
        first,
        refused,
        valid(requestEvent({ ts: 4000, session_id: 'session-1', status: 'timeout' })),
      ]),
    ]);
    expect(outcome.committed).toBe(5);
    expect(outcome.duplicate_positions).toEqual([3]);
    expect(outcome.rejected.map((r) => r.position)).toEqual([4]);
    expect(session('session-1')).toMatchObject({
      total_calls: 2,
      total_errors: 1,
      last_seen_at: 4000,
    });
    expect(session('session-2')).toMatchObject({ total_calls: 1, total_errors: 1 });
  });

  it('counts errors and timeouts, not ok, in total_errors and keeps the latest last_seen_at', () => {
    writer.write([valid(sessionEvent({ started_at: 100 }))]);
    writer.write([
      valid(requestEvent({ ts: 500, status: 'ok' })),
      valid(requestEvent({ ts: 300, status: 'error' })),
      valid(requestEvent({ ts: 400, status: 'timeout' })),
    ]);
    writer.write([valid(requestEvent({ ts: 200, status: 'ok' }))]);
    expect(session()).toMatchObject({
      total_calls: 4,
      total_errors: 2,
      last_seen_at: 500,
      started_at: 100,
    });
  });

  it('counts requests that arrive before their session, and the session fills in the client later', () => {
    writer.write([
      valid(requestEvent({ ts: 2000 })),
      valid(requestEvent({ ts: 3000, status: 'error' })),
    ]);
    expect(session()).toMatchObject({ total_calls: 2, total_errors: 1, client_name: null });
    writer.write([valid(sessionEvent({ started_at: 1000 }))]);
    expect(session()).toMatchObject({
      total_calls: 2,
      total_errors: 1,
      started_at: 1000,
      last_seen_at: 3000,
      client_name: 'claude-desktop',
      client_version: '1.0.0',
      client_platform: 'claude',
    });
  });

  it('ignores a repeated session event for the same id', () => {
    writer.write([valid(sessionEvent({ started_at: 1000 }))]);
    writer.write([
      valid(sessionEvent({ started_at: 5000, client_name: 'other', client_version: '9' })),
    ]);
    expect(session()).toMatchObject({
      started_at: 1000,
      client_name: 'claude-desktop',
      client_version: '1.0.0',
    });
  });

  it('sets ended_at once, even when the close arrives before the session', () => {
    writer.write([
      valid({ kind: 'session_closed', session_id: 'early', ended_at: 900, proxy: 'p' }),
    ]);
    writer.write([valid(sessionEvent({ session_id: 'early', started_at: 100 }))]);
    writer.write([
      valid({ kind: 'session_closed', session_id: 'early', ended_at: 1500, proxy: 'p' }),
    ]);
    expect(session('early')).toMatchObject({
      ended_at: 900,
      started_at: 100,
      client_name: 'claude-desktop',
    });
    writer.write([valid(sessionEvent({ session_id: 's2' }))]);
    writer.write([valid({ kind: 'session_closed', session_id: 's2', ended_at: 7 })]);
    writer.write([valid({ kind: 'session_closed', session_id: 's2', ended_at: 8 })]);
    expect(session('s2')).toMatchObject({ ended_at: 7 });
  });

  it('writes one initial change for the first snapshot and computes the hash', () => {
    const payload = { tools: [{ name: 'a' }] };
    writer.write([schema(payload, 10)]);
    const hash = sha256Hex(JSON.stringify(payload));
    expect(
      db.prepare('SELECT proxy, method, schema_hash, captured_at FROM server_schema').get(),
    ).toEqual({
      proxy: 'p',
      method: 'tools/list',
      schema_hash: hash,
      captured_at: 10,
    });
    expect(changes()).toEqual([
      { change_type: 'initial', item_name: null, old_hash: null, new_hash: hash, detected_at: 10 },
    ]);
  });

  it('writes no change row for an unchanged snapshot', () => {
    writer.write([schema({ tools: [{ name: 'a' }] }, 10)]);
    writer.write([schema({ tools: [{ name: 'a' }] }, 20)]);
    expect(changes()).toHaveLength(1);
    expect(db.prepare('SELECT captured_at FROM server_schema').get()).toEqual({ captured_at: 20 });
  });

  it('diffs tools by name into added, removed and modified rows with both hashes', () => {
    const first = {
      tools: [{ name: 'keep' }, { name: 'gone' }, { name: 'edit', description: 'v1' }],
    };
    const second = {
      tools: [{ name: 'keep' }, { name: 'edit', description: 'v2' }, { name: 'new' }],
    };
    writer.write([schema(first, 10), schema(second, 20)]);
    const rows = changes().slice(1);
    const oldHash = sha256Hex(JSON.stringify(first));
    const newHash = sha256Hex(JSON.stringify(second));
    expect(rows.map((r) => [r.change_type, r.item_name]).sort()).toEqual([
      ['tool_added', 'new'],
      ['tool_modified', 'edit'],
      ['tool_removed', 'gone'],
    ]);
    for (const row of rows)
      expect(row).toMatchObject({ old_hash: oldHash, new_hash: newHash, detected_at: 20 });
  });

  it('does not call a key-order change a modification', () => {
    writer.write([schema({ tools: [{ name: 'a', description: 'd' }], x: 1 }, 10)]);
    writer.write([schema({ x: 2, tools: [{ description: 'd', name: 'a' }] }, 20)]);
    expect(changes().map((r) => r.change_type)).toEqual(['initial', 'updated']);
  });

  it('uses the prefixes of resources, templates and prompts', () => {
    writer.write([
      schema({ resources: [] }, 1, 'resources/list'),
      schema({ resources: [{ name: 'r' }] }, 2, 'resources/list'),
      schema({ resourceTemplates: [] }, 1, 'resources/templates/list'),
      schema({ resourceTemplates: [{ name: 't' }] }, 2, 'resources/templates/list'),
      schema({ prompts: [{ name: 'q' }] }, 1, 'prompts/list'),
      schema({ prompts: [] }, 2, 'prompts/list'),
    ]);
    expect(
      changes()
        .filter((r) => r.change_type !== 'initial')
        .map((r) => r.change_type),
    ).toEqual(['resource_added', 'resource_template_added', 'prompt_removed']);
  });

  it('writes one updated row for other methods', () => {
    writer.write([schema({ serverInfo: { version: '1' } }, 1, 'initialize')]);
    writer.write([schema({ serverInfo: { version: '2' } }, 2, 'initialize')]);
    expect(changes().map((r) => r.change_type)).toEqual(['initial', 'updated']);
  });

  it('keeps the given schema_hash when the event carries one', () => {
    const event = valid({
      kind: 'schema_version',
      ts: 1,
      proxy: 'p',
      upstream_url: 'u',
      method: 'initialize',
      payload: '{}',
      schema_hash: 'f'.repeat(64),
    });
    writer.write([event]);
    expect(db.prepare('SELECT schema_hash FROM server_schema').get()).toEqual({
      schema_hash: 'f'.repeat(64),
    });
  });

  it('rolls the whole batch back when the database is full', () => {
    db.pragma('max_page_count = 1'); // clamps to the current size: no page can be added
    const events = Array.from({ length: 2000 }, () => valid(requestEvent()));
    expect(() => writer.write(events)).toThrow(/full/);
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });
});
