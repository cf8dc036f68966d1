// What a program sees when something goes wrong: options checked at
// construction, stable error codes on every rejection and 'error' event, a
// lost daemon reported once, and stats that tell the truth after close()
// and after a reconnect.
import path from 'node:path';
import { startDaemon, tempDir } from '@mcpr-store/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, StoreClient, StoreClientError } from '../src/index.js';

const clients: StoreClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close(500)));
});

function client(options: Partial<ConstructorParameters<typeof StoreClient>[0]> = {}) {
  const c = new StoreClient({
    socketPath: path.join(tempDir(), 'absent.sock'),
    proxy: 'p',
    ...options,
  });
  clients.push(c);
  return c;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('StoreClient options', () => {
  it.each([
    [{ proxy: '' }, /option proxy: expected a non-empty name/],
    [{ proxy: undefined }, /option proxy/],
    [
      { batchMaxEvents: Number.NaN },
      /option batchMaxEvents: expected a number of 1 or more, got NaN/,
    ],
    [{ batchMaxEvents: 0 }, /option batchMaxEvents/],
    [{ timeoutMs: -1 }, /option timeoutMs: expected a number of 0 or more, got -1/],
    [{ maxQueueEvents: Number.POSITIVE_INFINITY }, /option maxQueueEvents/],
    [
      { reconnectMinMs: 100, reconnectMaxMs: 50 },
      /option reconnectMaxMs: expected a number of 100/,
    ],
    [{ socketPath: '' }, /option socketPath/],
  ])('refuses %o with a TypeError naming the option', (options, message) => {
    const make = () =>
      new StoreClient({ proxy: 'p', ...(options as Record<string, unknown>) } as never);
    expect(make).toThrow(TypeError);
    expect(make).toThrow(message);
  });
});

describe('StoreClient errors', () => {
  it('rejects flush and health on timeout with their codes', async () => {
    const c = client();
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
    const flushed = await c.flush(200).catch((error: unknown) => error);
    expect(flushed).toBeInstanceOf(StoreClientError);
    expect(flushed).toMatchObject({ code: CLIENT_ERROR_CODES.FLUSH_TIMEOUT });
    const health = await c.health(200).catch((error: unknown) => error);
    expect(health).toMatchObject({ code: CLIENT_ERROR_CODES.HEALTH_TIMEOUT });
  });

  it('rejects flush and health after close() with ERR_CLOSED, and shows itself disconnected', async () => {
    const d = await startDaemon();
    try {
      const c = client({ socketPath: d.socketPath });
      c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
      await c.flush(10_000);
      expect(c.stats().connected).toBe(true);
      await c.close();
      expect(c.stats().connected).toBe(false);
      await expect(c.flush()).rejects.toMatchObject({ code: CLIENT_ERROR_CODES.CLOSED });
      await expect(c.health()).rejects.toMatchObject({ code: CLIENT_ERROR_CODES.CLOSED });
      // A second close is harmless.
      await c.close();
    } finally {
      await d.stop('SIGKILL');
    }
  });

  it('reports a daemon that stays away once, with ERR_DAEMON_UNREACHABLE, not on every retry', async () => {
    const c = client({ reconnectMinMs: 10, reconnectMaxMs: 20 });
    const errors: StoreClientError[] = [];
    c.on('error', (error: StoreClientError) => errors.push(error));
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
    await sleep(600);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StoreClientError);
    expect(errors[0]?.code).toBe(CLIENT_ERROR_CODES.DAEMON_UNREACHABLE);
    expect(errors[0]?.message).toMatch(/cannot reach the daemon at .*absent\.sock/);
  });

  it('clears last_error once the daemon answers again', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'store.sock');
    const c = client({ socketPath, reconnectMinMs: 10, reconnectMaxMs: 50 });
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
    await sleep(100);
    expect(c.stats().last_error).toMatch(/ENOENT|ECONNREFUSED/);
    const d = await startDaemon({ dir, socketPath });
    try {
      await c.flush(10_000);
      expect(c.stats()).toMatchObject({ connected: true, last_error: null, committed: 1 });
    } finally {
      await d.stop('SIGKILL');
    }
  });

  it('gives each rejected event a code beside its reason', async () => {
    const d = await startDaemon();
    try {
      const c = client({ socketPath: d.socketPath });
      c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'weird' as never });
      c.record({ kind: 'request', method: 'm', latency_us: 1n as never, status: 'ok' });
      await c.flush(10_000);
      const [rejection] = c.stats().last_rejections;
      expect(rejection).toMatchObject({ code: 'ERR_EVENT_REJECTED' });
      expect(rejection?.reason).toMatch(/^status: must be one of ok, error, timeout/);
    } finally {
      await d.stop('SIGKILL');
    }
  });
});
