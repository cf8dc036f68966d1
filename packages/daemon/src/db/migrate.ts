// Migrations run step by step from whatever version the file is at, each
// step in its own transaction, so a file written by any mcpr version ends at
// ours with its rows kept, and a crash mid-way leaves a consistent version.
// Our own indexes (query's own-indexes.ts) follow mcpr's steps.

import { OWN_INDEX_DDL } from '@mcpr-store/query';
import type { Db } from './connection.js';
import { MIGRATION_STEPS, SCHEMA_VERSION } from './schema-sql.js';

export interface MigrationResult {
  from: number;
  to: number;
}

export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(
      `database schema version ${found} is newer than this mcpr-store understands (${SCHEMA_VERSION}); ` +
        'upgrade mcpr-store, the file was left untouched',
    );
    this.name = 'SchemaTooNewError';
  }
}

/** The file's schema version: 0 for a new file, else `meta.schema_version`. */
export function readSchemaVersion(db: Db): number {
  const hasMeta = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    .get();
  if (!hasMeta) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    | { value: string }
    | undefined;
  if (!row) return 0;
  const version = Number.parseInt(row.value, 10);
  if (!Number.isInteger(version) || version < 0) {
    throw new Error(`meta.schema_version is ${JSON.stringify(row.value)}, not a version number`);
  }
  return version;
}

/** Brings the file to SCHEMA_VERSION and stamps `meta.mcpr_version`. */
export function migrate(db: Db, appVersion: string): MigrationResult {
  const from = readSchemaVersion(db);
  if (from > SCHEMA_VERSION) throw new SchemaTooNewError(from);
  for (let version = from; version < SCHEMA_VERSION; version += 1) {
    const step = MIGRATION_STEPS[version] as string;
    db.transaction(() => db.exec(step))();
  }
  // Ours, after mcpr's steps: never part of a version mcpr would recognise.
  db.exec(OWN_INDEX_DDL);
  db.prepare(
    "INSERT INTO meta (key, value) VALUES ('mcpr_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(appVersion);
  return { from, to: SCHEMA_VERSION };
}
