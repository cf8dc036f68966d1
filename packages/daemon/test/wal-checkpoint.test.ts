// How much the WAL may hold before a commit checkpoints it: room for
// several transactions without a size bound (and then a thread beside the
// writer checkpoints), a sixteenth of the bound with one (the WAL is
// outside the file the bound measures). The size bound's own test
// (retention.test.ts) checks that a bound still holds the file.

import fs from 'node:fs';
import path from 'node:path';
import { StoreClient } from '@mcpr-store/client';
import { type DaemonProcess, startDaemon, tempDir } from '@mcpr-store/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { walCheckpointPages } from '../src/db/connection.js';

const daemons: DaemonProcess[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop('SIGKILL')));
});

describe('walCheckpointPages', () => {
  it('leaves 64 MiB of pages without a bound, a sixteenth of a bound, never below SQLite`s 1,000', () => {
    expect(walCheckpointPages(0, 4096)).toBe(16_384);
    expect(walCheckpointPages(0, 1024)).toBe(65_536);
    expect(walCheckpointPages(1024 * 1024, 4096)).toBe(1_000);
    expect(walCheckpointPages(256 * 1024 * 1024, 4096)).toBe(4_096);
    expect(walCheckpointPages(10 * 1024 ** 3, 4096)).toBe(16_384);
    expect(walCheckpointPages(256 * 1024 * 1024, 1024)).toBe(16_384);
    expect(walCheckpointPages(10 * 1024 ** 3, 1024)).toBe(65_536);
  });

  it('a daemon without a size bound copies the WAL back into the file from a thread beside its writer', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    const d = await startDaemon({ dir, dbPath, args: ['--retain', '0'] });
    daemons.push(d);
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'busy' });
    const fileBytesAtStart = fs.statSync(dbPath).size;
    let largestWalBytes = 0;
    for (let round = 0; round < 10; round += 1) {
      for (let i = 0; i < 3000; i += 1) {
        client.record({
          kind: 'request',
          method: 'tools/call',
          tool: `tool-${i % 10}`,
          session_id: `s-${round}-${i % 50}`,
          latency_us: Math.floor(Math.random() * 2_000_000),
          status: 'ok',
          error_msg: null,
        });
      }
      await client.flush(20_000);
      largestWalBytes = Math.max(largestWalBytes, fs.statSync(`${dbPath}-wal`).size);
    }
    expect(client.stats()).toMatchObject({ committed: 30_000, dropped: 0 });
    // Far below the writer's own interval (64 MiB of WAL, and four of them
    // as a backstop), the rows reach the file within a second or two:
    // only the thread has copied them there.
    expect(largestWalBytes).toBeLessThan(64 * 1024 * 1024);
    const deadline = Date.now() + 10_000;
    while (fs.statSync(dbPath).size < fileBytesAtStart + 4 * 1024 * 1024) {
      if (Date.now() > deadline) throw new Error('no checkpoint copied the WAL into the file');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await client.health(5000)).status).toBe('ok');
    await client.close(10_000);
    // A clean stop: the thread closes its connection before the writer's.
    expect(await d.stop('SIGTERM')).toBe(0);
    expect(d.stderr()).not.toMatch(/checkpoint thread stopped/);
  });
});
