import path from 'node:path';
import { type StoreEvent, validateEvent } from '@mcpr-store/protocol';
import { requestEvent, tempDir } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import type { Piscina } from 'piscina';
import { describe, expect, it } from 'vitest';
import { packColumns } from '../src/writer/column-batch.js';

// The writer thread runs compiled code (piscina loads worker.js), so this
// test takes the built module, as the daemon does.
const built = new URL('../dist/writer/writer-thread.js', import.meta.url).href;
const { WriterThread } = (await import(built)) as typeof import('../src/writer/writer-thread.js');

function request(id: string): StoreEvent {
  const result = validateEvent(requestEvent({ request_id: id }));
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

describe('WriterThread', () => {
  it('opens the database again in a thread started in place of one that died', async () => {
    const dbPath = path.join(tempDir(), 'w.db');
    const writer = new WriterThread();
    try {
      await writer.open({
        db_path: dbPath,
        app_version: 'test',
        max_db_bytes: 0,
        size_bound_bytes: 0,
        tally_operations: true,
      });
      expect(await writer.write([packColumns([request('before')])])).toMatchObject({
        committed: 1,
      });
      const pool = Reflect.get(writer, 'pool') as Piscina;
      const [thread] = pool.threads;
      await thread?.terminate();
      const deadline = Date.now() + 10_000;
      while (pool.threads.length === 0 || pool.threads[0] === thread) {
        if (Date.now() > deadline) throw new Error('no thread replaced the one that died');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await writer.write([packColumns([request('after')])])).toMatchObject({ committed: 1 });
    } finally {
      await writer.close();
    }
    const db = new Database(dbPath, { readonly: true });
    try {
      const ids = db.prepare('SELECT request_id FROM requests ORDER BY request_id').pluck().all();
      expect(ids).toEqual(['after', 'before']);
    } finally {
      db.close();
    }
  });
});
