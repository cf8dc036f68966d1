// One daemon per database. The lock is an exclusive SQLite lock on a sidecar
// file (`<db>.lock`): the kernel releases it when the holder dies, so a crash
// or kill -9 can never leave it stuck, and it needs no PID guessing.

import fs from 'node:fs';
import Database from 'better-sqlite3';

export class DatabaseInUseError extends Error {
  constructor(readonly dbPath: string) {
    super(
      `database ${dbPath} is in use by another mcpr-store daemon (lock held on ${dbPath}.lock); ` +
        'stop that daemon first or choose another --db',
    );
    this.name = 'DatabaseInUseError';
  }
}

export interface DbLock {
  release(): void;
}

export function acquireDbLock(dbPath: string): DbLock {
  const lockPath = `${dbPath}.lock`;
  const db = new Database(lockPath, { timeout: 0 });
  try {
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    // The first write takes the EXCLUSIVE lock; in this locking mode it is
    // kept until the connection closes.
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL, since_ms INTEGER NOT NULL)');
    db.exec('BEGIN EXCLUSIVE');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid, since_ms) VALUES (?, ?)').run(process.pid, Date.now());
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new DatabaseInUseError(dbPath);
    }
    throw error;
  }
  return {
    release: () => {
      if (db.open) db.close();
    },
  };
}

/**
 * The database's files (the file, its WAL and shared memory, its lock) that
 * do not exist yet; `remove()` deletes those that exist by then, so a start
 * that fails leaves the folder as it found it.
 */
export function filesCreatedFrom(dbPath: string): { remove(): void } {
  const absent = [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, `${dbPath}.lock`].filter(
    (file) => !fs.existsSync(file),
  );
  return {
    remove: () => {
      for (const file of absent) fs.rmSync(file, { force: true });
    },
  };
}
