// Small hand-made stores for query tests, written through the daemon's own
// writer so they hold exactly what the daemon would have written.

import path from 'node:path';
import { type StoreEvent, validateEvent } from '@mcpr-store/protocol';
import {
  applyWriterPragmas,
  openWriteConnection,
  prepareNewFile,
} from '../../daemon/src/db/connection.js';
import { migrate } from '../../daemon/src/db/migrate.js';
import { TransactionWriter } from '../../daemon/src/writer/transaction-writer.js';
import { tempDir } from './daemon-process.js';

/** Writes the events (validated like the daemon does) into a new store; returns its path. */
export function buildStore(
  events: Record<string, unknown>[],
  file = path.join(tempDir(), 'store.db'),
): string {
  const db = openWriteConnection(file);
  prepareNewFile(db);
  applyWriterPragmas(db);
  migrate(db, 'test');
  const valid: StoreEvent[] = events.map((raw) => {
    const result = validateEvent(raw);
    if (!result.ok) throw new Error(`fixture event invalid: ${result.reason}`);
    return result.event;
  });
  new TransactionWriter(db).write(valid);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return file;
}
