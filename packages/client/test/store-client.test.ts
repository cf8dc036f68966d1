// StoreClient against the real daemon process.
import path from 'node:path';
import { type DaemonProcess, queryStore, startDaemon, tempDir } from '@mcpr-store/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreClient } from '../src/index.js';

const daemons: DaemonProcess[] = [];
const clients: StoreClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close(1000)));
  await Promise.all(daemons.splice(0).map((d) => d.stop('SIGKILL')));
});

function client(
  socketPath: string,
  options: Partial<ConstructorParameters<typeof StoreClient>[0]> = {},
) {
  const created = new StoreClient({ socketPath, proxy: 'proxy-a', ...options });
  clients.push(created);
  return created;
}

const rows = queryStore;

/**
 * A stand-in daemon that welcomes with 4 MiB frames and the given protocol
 * version. With `acks`, it keeps every batch's events as it decoded them
 * and acks them all as committed; without, it never acknowledges anything.
 */
async function fakeDaemon(socketPath: string, { version = 1, acks = false } = {}) {
  const net = await import('node:net');
  const { encodeFrame, FrameDecoder } = await import('@mcpr-store/protocol');
  const sockets = new Set<import('node:net').Socket>();
  const received = { bytes: 0, events: [] as unknown[] };
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      received.bytes += chunk.length;
      if (!acks) return;
      for (const message of decoder.push(chunk).values as Record<string, unknown>[]) {
        if (message.type !== 'batch') continue;
        const events = message.events as unknown[];
        received.events.push(...events);
        const ack = { type: 'ack', seq: message.seq, committed: events.length, rejected: [] };
        socket.write(encodeFrame({ ...ack, duplicates: 0 }));
      }
    });
    socket.write(
      encodeFrame({
        type: 'welcome',
        version,
        daemon_version: 'x',
        max_frame_bytes: 1 << 22,
        max_batch_events: 10_000,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** A daemon of protocol version 1 that never acknowledges anything. */
function silentDaemon(socketPath: string) {
  return fakeDaemon(socketPath);
}

describe('StoreClient', () => {
  it('records, fills ids, times and proxy, and flush resolves once committed', async () => {
    const d = await startDaemon();
    daemons.push(d);
    const c = client(d.socketPath);
    const before = Date.now();
    c.record({
      kind: 'session',
      session_id: 's1',
      client_name: 'cursor',
      client_platform: 'cursor',
    });
    for (let i = 0; i < 250; i += 1) {
      c.record({
        kind: 'request',
        session_id: 's1',
        method: 'tools/call',
        tool: 'search',
        latency_us: i,
        status: 'ok',
      });
    }
    c.record({
      kind: 'schema_version',
      upstream_url: 'http://up',
      method: 'tools/list',
      payload: { tools: [] },
    });
    c.record({ kind: 'session_closed', session_id: 's1' });
    await c.flush();
    expect(c.stats()).toMatchObject({
      queued: 0,
      in_flight: 0,
      committed: 253,
      rejected: 0,
      dropped: 0,
    });
    const requests = rows<{ request_id: string; ts: number; proxy: string }>(
      d.dbPath,
      'SELECT request_id, ts, proxy FROM requests',
    );
    expect(requests).toHaveLength(250);
    for (const row of requests) {
      expect(row.request_id).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(row.ts).toBeGreaterThanOrEqual(before);
      expect(row.proxy).toBe('proxy-a');
    }
    expect(
      rows(d.dbPath, 'SELECT proxy, total_calls, ended_at IS NOT NULL AS ended FROM sessions'),
    ).toEqual([{ proxy: 'proxy-a', total_calls: 250, ended: 1 }]);
    expect(rows(d.dbPath, 'SELECT payload FROM server_schema')).toEqual([
      { payload: '{"tools":[]}' },
    ]);
  });

  it('keeps and emits the reason of a rejected event and does not resend it', async () => {
    const d = await startDaemon();
    daemons.push(d);
    const c = client(d.socketPath);
    const seen: string[] = [];
    c.on('rejected', ({ reason }: { reason: string }) => seen.push(reason));
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'weird' as 'ok' });
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
    await c.flush();
    expect(seen).toEqual(['status: must be one of ok, error, timeout, got "weird"']);
    expect(c.stats()).toMatchObject({ committed: 1, rejected: 1 });
    expect(c.stats().last_rejections[0]?.event.status).toBe('weird');
    const health = await c.health();
    expect(health).toMatchObject({ received: 2, rejected: 1, committed: 1 });
  });

  it('works when the daemon starts after the client', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'store.sock');
    const c = client(socketPath, { reconnectMaxMs: 200 });
    for (let i = 0; i < 100; i += 1)
      c.record({ kind: 'request', method: 'm', latency_us: i, status: 'ok' });
    const flushed = c.flush(20_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(c.stats().queued).toBe(100);
    const d = await startDaemon({ dir, socketPath });
    daemons.push(d);
    await flushed;
    expect(rows(d.dbPath, 'SELECT COUNT(*) AS n FROM requests')).toEqual([{ n: 100 }]);
  });

  it('rejects flush with a clear error when the daemon never answers', async () => {
    const c = client(path.join(tempDir(), 'absent.sock'));
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
    await expect(c.flush(300)).rejects.toThrow(
      /flush timed out after 300 ms with 1 events unanswered/,
    );
    await expect(c.health(300)).rejects.toThrow(/no health answer within 300 ms/);
    expect(c.stats().last_error).toMatch(/ENOENT|ECONNREFUSED/);
  });

  it('drops the oldest events when its queue is full, counts them and tells the daemon', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'store.sock');
    const c = client(socketPath, { maxQueueEvents: 50, reconnectMaxMs: 100 });
    for (let i = 0; i < 80; i += 1) {
      c.record({ kind: 'request', request_id: `q-${i}`, method: 'm', latency_us: i, status: 'ok' });
    }
    expect(c.stats()).toMatchObject({ queued: 50, dropped: 30 });
    const d = await startDaemon({ dir, socketPath });
    daemons.push(d);
    await c.flush(20_000);
    const ids = rows<{ request_id: string }>(
      d.dbPath,
      'SELECT request_id FROM requests ORDER BY request_id',
    );
    expect(ids.map((r) => r.request_id).sort()).toEqual(
      Array.from({ length: 50 }, (_, i) => `q-${i + 30}`).sort(),
    );
    const health = await c.health();
    expect(health.dropped_by_clients).toBe(30);
    expect(health.status).toBe('degraded');
  });

  it('cuts batches to the daemon frame limit and rejects an event no frame can hold', async () => {
    const d = await startDaemon({ args: ['--max-frame-bytes', '65536'] });
    daemons.push(d);
    const c = client(d.socketPath);
    const seen: string[] = [];
    c.on('rejected', ({ reason }: { reason: string }) => seen.push(reason));
    await c.health();
    // 300 events of about 2 KB: 600 KB, more than nine frames' worth.
    for (let i = 0; i < 300; i += 1) {
      c.record({
        kind: 'request',
        method: 'm',
        latency_us: i,
        status: 'error',
        error_msg: `${i}:${'e'.repeat(2000)}`,
      });
      if (i === 150) {
        // Each string fits in a frame, the event as a whole does not.
        c.record({
          kind: 'request',
          method: 'huge',
          tool: 't'.repeat(40_000),
          latency_us: 1,
          status: 'error',
          error_msg: 'h'.repeat(40_000),
        });
        // One string longer than a frame: refused at once, never encoded.
        c.record({
          kind: 'request',
          method: 'huger',
          latency_us: 1,
          status: 'error',
          error_msg: 'h'.repeat(100_000),
        });
        expect(c.stats().rejected).toBe(1);
      }
    }
    await c.flush();
    expect(seen).toEqual([
      'event cannot be encoded: a string of 100000 characters cannot fit in a frame of 65536 bytes',
      "event larger than the daemon's frame limit (65536 bytes)",
    ]);
    expect(c.stats().last_rejections.map((r) => r.event.method)).toEqual(['huger', 'huge']);
    expect(c.stats()).toMatchObject({ committed: 300, rejected: 2, queued: 0, in_flight: 0 });
    expect(rows(d.dbPath, 'SELECT COUNT(*) AS n, MIN(latency_us) AS lo FROM requests')).toEqual([
      { n: 300, lo: 0 },
    ]);
    expect(d.stderr()).not.toMatch(/ERR_FRAME_TOO_LARGE/);
  });

  it('never throws from record(), whatever it is given', async () => {
    const d = await startDaemon();
    daemons.push(d);
    const c = client(d.socketPath);
    const cyclic: Record<string, unknown> = {
      kind: 'request',
      method: 'm',
      latency_us: 1,
      status: 'ok',
    };
    cyclic.tool = cyclic; // a field msgpack cannot encode
    const bad = [null, undefined, 42, 'x', [], { kind: 'nope' }, cyclic] as unknown[];
    for (const value of bad) expect(() => c.record(value as never)).not.toThrow();
    c.record({ kind: 'request', method: 'm', latency_us: 1, status: 'ok' });
    await c.flush();
    const stats = c.stats();
    expect(stats.committed).toBe(1);
    expect(stats.rejected).toBe(bad.length);
  });
});

describe('StoreClient waiting on a full window', () => {
  it('waits for acks without spinning the event loop', async () => {
    const socketPath = path.join(tempDir(), 'silent.sock');
    const silent = await silentDaemon(socketPath);
    try {
      const c = client(socketPath, { batchMaxEvents: 10, maxInFlightBatches: 2 });
      // Connected and welcomed first, so the next records find a full window.
      c.record({ kind: 'request', method: 'm', latency_us: 0, status: 'ok' });
      await new Promise((r) => setTimeout(r, 300));
      expect(c.stats()).toMatchObject({ connected: true, in_flight: 1 });
      for (let i = 0; i < 1000; i += 1)
        c.record({ kind: 'request', method: 'm', latency_us: i, status: 'ok' });
      await new Promise((r) => setTimeout(r, 100));
      expect(c.stats()).toMatchObject({ in_flight: 11, queued: 990 });
      const before = process.cpuUsage();
      await new Promise((r) => setTimeout(r, 500));
      const used = process.cpuUsage(before);
      expect((used.user + used.system) / 1000).toBeLessThan(150);
    } finally {
      await silent.close();
    }
  });
});

describe('StoreClient resending to a daemon with smaller frames', () => {
  it('splits unacked batches to fit the new limit and stores every event once', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'store.sock');
    // First a daemon that takes 4 MiB frames and never acknowledges.
    const silent = await silentDaemon(socketPath);
    const c = client(socketPath, { reconnectMinMs: 20, reconnectMaxMs: 100 });
    for (let i = 0; i < 300; i += 1) {
      c.record({
        kind: 'request',
        request_id: `r-${i}`,
        method: 'm',
        latency_us: i,
        status: 'ok',
        error_msg: 'e'.repeat(2000),
      });
    }
    const flushed = c.flush(20_000);
    for (let i = 0; i < 100 && silent.received.bytes < 600_000; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c.stats()).toMatchObject({ in_flight: 300, queued: 0 });
    await silent.close();
    // Then the real daemon on the same socket, with 64 KiB frames.
    const d = await startDaemon({ dir, socketPath, args: ['--max-frame-bytes', '65536'] });
    daemons.push(d);
    await flushed;
    expect(c.stats()).toMatchObject({ committed: 300, rejected: 0, duplicates: 0 });
    expect(rows(d.dbPath, 'SELECT COUNT(DISTINCT request_id) AS n FROM requests')).toEqual([
      { n: 300 },
    ]);
    expect(d.stderr()).not.toMatch(/ERR_FRAME_TOO_LARGE/);
  });
});

describe('StoreClient and a daemon of protocol version 1', () => {
  it('sends it every request as a map, batches first sent to a newer daemon included', async () => {
    const socketPath = path.join(tempDir(), 'store.sock');
    // A version 2 daemon takes the first batches and never acknowledges them.
    const newer = await fakeDaemon(socketPath, { version: 2 });
    const c = client(socketPath, { reconnectMinMs: 20, reconnectMaxMs: 100 });
    const request = (i: number) => ({
      kind: 'request' as const,
      session_id: `s-${i % 3}`,
      method: 'tools/call',
      tool: i % 2 ? 'search' : undefined,
      latency_us: i,
      status: i % 5 ? ('ok' as const) : ('error' as const),
      error_msg: i % 5 ? undefined : `failed ${i}`,
      bytes_in: i % 4 ? 10 : undefined,
      bytes_out: i % 4 ? 20 : undefined,
    });
    for (let i = 0; i < 50; i += 1) c.record(request(i));
    const flushed = c.flush(20_000);
    for (let i = 0; i < 100 && newer.received.bytes < 50 * 100; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(c.stats()).toMatchObject({ in_flight: 50, committed: 0 });
    await newer.close();
    const older = await fakeDaemon(socketPath, { version: 1, acks: true });
    try {
      await flushed;
      for (let i = 50; i < 100; i += 1) c.record(request(i));
      await c.flush(20_000);
      expect(c.stats()).toMatchObject({ committed: 100, rejected: 0, queued: 0, in_flight: 0 });
      const events = older.received.events as Record<string, unknown>[];
      expect(events.filter((e) => Array.isArray(e))).toEqual([]);
      expect(events.map((e) => e.latency_us)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      for (const event of events) {
        const i = event.latency_us as number;
        const { kind, session_id, method, status } = request(i);
        expect(event).toMatchObject({ kind, session_id, method, status, proxy: 'proxy-a' });
        expect(event.tool ?? null).toBe(request(i).tool ?? null);
        expect(event.error_msg ?? null).toBe(request(i).error_msg ?? null);
        expect(event.bytes_out ?? null).toBe(request(i).bytes_out ?? null);
      }
      expect(new Set(events.map((e) => e.request_id)).size).toBe(100);
    } finally {
      await older.close();
    }
  });
});
