// The reference format, mcpr's four migration steps, as SQL fixtures kept
// in this package (fixtures/mcpr-v1.sql .. mcpr-v4.sql), so migration tests
// compare our format against mcpr's own DDL rather than against a copy of
// our own code, and a clone needs nothing beside it to run them.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type Database from 'better-sqlite3';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

/** The SQL of mcpr's migration step to `version` (1..4). */
export function mcprStepSql(version: number): string {
  return fs.readFileSync(path.join(FIXTURES, `mcpr-v${version}.sql`), 'utf8');
}

/** Applies mcpr's steps up to `version` (1..4), as mcpr would have. */
export function buildSeedDatabase(db: Database.Database, version: number): void {
  for (let step = 1; step <= version; step += 1) db.exec(mcprStepSql(step));
}

/** mcpr's tables, columns, indexes (with partial conditions) in a comparable form; our own mcpr_store_* objects left out. */
export function describeSchema(db: Database.Database): unknown {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'mcpr_store_%' ORDER BY name",
    )
    .all() as { name: string }[];
  return tables.map(({ name }) => ({
    table: name,
    columns: db.prepare(`PRAGMA table_xinfo(${JSON.stringify(name)})`).all(),
    indexes: (
      db
        .prepare(
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name NOT LIKE 'mcpr_store_%' ORDER BY name",
        )
        .all(name) as { name: string; sql: string | null }[]
    ).map((index) => ({
      name: index.name,
      // Whitespace is not format; everything else (columns, order, WHERE) is.
      sql: index.sql?.replace(/\s+/g, ' ').trim() ?? null,
      columns: db.prepare(`PRAGMA index_xinfo(${JSON.stringify(index.name)})`).all(),
    })),
    constraints: normaliseTableSql(
      (
        db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as {
          sql: string;
        }
      ).sql,
    ),
  }));
}

/** CHECK and UNIQUE clauses of a CREATE TABLE, comments and spacing removed. */
function normaliseTableSql(sql: string): string[] {
  const clean = sql.replace(/--[^\n]*/g, '').replace(/\s+/g, ' ');
  return [...clean.matchAll(/(CHECK \([^)]*\)|UNIQUE\s*\([^)]*\))/gi)].map((m) =>
    (m[1] as string).replace(/\s+/g, '').toUpperCase(),
  );
}
