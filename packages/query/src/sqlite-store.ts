// The store on the SQLite file: better-sqlite3's statements, prepared once
// per SQL text and kept, and a read transaction as the snapshot.

import type { Db } from './connection.js';
import type { Dialect, Params, Store } from './store.js';

export class SqliteStore implements Store {
  readonly dialect: Dialect = 'sqlite';
  private readonly statements = new Map<string, ReturnType<Db['prepare']>>();

  constructor(readonly sqlite: Db) {}

  private statement(sql: string): ReturnType<Db['prepare']> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.sqlite.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  all<T>(sql: string, params: Params = {}): T[] {
    return this.statement(sql).all(params) as T[];
  }

  get<T>(sql: string, params: Params = {}): T | undefined {
    return this.statement(sql).get(params) as T | undefined;
  }

  snapshot<T>(read: () => T): T {
    // Nested snapshots join the outer one.
    if (this.sqlite.inTransaction) return read();
    return this.sqlite.transaction(read)();
  }

  close(): void {
    this.sqlite.close();
  }
}
