// The checkpointer's thread: its own connection to the database, copying
// the WAL's committed pages back into the file (a PASSIVE checkpoint) when
// the main thread asks, so the writer's commits do not do it. PASSIVE never
// waits for the writer or for readers: it copies what it can and the
// writer's next commits go on appending meanwhile.

import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** A checkpoint's end: done, or the error it met. */
export interface CheckpointAnswer {
  ok: boolean;
  error?: string;
}

const { dbPath } = workerData as { dbPath: string };
// The writer created and migrated the file; this connection never does.
const db = new Database(dbPath, { fileMustExist: true });
db.pragma('wal_autocheckpoint = 0');

parentPort?.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  let answer: CheckpointAnswer;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    answer = { ok: true };
  } catch (error) {
    answer = { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(answer);
});
