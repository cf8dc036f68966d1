import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildSeedDatabase, describeSchema, tempDir } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { applyWriterPragmas, openWriteConnection } from '../src/db/connection.js';
import { migrate, SchemaTooNewError } from '../src/db/migrate.js';

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

function fresh(name: string): Database.Database {
  const db = new Database(path.join(tempDir(), name));
  open.push(db);
  return db;
}

function seedAt(version: number): Database.Database {
  const db = fresh(`v${version}.db`);
  buildSeedDatabase(db, version);
  const latency = version >= 4 ? 'latency_us' : 'latency_ms';
  const insert = db.prepare(
    `INSERT INTO requests (request_id, ts, proxy, session_id, method, tool, ${latency}, status) VALUES (?, ?, 'p', 's1', 'tools/call', 'search', ?, 'ok')`,
  );
  insert.run('r1', 1000, 12);
  insert.run('r2', 2000, 250);
  db.prepare(
    "INSERT INTO sessions (session_id, proxy, started_at, last_seen_at, client_name, total_calls) VALUES ('s1', 'p', 900, 2000, 'cursor', 2)",
  ).run();
  if (version >= 2) {
    db.prepare(
      "INSERT INTO server_schema (upstream_url, method, payload, captured_at, schema_hash) VALUES ('http://up', 'tools/list', '{}', 5, 'h1')",
    ).run();
    db.prepare(
      "INSERT INTO schema_changes (upstream_url, method, change_type, new_hash, detected_at) VALUES ('http://up', 'tools/list', 'initial', 'h1', 5)",
    ).run();
  }
  return db;
}

describe('migrations', () => {
  it('builds a fresh file identical in structure to the seed at version 4', () => {
    const ours = fresh('ours.db');
    expect(migrate(ours, '9.9.9')).toEqual({ from: 0, to: 4 });
    const reference = fresh('ref.db');
    buildSeedDatabase(reference, 4);
    expect(describeSchema(ours)).toEqual(describeSchema(reference));
    // Beside mcpr's structure, ours only: two indexes, named as ours.
    const names = (db: Database.Database) =>
      db.prepare('SELECT type, name, tbl_name FROM sqlite_master ORDER BY name').all();
    const mcprNames = new Set(names(reference).map((r) => JSON.stringify(r)));
    expect(names(ours).filter((r) => !mcprNames.has(JSON.stringify(r)))).toEqual([
      { type: 'index', name: 'mcpr_store_sessions_seen', tbl_name: 'sessions' },
      { type: 'index', name: 'mcpr_store_sessions_started', tbl_name: 'sessions' },
    ]);
    const meta = Object.fromEntries(
      (ours.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map(
        (r) => [r.key, r.value],
      ),
    );
    expect(meta.schema_version).toBe('4');
    expect(meta.mcpr_version).toBe('9.9.9');
    expect(meta.created_at).toMatch(/^\d+000$/);
  });

  for (const version of [1, 2, 3]) {
    it(`migrates a version ${version} file in place, keeping its rows`, () => {
      const db = seedAt(version);
      expect(migrate(db, '1.0.0')).toEqual({ from: version, to: 4 });
      const reference = fresh('ref.db');
      buildSeedDatabase(reference, 4);
      expect(describeSchema(db)).toEqual(describeSchema(reference));
      // V4 turned milliseconds into microseconds.
      expect(db.prepare('SELECT request_id, latency_us FROM requests ORDER BY id').all()).toEqual([
        { request_id: 'r1', latency_us: 12_000 },
        { request_id: 'r2', latency_us: 250_000 },
      ]);
      expect(db.prepare('SELECT client_name, total_calls FROM sessions').get()).toEqual({
        client_name: 'cursor',
        total_calls: 2,
      });
      if (version >= 2) {
        expect(
          db.prepare('SELECT proxy, upstream_url, schema_hash FROM server_schema').all(),
        ).toEqual([{ proxy: 'default', upstream_url: 'http://up', schema_hash: 'h1' }]);
        expect(db.prepare('SELECT proxy, change_type FROM schema_changes').all()).toEqual([
          { proxy: 'default', change_type: 'initial' },
        ]);
      }
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get()).toEqual({
        value: '4',
      });
    });
  }

  it('leaves a version 4 file as it is and only stamps mcpr_version', () => {
    const db = seedAt(4);
    expect(migrate(db, '2.0.0')).toEqual({ from: 4, to: 4 });
    expect(db.prepare('SELECT latency_us FROM requests ORDER BY id').all()).toEqual([
      { latency_us: 12 },
      { latency_us: 250 },
    ]);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'mcpr_version'").get()).toEqual({
      value: '2.0.0',
    });
  });

  it('refuses a file from a newer schema version and leaves it byte for byte untouched', () => {
    const dir = tempDir();
    const file = path.join(dir, 'future.db');
    const setup = new Database(file);
    buildSeedDatabase(setup, 4);
    setup.prepare("UPDATE meta SET value = '5' WHERE key = 'schema_version'").run();
    setup.close();
    const digest = () => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const before = digest();
    const db = openWriteConnection(file);
    open.push(db);
    expect(() => migrate(db, '1.0.0')).toThrow(SchemaTooNewError);
    expect(() => migrate(db, '1.0.0')).toThrow(/schema version 5 is newer/);
    db.close();
    expect(digest()).toBe(before);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('uses the pragmas of the reference store', () => {
    const db = openWriteConnection(path.join(tempDir(), 'p.db'));
    open.push(db);
    applyWriterPragmas(db);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('cache_size', { simple: true })).toBe(-64000);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
  });
});
