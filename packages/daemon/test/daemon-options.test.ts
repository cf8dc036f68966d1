// Daemon.start used as a library: a bad option is a TypeError naming it,
// raised before any file is created.
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '@mcpr-store/test-utils';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { Daemon, type DaemonOptions, DEFAULT_OPTIONS } from '../src/server/daemon.js';

function options(dir: string, overrides: Partial<DaemonOptions>): DaemonOptions {
  return {
    ...DEFAULT_OPTIONS,
    dbPath: path.join(dir, 'store.db'),
    socketPath: path.join(dir, 'store.sock'),
    logger: createLogger('error'),
    ...overrides,
  };
}

describe('Daemon.start options', () => {
  it.each([
    [
      { transactionMaxEvents: Number.NaN },
      /option transactionMaxEvents: expected a whole number of 1 or more, got NaN/,
    ],
    [{ maxHeldBytes: -5 }, /option maxHeldBytes/],
    [{ frameTimeoutMs: 1.5 }, /option frameTimeoutMs/],
    [{ maxDbBytes: -1 }, /option maxDbBytes/],
    [{ dbPath: '' }, /option dbPath: expected a non-empty path/],
    [{ logger: undefined as never }, /option logger/],
  ])('refuses %o before touching any file', async (overrides, message) => {
    const dir = tempDir();
    const started = Daemon.start(options(dir, overrides));
    await expect(started).rejects.toThrow(TypeError);
    await expect(started).rejects.toThrow(message);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
