// What every question is asked of: a store, on SQLite (the daemon's file)
// or PostgreSQL (where daemons replicate). One set of query definitions
// speaks to both through this small interface: rows for SQL with named
// parameters (`@name`), one snapshot for several statements, and the
// dialect, where the SQL must differ. The SQLite connection itself stays
// reachable for what only SQLite has (the rollups, functions called per
// row). Functions of the query layer accept a better-sqlite3 connection
// too, as they always have: it is wrapped here, once.

import type { Db } from './connection.js';
import { SqliteStore } from './sqlite-store.js';

export type Dialect = 'sqlite' | 'postgres';
export type Params = Record<string, unknown>;

export interface Store {
  readonly dialect: Dialect;
  /** The SQLite connection, for SQLite's own fast paths; null on PostgreSQL. */
  readonly sqlite: Db | null;
  /** Every row, as objects keyed by column name. */
  all<T>(sql: string, params?: Params): T[];
  /** The first row, or undefined. */
  get<T>(sql: string, params?: Params): T | undefined;
  /** Runs `read` with every statement on one snapshot of the data. */
  snapshot<T>(read: () => T): T;
  close(): void;
}

/** A store, or a SQLite connection to ask as one. */
export type Source = Store | Db;

const wrapped = new WeakMap<Db, Store>();

export function storeOf(source: Source): Store {
  if ('dialect' in source) return source;
  let store = wrapped.get(source);
  if (!store) {
    store = new SqliteStore(source);
    wrapped.set(source, store);
  }
  return store;
}

/** SQLite's index hint (it would pick a worse plan without it); PostgreSQL plans alone. */
export function indexedBy(store: Store, index: string): string {
  return store.dialect === 'sqlite' ? `INDEXED BY ${index}` : '';
}

/**
 * `100.0 * a / b` as both compute it alike: in IEEE doubles (PostgreSQL's
 * 100.0 would be an exact decimal, whose rounding differs in the last bit).
 */
export function percentOf(part: string, whole: string): string {
  return `CAST(100 AS DOUBLE PRECISION) * (${part}) / (${whole})`;
}

/** 1 when `condition` holds, else 0, summable in both (PostgreSQL sums no booleans). */
export function oneIf(condition: string): string {
  return `CASE WHEN ${condition} THEN 1 ELSE 0 END`;
}
