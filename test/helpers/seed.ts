// The reference schema, read from mcpr's own seed (shared/seed/schema.rs,
// beside the repository), so migration tests compare our format against the
// source of truth rather than against a copy of our own code.

import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { REPO_ROOT } from './daemon-process.js';

export const SEED_PATH = path.resolve(REPO_ROOT, '../shared/seed/schema.rs');

export interface SeedSql {
  V1_SCHEMA: string;
  V1_META_SEED: string;
  V2_SCHEMA: string;
  V3_SCHEMA: string;
  V4_SCHEMA: string;
}

export function readSeed(): SeedSql {
  if (!fs.existsSync(SEED_PATH)) {
    throw new Error(`the reference schema is missing: expected ${SEED_PATH}`);
  }
  const text = fs.readFileSync(SEED_PATH, 'utf8');
  const constants: Record<string, string> = {};
  for (const match of text.matchAll(/pub const (\w+): &str = "([\s\S]*?)";\n/g)) {
    constants[match[1] as string] = match[2] as string;
  }
  for (const name of ['V1_SCHEMA', 'V1_META_SEED', 'V2_SCHEMA', 'V3_SCHEMA', 'V4_SCHEMA']) {
    if (!constants[name]) throw new Error(`${name} not found in ${SEED_PATH}`);
  }
  return constants as unknown as SeedSql;
}

/** Applies the seed's steps up to `version` (1..4), as mcpr would have. */
export function buildSeedDatabase(db: Database.Database, version: number): void {
  const seed = readSeed();
  db.exec(seed.V1_SCHEMA);
  db.exec(seed.V1_META_SEED);
  if (version >= 2) db.exec(seed.V2_SCHEMA);
  if (version >= 3) db.exec(seed.V3_SCHEMA);
  if (version >= 4) db.exec(seed.V4_SCHEMA);
}

/** Tables, columns, indexes (with partial conditions) in a comparable form. */
export function describeSchema(db: Database.Database): unknown {
  const tables = db
    .prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .all() as { name: string }[];
  return tables.map(({ name }) => ({
    table: name,
    columns: db.prepare(`PRAGMA table_xinfo(${JSON.stringify(name)})`).all(),
    indexes: (
      db
        .prepare(
          "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name",
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
