// The writer thread. It owns the only read-write connection to the database:
// the socket loop on the main thread never waits on disk, and SQLite never
// sees two writers contend for its lock. Each write task is one
// transaction. After an I/O fault the connection is dropped and reopened on
// the next task, so a fault that clears (space freed, permissions restored)
// heals without a restart; a thread that piscina starts in place of one that
// died opens the database from what every write carries.

import {
  applyWriterPragmas,
  type Db,
  openWriteConnection,
  prepareNewFile,
  walCheckpointPages,
} from '../db/connection.js';
import { migrate, readSchemaVersion, SchemaTooNewError } from '../db/migrate.js';
import { SCHEMA_VERSION } from '../db/schema-sql.js';
import type { ColumnBatch } from './column-batch.js';
import {
  type ReplicationCursor,
  type ReplicationStart,
  recordCursor,
  startReplication,
} from './replication-meta.js';
import { Retention, type RetentionPolicy, type RetentionStep } from './retention.js';
import { Rollups } from './rollups.js';
import { type TransactionOutcome, TransactionWriter } from './transaction-writer.js';

export interface OpenTask {
  op: 'open';
  db_path: string;
  app_version: string;
  /** Cap on the database size; writes beyond it fail as SQLITE_FULL. 0 = no cap. */
  max_db_bytes: number;
  /** The smaller of the size bounds (0 = none): the WAL's share of it (db/connection.ts's walCheckpointPages). */
  size_bound_bytes: number;
  /** Tally inserted requests for the metrics' operations histogram (only when metrics are served). */
  tally_operations: boolean;
}
export interface WriteTask {
  op: 'write';
  /** Written in order, in one transaction. */
  batches: ColumnBatch[];
  /**
   * How the daemon opened the database: a thread that piscina started in
   * place of one that died has not, and opens it itself.
   */
  reopen: OpenTask | null;
}
export interface RetainTask {
  op: 'retain';
  policy: RetentionPolicy;
  now_ms: number;
  /** Replication is on: keep every request not shipped yet. */
  shipped_only: boolean;
  /** As WriteTask.reopen. */
  reopen: OpenTask | null;
}
/** Replication starts: this store's origin and cursor for the target. */
export interface ReplicationStartTask {
  op: 'replication_start';
  /** The target URL without its password. */
  target: string;
  reopen: OpenTask | null;
}
/** PostgreSQL committed up to this cursor. */
export interface ReplicationCursorTask {
  op: 'replication_cursor';
  cursor: ReplicationCursor;
  reopen: OpenTask | null;
}
export interface CloseTask {
  op: 'close';
}
export type WriterTask =
  | OpenTask
  | WriteTask
  | RetainTask
  | ReplicationStartTask
  | ReplicationCursorTask
  | CloseTask;

export interface OpenResult {
  schema_version: number;
  migrated_from: number;
  /** What the rollups needed at open (see rollups.ts). */
  rollups: 'current' | 'upgraded' | 'caught_up' | 'rebuilt';
  /** How long that took. */
  rollups_ms: number;
  /** The WAL is checkpointed by a thread beside the writer (checkpointer.ts); the writer's own interval is a backstop. */
  checkpoints_in_thread: boolean;
}

/** The writer's own checkpoint, when a thread checkpoints beside it, comes after this many of its intervals. */
const BACKSTOP_INTERVALS = 4;

let settings: OpenTask | null = null;
let db: Db | null = null;
let writer: TransactionWriter | null = null;
let retention: Retention | null = null;

function open(task: OpenTask): OpenResult {
  const connection = openWriteConnection(task.db_path);
  try {
    // Check before any pragma: a file from a newer version stays untouched.
    const found = readSchemaVersion(connection);
    if (found > SCHEMA_VERSION) throw new SchemaTooNewError(found);
    if (found === 0 && (connection.pragma('page_count', { simple: true }) as number) === 0) {
      prepareNewFile(connection);
    }
    applyWriterPragmas(connection);
    // In the file's own pages: a file made elsewhere (mcpr's) may have another size.
    const pageBytes = connection.pragma('page_size', { simple: true }) as number;
    if (task.max_db_bytes > 0) {
      connection.pragma(`max_page_count = ${Math.ceil(task.max_db_bytes / pageBytes)}`);
    }
    // Without a size bound a thread of its own checkpoints (checkpointer.ts)
    // and the writer's interval is a backstop; under a bound the WAL stays
    // within its share of it, so the writer checkpoints at that share itself.
    const inThread = task.size_bound_bytes <= 0;
    const intervalPages = walCheckpointPages(task.size_bound_bytes, pageBytes);
    connection.pragma(
      `wal_autocheckpoint = ${inThread ? intervalPages * BACKSTOP_INTERVALS : intervalPages}`,
    );
    const result = migrate(connection, task.app_version);
    const catchUpStarted = performance.now();
    const rollups = new Rollups(connection);
    const rolled = rollups.catchUp();
    const rollupsMs = Math.round(performance.now() - catchUpStarted);
    writer = new TransactionWriter(connection, { tallyOperations: task.tally_operations, rollups });
    retention = new Retention(connection, rollups);
    db = connection;
    settings = task;
    return {
      schema_version: result.to,
      migrated_from: result.from,
      rollups: rolled,
      rollups_ms: rollupsMs,
      checkpoints_in_thread: inThread,
    };
  } catch (error) {
    connection.close();
    throw error;
  }
}

function closeConnection(): void {
  const current = db;
  db = null;
  writer = null;
  retention = null;
  if (current?.open) {
    try {
      current.close();
    } catch {
      // Closing after a fault may fail again; the handle is dropped either way.
    }
  }
}

/** Opens the database again when a fault closed it, or in a thread that replaced one that died. */
function ensureOpen(reopen: OpenTask | null): void {
  if (writer) return;
  const how = settings ?? reopen;
  if (!how) throw new Error('writer used before open');
  open(how);
}

function write(batches: ColumnBatch[], reopen: OpenTask | null): TransactionOutcome {
  ensureOpen(reopen);
  try {
    return (writer as TransactionWriter).writeBatches(batches);
  } catch (error) {
    closeConnection();
    throw portable(error);
  }
}

function retain(task: RetainTask): RetentionStep {
  ensureOpen(task.reopen);
  try {
    // Deletes recount hours from the rows: what waits in memory goes first.
    (writer as TransactionWriter).flushRollups();
    return (retention as Retention).step(task.policy, task.now_ms, task.shipped_only);
  } catch (error) {
    closeConnection();
    throw portable(error);
  }
}

/** Runs `work` on the open connection; a fault closes it (reopened at the next task). */
function withConnection<T>(reopen: OpenTask | null, work: (connection: Db) => T): T {
  ensureOpen(reopen);
  try {
    return work(db as Db);
  } catch (error) {
    closeConnection();
    throw portable(error);
  }
}

/**
 * SQLite's error class loses its message crossing the thread boundary; a
 * plain Error with the code in its text arrives whole.
 */
function portable(error: unknown): Error {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const plain = new Error(typeof code === 'string' ? `${code}: ${message}` : message);
  if (typeof code === 'string') Object.assign(plain, { code });
  return plain;
}

export default function run(
  task: WriterTask,
): OpenResult | TransactionOutcome | RetentionStep | ReplicationStart | null {
  switch (task.op) {
    case 'open':
      closeConnection();
      try {
        return open(task);
      } catch (error) {
        throw portable(error);
      }
    case 'write':
      return write(task.batches, task.reopen);
    case 'retain':
      return retain(task);
    case 'replication_start':
      return withConnection(task.reopen, (connection) => startReplication(connection, task.target));
    case 'replication_cursor':
      withConnection(task.reopen, (connection) => recordCursor(connection, task.cursor));
      return null;
    case 'close':
      try {
        writer?.flushRollups();
      } catch {
        // Counts that could not be written are caught up at the next open.
      }
      closeConnection();
      settings = null;
      return null;
  }
}
