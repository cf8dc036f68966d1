// The daemon as a real process on a real socket and a real file.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  ERROR_CODES,
  type ErrorMessage,
  encodeFrame,
  REQUEST_POSITIONS,
} from '@mcpr-store/protocol';
import {
  type DaemonProcess,
  RawClient,
  requestEvent,
  runCli,
  sessionEvent,
  startDaemon,
  tempDir,
} from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const daemons: DaemonProcess[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(daemons.splice(0).map((d) => d.stop('SIGKILL')));
});

async function daemon(args: string[] = [], dir?: string): Promise<DaemonProcess> {
  const started = await startDaemon({ args, dir });
  daemons.push(started);
  return started;
}

async function client(socketPath: string, id?: string, versions?: number[]): Promise<RawClient> {
  const opened = await RawClient.open(socketPath, id, versions);
  clients.push(opened);
  return opened;
}

function readDb<T>(dbPath: string, query: (db: Database.Database) => T): T {
  const db = new Database(dbPath, { readonly: true });
  try {
    return query(db);
  } finally {
    db.close();
  }
}

function storedIds(dbPath: string): Set<string> {
  return readDb(
    dbPath,
    (db) =>
      new Set(
        (db.prepare('SELECT request_id FROM requests').all() as { request_id: string }[]).map(
          (r) => r.request_id,
        ),
      ),
  );
}

describe('daemon: delivery', () => {
  it('acks a batch only once its rows are committed to the file', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const events = [sessionEvent(), requestEvent(), requestEvent({ status: 'error' })];
    c.sendBatch(1, events);
    const ack = await c.ack(1);
    expect(ack).toEqual({ type: 'ack', seq: 1, committed: 3, duplicates: 0, rejected: [] });
    // Read through a separate connection right after the ack.
    expect(storedIds(d.dbPath)).toEqual(new Set([events[1]?.request_id, events[2]?.request_id]));
    expect(
      readDb(d.dbPath, (db) => db.prepare('SELECT total_calls, total_errors FROM sessions').get()),
    ).toEqual({ total_calls: 2, total_errors: 1 });
  });

  it('rejects invalid events with their index and reason and commits the rest of the batch', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    const good = requestEvent();
    c.sendBatch(5, [
      { kind: 'bogus' },
      good,
      requestEvent({ status: 'maybe' }),
      requestEvent({ latency_us: -3 }),
      'not a map',
    ]);
    const ack = await c.ack(5);
    expect(ack.committed).toBe(1);
    expect(ack.rejected).toEqual([
      {
        index: 0,
        reason:
          'kind: unknown kind "bogus" (expected one of request, session, session_closed, schema_version)',
      },
      { index: 2, reason: 'status: must be one of ok, error, timeout, got "maybe"' },
      { index: 3, reason: 'latency_us: must be at least 0, got -3' },
      { index: 4, reason: 'event: must be a map, got "not a map"' },
    ]);
    expect(storedIds(d.dbPath)).toEqual(new Set([good.request_id]));
  });

  it('stores requests sent as arrays under protocol version 2, and only there', async () => {
    const d = await daemon();
    const v2 = await client(d.socketPath, undefined, [1, 2]);
    expect(v2.messages.find((m) => m.type === 'welcome')).toMatchObject({ version: 2 });
    /** The protocol's positional form, without the nils at its end. */
    const positional = (e: Record<string, unknown>) => {
      const items = ['request', ...REQUEST_POSITIONS.map((field) => e[field] ?? null)];
      while (items[items.length - 1] === null) items.pop();
      return items;
    };
    const failed = requestEvent({
      status: 'error',
      error_code: '-32603',
      error_msg: 'upstream returned 502',
      bytes_in: 10,
      bytes_out: 20,
    });
    const plain = requestEvent({ tool: null, session_id: null });
    const asMap = requestEvent();
    const tooLong = [...positional(failed), 'extra'];
    tooLong[1] = 'another-id';
    v2.sendBatch(1, [
      positional(failed),
      positional(plain),
      asMap,
      ['request', 'bad-ts', 'soon', 'p', 1, 'ok', null, null, null, 'm'],
      ['session', 's', 'p', 1],
      tooLong,
      ['request', 'no-method', 1, 'p', 1, 'ok'],
    ]);
    const ack = await v2.ack(1);
    expect(ack.committed).toBe(3);
    expect(ack.rejected).toEqual([
      { index: 3, reason: 'ts: must be an integer, got "soon"' },
      {
        index: 4,
        reason: 'event: an event sent as an array must be a request (its first element "request")',
      },
      { index: 5, reason: 'event: a request sent as an array has at most 13 elements, got 14' },
      { index: 6, reason: 'method: is required' },
    ]);
    const columns =
      'request_id, ts, proxy, session_id, method, tool, latency_us, status, error_code, error_msg, bytes_in, bytes_out';
    const stored = readDb(d.dbPath, (db) =>
      db.prepare(`SELECT ${columns} FROM requests ORDER BY id`).all(),
    );
    const row = (e: Record<string, unknown>) =>
      Object.fromEntries(columns.split(', ').map((column) => [column, e[column] ?? null]));
    expect(stored).toEqual([row(failed), row(plain), row(asMap)]);

    // Version 1 reads maps only.
    const v1 = await client(d.socketPath, undefined, [1]);
    expect(v1.messages.find((m) => m.type === 'welcome')).toMatchObject({ version: 1 });
    v1.sendBatch(1, [positional(requestEvent())]);
    expect((await v1.ack(1)).rejected).toEqual([
      { index: 0, reason: 'event: must be a map, got an array' },
    ]);
  });

  it('acks a batch whose events were all rejected, in order with the others', async () => {
    const d = await daemon();
    const c = await client(d.socketPath);
    c.sendBatch(1, [requestEvent()]);
    c.sendBatch(2, [{ kind: 'x' }]);
    c.sendBatch(3, [requestEvent()]);
    await c.ack(3);
    const acks = c.messages.filter((m) => m.type === 'ack').map((m) => (m as { seq: number }).seq);
    expect(acks).toEqual([1, 2, 3]);
  });

  it('ignores a resent request and reports it as a duplicate', async () => {
    const d = await daemon();
    const first = await client(d.socketPath);
    const events = [sessionEvent(), requestEvent(), requestEvent()];
    first.sendBatch(1, events);
    await first.ack(1);
    first.close();
    const second = await client(d.socketPath);
    second.sendBatch(1, events);
    expect(await second.ack(1)).toMatchObject({ committed: 3, duplicates: 2 });
    expect(readDb(d.dbPath, (db) => db.prepare('SELECT total_calls FROM sessions').get())).toEqual({
      total_calls: 2,
    });
  });

  it('serves many connections at once', async () => {
    const d = await daemon();
    const peers = await Promise.all(Array.from({ length: 40 }, () => client(d.socketPath)));
    const sent: string[] = [];
    peers.forEach((peer, i) => {
      for (let seq = 1; seq <= 10; seq += 1) {
        const batch = Array.from({ length: 20 }, () => requestEvent({ session_id: `s-${i}` }));
        sent.push(...batch.map((e) => e.request_id as string));
        peer.sendBatch(seq, batch);
      }
    });
    await Promise.all(peers.map((peer) => peer.ack(10)));
    expect(storedIds(d.dbPath)).toEqual(new Set(sent));
    expect(
      readDb(d.dbPath, (db) =>
        db.prepare('SELECT MIN(total_calls) AS lo, MAX(total_calls) AS hi FROM sessions').get(),
      ),
    ).toEqual({ lo: 200, hi: 200 });
  });

  it('commits a batch whose sender disconnected right after sending it', async () => {
    const d = await daemon();
    const gone = await client(d.socketPath);
    const events = [requestEvent(), requestEvent()];
    gone.sendBatch(1, events);
    gone.socket.end();
    const watcher = await client(d.socketPath);
    const deadline = Date.now() + 10_000;
    while (storedIds(d.dbPath).size < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(storedIds(d.dbPath)).toEqual(new Set(events.map((e) => e.request_id)));
    expect((await watcher.health()).connections).toBe(1);
  });
});

describe('daemon: bad peers', () => {
  async function expectError(c: RawClient, code: string): Promise<void> {
    const error = (await c.waitFor((m) => m.type === 'error')) as ErrorMessage;
    expect(error.code).toBe(code);
    await c.closedPromise;
  }

  it('closes only the offending connection while a good client keeps committing', async () => {
    const d = await daemon(['--frame-timeout-ms', '300', '--max-frame-bytes', '65536']);
    const good = await client(d.socketPath);
    let seq = 0;
    const sent: string[] = [];
    const sendGood = async () => {
      seq += 1;
      const event = requestEvent();
      sent.push(event.request_id as string);
      good.sendBatch(seq, [event]);
      await good.ack(seq);
    };

    const garbage = await client(d.socketPath);
    garbage.sendRaw(Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
    await expectError(garbage, ERROR_CODES.MALFORMED_FRAME);
    await sendGood();

    const huge = await client(d.socketPath);
    huge.sendRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await expectError(huge, ERROR_CODES.FRAME_TOO_LARGE);
    await sendGood();

    const stalled = await client(d.socketPath);
    stalled.sendRaw(Buffer.from([0, 0, 0, 50, 0x82]));
    await expectError(stalled, ERROR_CODES.FRAME_TIMEOUT);
    await sendGood();

    const unknown = await client(d.socketPath);
    unknown.send({ type: 'subscribe' });
    await expectError(unknown, ERROR_CODES.UNKNOWN_MESSAGE);
    await sendGood();

    const rude = await RawClient.connect(d.socketPath);
    clients.push(rude);
    rude.sendBatch(1, [requestEvent()]);
    await expectError(rude, ERROR_CODES.HELLO_REQUIRED);

    const future = await RawClient.connect(d.socketPath);
    clients.push(future);
    future.send({ type: 'hello', versions: [7, 8] });
    const refused = (await future.waitFor((m) => m.type === 'error')) as ErrorMessage;
    expect(refused).toMatchObject({ code: ERROR_CODES.UNSUPPORTED_VERSION });
    expect(refused.message).toContain('this daemon speaks [2, 1]');
    await sendGood();

    const malformedBatch = await client(d.socketPath);
    malformedBatch.send({ type: 'batch', seq: 'one', events: [] });
    await expectError(malformedBatch, ERROR_CODES.BAD_MESSAGE);

    // Random garbage from a raw socket.
    const noise = net.connect(d.socketPath);
    noise.on('error', () => {});
    noise.resume();
    noise.write(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37) & 0xff)));
    await new Promise((r) => noise.on('close', r));
    await sendGood();

    expect(storedIds(d.dbPath)).toEqual(new Set(sent));
    expect(d.proc.exitCode).toBeNull();
    expect(d.stderr()).toContain('"code":"ERR_FRAME_TOO_LARGE"');
  });
});

describe('daemon: frame timeout', () => {
  it('times each frame, so a peer streaming frame after frame is never taken for a stalled one', async () => {
    const d = await daemon(['--frame-timeout-ms', '300']);
    const c = await client(d.socketPath);
    const frames = Array.from({ length: 12 }, (_, i) =>
      encodeFrame({ type: 'batch', seq: i + 1, events: [requestEvent()] }),
    );
    const stream = Buffer.concat(frames);
    // Every write but the last ends halfway into the next frame: a frame is
    // always unfinished between writes, for 1.2 s in all, but each one is
    // finished 100 ms after it began.
    let from = 0;
    let frameEnd = 0;
    for (const [i, frame] of frames.entries()) {
      frameEnd += frame.length;
      const half = Math.floor((frames[i + 1]?.length ?? 0) / 2);
      c.sendRaw(stream.subarray(from, frameEnd + half));
      from = frameEnd + half;
      await new Promise((r) => setTimeout(r, 100));
    }
    const last = await c.ack(12);
    expect(last.rejected).toEqual([]);
    expect(c.messages.filter((m) => m.type === 'error')).toEqual([]);
    expect(c.messages.filter((m) => m.type === 'ack')).toHaveLength(12);
    expect(c.closed).toBe(false);
  });
});

describe('daemon: start-up and its files', () => {
  it('creates the socket with mode 0660 and a missing parent folder with 0700', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'run', 'store.sock');
    const d = await startDaemon({ dir, socketPath });
    daemons.push(d);
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o660);
    expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
  });

  it('honours --socket-mode', async () => {
    const d = await daemon(['--socket-mode', '600']);
    expect(fs.statSync(d.socketPath).mode & 0o777).toBe(0o600);
  });

  it('refuses a second daemon on the same database with exit code 1', async () => {
    const first = await daemon();
    const second = await startDaemon({
      dbPath: first.dbPath,
      socketPath: path.join(tempDir(), 'other.sock'),
      waitReady: false,
    });
    daemons.push(second);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(
      `database ${first.dbPath} is in use by another mcpr-store daemon`,
    );
    expect((await RawClient.open(first.socketPath)).closed).toBe(false);
  });

  it('refuses a second daemon on the same socket with exit code 1 and touches nothing', async () => {
    const first = await daemon();
    const dir = tempDir();
    const second = await startDaemon({ dir, socketPath: first.socketPath, waitReady: false });
    daemons.push(second);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toContain(
      `another mcpr-store daemon is already listening on ${first.socketPath}`,
    );
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('replaces a stale socket file left by a killed daemon', async () => {
    const dir = tempDir();
    const first = await daemon([], dir);
    await first.stop('SIGKILL');
    expect(fs.existsSync(first.socketPath)).toBe(true);
    const second = await daemon([], dir);
    expect(second.stderr()).toContain('replaced a stale socket file');
    const c = await client(second.socketPath);
    c.sendBatch(1, [requestEvent()]);
    expect((await c.ack(1)).committed).toBe(1);
  });

  it('never deletes a file at the socket path that is not a socket', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'store.sock');
    fs.writeFileSync(socketPath, 'precious');
    const d = await startDaemon({ dir, socketPath, waitReady: false });
    daemons.push(d);
    expect(await d.exited).toBe(1);
    expect(d.stderr()).toContain('exists and is not a socket');
    expect(fs.readFileSync(socketPath, 'utf8')).toBe('precious');
  });

  it('refuses a database from a newer schema version with a clear message', async () => {
    const dir = tempDir();
    const dbPath = path.join(dir, 'store.db');
    const db = new Database(dbPath);
    db.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema_version', '9')",
    );
    db.close();
    const d = await startDaemon({ dir, waitReady: false });
    daemons.push(d);
    expect(await d.exited).toBe(1);
    expect(d.stderr()).toContain(
      'database schema version 9 is newer than this mcpr-store understands',
    );
    expect(fs.existsSync(path.join(dir, 'store.sock'))).toBe(false);
  });
});

describe('daemon: health', () => {
  it('answers over the socket with the documented fields', async () => {
    const d = await daemon();
    const c = await client(d.socketPath, 'client-a');
    c.sendBatch(1, [
      requestEvent(),
      requestEvent({ request_id: 'dup' }),
      requestEvent({ request_id: 'dup' }),
      { kind: 'x' },
    ]);
    await c.ack(1);
    c.send({ type: 'dropped', total: 5 });
    c.send({ type: 'dropped', total: 7 });
    const health = await c.health();
    expect(health).toMatchObject({
      status: 'degraded',
      db_path: d.dbPath,
      schema_version: 4,
      connections: 1,
      events_waiting: 0,
      received: 4,
      committed: 3,
      rejected: 1,
      duplicates_ignored: 1,
      dropped_by_clients: 7,
      batches_committed: 1,
      writer_alive: true,
      last_error: null,
    });
    expect(health.reasons).toEqual(['clients dropped events in the last 5 minutes (7 in total)']);
    for (const key of [
      'version',
      'transactions_committed',
      'rss_bytes',
      'uptime_ms',
      'db_size_bytes',
      'wal_size_bytes',
      'commit_ms_p50',
      'commit_ms_p99',
      'last_commit_at',
    ] as const) {
      expect(health[key]).not.toBeUndefined();
    }
  });

  it('mcpr-store health exits 0 when ok, 2 when nothing answers', async () => {
    const d = await daemon();
    const ok = await runCli(['health', '--socket', d.socketPath, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'ok', writer_alive: true });
    const text = await runCli(['health', '--socket', d.socketPath]);
    expect(text.stdout).toContain('status: ok');
    const none = await runCli(['health', '--socket', path.join(tempDir(), 'none.sock')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no daemon answers on');
  });
});

describe('daemon: write faults', () => {
  it('keeps a batch unacked while the disk is full, reports failing (exit 1), and recovers when space is freed', async () => {
    const d = await daemon(['--max-db-bytes', String(320 * 1024)]);
    const c = await client(d.socketPath);
    const filler: string[] = [];
    let seq = 0;
    let stuck: number | null = null;
    for (let round = 0; round < 200 && stuck === null; round += 1) {
      seq += 1;
      const batch = Array.from({ length: 50 }, (_, i) =>
        requestEvent({ request_id: `filler-${round}-${i}`, error_msg: 'x'.repeat(200) }),
      );
      c.sendBatch(seq, batch);
      try {
        await c.ack(seq, 3000);
        filler.push(...batch.map((e) => e.request_id as string));
      } catch {
        stuck = seq;
      }
    }
    expect(stuck).not.toBeNull();
    expect(filler.length).toBeGreaterThan(0);
    const failing = await runCli(['health', '--socket', d.socketPath, '--json']);
    expect(failing.code).toBe(1);
    const health = JSON.parse(failing.stdout);
    expect(health.status).toBe('failing');
    expect(health.reasons[0]).toMatch(/writes are failing and being retried: .*full/);
    expect(health.last_error.message).toMatch(/full/);
    expect(d.proc.exitCode).toBeNull();

    // Free space the way an operator would: delete old rows.
    const db = new Database(d.dbPath);
    db.pragma('busy_timeout = 10000');
    db.prepare("DELETE FROM requests WHERE request_id LIKE 'filler-%'").run();
    db.close();

    const ack = await c.ack(stuck as number, 30_000);
    expect(ack.committed).toBe(50);
    expect(storedIds(d.dbPath).size).toBe(50);
    const recovered = await runCli(['health', '--socket', d.socketPath, '--json']);
    expect(JSON.parse(recovered.stdout).status).toBe('ok');
    expect(recovered.code).toBe(0);
  });
});

describe('daemon: stopping', () => {
  async function load(d: DaemonProcess, peers: number) {
    const acked = new Set<string>();
    const conns = await Promise.all(Array.from({ length: peers }, () => client(d.socketPath)));
    let running = true;
    const loops = conns.map(async (c, p) => {
      let seq = 0;
      const inflight = new Map<number, string[]>();
      c.socket.on('data', () => {
        for (const m of c.messages.splice(0)) {
          if (m.type === 'ack') {
            for (const id of inflight.get(m.seq) ?? []) acked.add(id);
            inflight.delete(m.seq);
          }
        }
      });
      while (running && !c.closed) {
        seq += 1;
        const batch = Array.from({ length: 100 }, () => requestEvent({ session_id: `load-${p}` }));
        inflight.set(
          seq,
          batch.map((e) => e.request_id as string),
        );
        c.sendBatch(seq, batch);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    return {
      acked,
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  it('on SIGTERM under load commits and acks what it read, removes the socket and exits 0', async () => {
    const d = await daemon();
    const traffic = await load(d, 4);
    await new Promise((r) => setTimeout(r, 800));
    const code = await d.stop('SIGTERM');
    await traffic.stop();
    expect(code).toBe(0);
    expect(fs.existsSync(d.socketPath)).toBe(false);
    expect(traffic.acked.size).toBeGreaterThan(0);
    const stored = storedIds(d.dbPath);
    for (const id of traffic.acked) expect(stored.has(id)).toBe(true);
    expect(d.stderr()).toContain('"msg":"stopped"');
    // Every row stored was counted once in its session.
    const totals = readDb(d.dbPath, (db) =>
      db
        .prepare(
          'SELECT (SELECT SUM(total_calls) FROM sessions) AS calls, (SELECT COUNT(*) FROM requests) AS rows',
        )
        .get(),
    );
    expect(totals).toMatchObject({ calls: stored.size, rows: stored.size });
  });

  it('exits at once on a second signal while stopping', async () => {
    // A writer stuck on a full disk keeps the first SIGTERM draining.
    const d = await daemon([
      '--max-db-bytes',
      String(200 * 1024),
      '--shutdown-timeout-ms',
      '60000',
    ]);
    const c = await client(d.socketPath);
    for (let seq = 1; seq <= 40; seq += 1) {
      c.sendBatch(
        seq,
        Array.from({ length: 100 }, () => requestEvent({ error_msg: 'x'.repeat(300) })),
      );
    }
    const deadline = Date.now() + 20_000;
    while ((await c.health(Date.now())).status !== 'failing' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    d.proc.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(d.proc.exitCode).toBeNull();
    const started = Date.now();
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(d.stderr()).toContain('second signal: exiting at once');
  });

  it('after kill -9 under load keeps every acknowledged event', async () => {
    const dir = tempDir();
    const d = await daemon([], dir);
    const traffic = await load(d, 4);
    await new Promise((r) => setTimeout(r, 800));
    await d.stop('SIGKILL');
    await traffic.stop();
    expect(traffic.acked.size).toBeGreaterThan(0);
    const restarted = await daemon([], dir);
    const stored = storedIds(restarted.dbPath);
    for (const id of traffic.acked) expect(stored.has(id)).toBe(true);
  });

  it('keeps what it holds in memory bounded and stops reading instead', async () => {
    const d = await daemon(['--max-held-events', '2000', '--batch-max-events', '500']);
    const senders = await Promise.all(Array.from({ length: 4 }, () => client(d.socketPath)));
    const watcher = await client(d.socketPath);
    let maxWaiting = 0;
    let sawPaused = false;
    senders.forEach((s, p) => {
      for (let seq = 1; seq <= 50; seq += 1) {
        s.sendBatch(
          seq,
          Array.from({ length: 250 }, () => requestEvent({ session_id: `bp-${p}` })),
        );
      }
    });
    let done = false;
    const acksDone = Promise.all(senders.map((s) => s.ack(50, 60_000))).then(() => {
      done = true;
    });
    let id = 1;
    while (!done) {
      const health = await watcher.health(id++);
      maxWaiting = Math.max(maxWaiting, health.events_waiting as number);
      sawPaused ||= health.reading_paused === true;
      await new Promise((r) => setTimeout(r, 10));
    }
    await acksDone;
    // The bound plus what one socket read can carry past it.
    expect(maxWaiting).toBeLessThanOrEqual(2000 + 4 * 250 * 8);
    expect(storedIds(d.dbPath).size).toBe(4 * 50 * 250);
    expect(typeof sawPaused).toBe('boolean');
  });
});
