// How much the WAL may hold before a commit checkpoints it: room for
// several transactions without a size bound, a sixteenth of the bound with
// one (the WAL is outside the file the bound measures). The size bound's
// own test (retention.test.ts) checks that a bound still holds the file.

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

  it('a daemon without a size bound lets the WAL grow past SQLite`s interval before it checkpoints', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    const d = await startDaemon({ dir, dbPath, args: ['--retain', '0'] });
    daemons.push(d);
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'busy' });
    let largestWalBytes = 0;
    for (let round = 0; round < 20; round += 1) {
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
    await client.close(10_000);
    expect(client.stats()).toMatchObject({ committed: 60_000, dropped: 0 });
    // SQLite's 1,000 pages would have reset it at about 4 MB plus one transaction.
    expect(largestWalBytes).toBeGreaterThan(12 * 1024 * 1024);
    expect(largestWalBytes).toBeLessThan(64 * 1024 * 1024 + 16 * 1024 * 1024);
  });
});
