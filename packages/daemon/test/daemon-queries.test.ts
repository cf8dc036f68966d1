// Query commands answered by the daemon over its socket: the same answer, to
// the byte, as the command reads from the store itself; only for whoever
// holds the token the daemon writes beside its database; a refusal never
// closes the connection; and the CLI reads the store itself whenever the
// daemon does not answer.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { requestQuery } from '@mcpr-store/client';
import { encodeFrame, type QueryResponseMessage } from '@mcpr-store/protocol';
import { openStore } from '@mcpr-store/query';
import {
  buildStore,
  DAY_MS,
  type DaemonProcess,
  FIXTURE_NOW,
  fixtureRequest,
  MINUTE_MS,
  RawClient,
  runCli,
  startDaemon,
  tempDir,
} from '@mcpr-store/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryTokenPath } from '../src/paths.js';
import { answerRoute } from '../src/ui/api.js';

const TOOLS = ['search', 'fetch', 'write', 'invented'];
let daemon: DaemonProcess;
let token: string;
/** A proxy connected throughout: status lists it among the running proxies. */
let proxy: RawClient;

beforeAll(async () => {
  const dir = tempDir();
  const dbPath = path.join(dir, 'store.db');
  // Ten days of calls: windows long enough for the rollups, errors with codes,
  // and a tools/list that leaves one tool unused and one called unlisted.
  const requests = Array.from({ length: 2400 }, (_, i) =>
    fixtureRequest({
      ts: FIXTURE_NOW - 10 * DAY_MS + i * 6 * MINUTE_MS + (i % 7),
      session_id: `queries-s${i % 5}`,
      tool: TOOLS[i % TOOLS.length],
      latency_us: 1000 + ((i * 7919) % 50_000),
      status: i % 9 === 0 ? 'error' : 'ok',
      error_code: i % 9 === 0 ? String(-32_000 - (i % 3)) : null,
      error_msg: i % 9 === 0 ? 'failed' : null,
    }),
  );
  const listed = {
    kind: 'schema_version',
    ts: FIXTURE_NOW - 11 * DAY_MS,
    proxy: 'p1',
    upstream_url: 'http://upstream.test/mcp',
    method: 'tools/list',
    payload: JSON.stringify({
      tools: ['search', 'fetch', 'write', 'never_called'].map((name) => ({ name })),
    }),
    schema_hash: 'a'.repeat(64),
  };
  buildStore([listed, ...requests], dbPath);
  daemon = await startDaemon({ dir, dbPath, args: ['--log-level', 'debug'] });
  token = fs.readFileSync(queryTokenPath(dbPath), 'utf8');
  proxy = await RawClient.connect(daemon.socketPath);
  proxy.send({ type: 'hello', versions: [2, 1], proxy: 'p1', pid: 4242, port: 3000 });
  await proxy.waitFor((m) => m.type === 'welcome');
});

afterAll(async () => {
  proxy?.socket.destroy();
  await daemon?.stop();
});

describe('queries answered by the daemon', () => {
  it('writes a token only its owner reads, beside the database', () => {
    const stat = fs.statSync(queryTokenPath(daemon.dbPath));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^[0-9a-f]{64}$/);
  });

  const CASES: [route: string, argv: string[]][] = [
    ['status', []],
    ['status', ['--since', '7d']],
    ['status', ['--since=7d', '--compare']],
    ['status', ['--since', '30d', '--proxy', 'p1']],
    ['status', ['--since', '3d', '--exact']],
    ['series', ['--since', '7d']],
    ['series', ['--since', '24h', '--bucket', '1h', '--tool', 'search']],
    ['schema', []],
    ['schema/unused', ['--since', '30d']],
    ['schema/changes', []],
    ['logs', ['--since', '2d', '--tool', 'search']],
    ['slow', ['--since', '7d', '--threshold', '40ms']],
    ['sessions', ['--since', '30d']],
    ['session', ['queries-s3']],
    ['clients', ['--since', '30d']],
  ];

  it.each(CASES)(
    '%s %j: the answer the store gives this process, to the byte',
    async (route, argv) => {
      const store = openStore(daemon.dbPath);
      try {
        const context = {
          nowMs: FIXTURE_NOW,
          dbPath: daemon.dbPath,
          socketPath: daemon.socketPath,
        };
        const here = JSON.stringify(await answerRoute(route, argv, store, context));
        const there = await requestQuery(daemon.socketPath, {
          route,
          argv,
          now_ms: FIXTURE_NOW,
          token,
        });
        expect(there.error).toBeUndefined();
        expect(there.json).toBe(here);
        expect(JSON.parse(here)).not.toEqual([]);
      } finally {
        store.close();
      }
    },
  );

  it('refuses a wrong token, an unknown route, health and bad arguments, and goes on serving', async () => {
    const client = await RawClient.open(daemon.socketPath);
    const ask = async (id: number, fields: Record<string, unknown>) => {
      client.send({
        type: 'query',
        id,
        route: 'status',
        argv: [],
        now_ms: FIXTURE_NOW,
        token,
        ...fields,
      });
      return (await client.waitFor(
        (m) => m.type === 'query_result' && m.id === id,
      )) as QueryResponseMessage;
    };
    expect((await ask(1, { token: 'f'.repeat(64) })).error).toMatch(/^wrong token/);
    expect((await ask(2, { token: '' })).error).toMatch(/^wrong token/);
    expect((await ask(3, { route: 'nope' })).error).toBe('no query command answers "nope"');
    expect((await ask(4, { route: 'health' })).error).toBe('no query command answers "health"');
    expect((await ask(5, { argv: ['--since', 'soon'] })).error).toMatch(/--since/);
    expect((await ask(6, { route: 'session', argv: ['no-such-session'] })).error).toMatch(
      /no-such-session/,
    );
    const answered = await ask(7, {});
    expect(JSON.parse(answered.json as string).total_requests).toBeGreaterThan(0);
    expect((await client.health(8)).status).toBe('ok');
    client.socket.destroy();
  });

  it('closes the connection on a malformed query, as on any bad message', async () => {
    const client = await RawClient.open(daemon.socketPath);
    client.send({ type: 'query', id: 1, route: 'status', argv: [7], now_ms: 0, token });
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error).toMatchObject({ code: 'ERR_BAD_MESSAGE' });
    await client.closedPromise;
  });

  it('is asked by the CLI, which reads the store itself without the token', async () => {
    const args = ['status', '--since', '7d', '--json', '--db', daemon.dbPath];
    const answeredBefore = countAnswered();
    const fromDaemon = await runCli([...args, '--socket', daemon.socketPath]);
    expect(fromDaemon.code).toBe(0);
    await answeredCount(answeredBefore + 1);
    const tokenPath = queryTokenPath(daemon.dbPath);
    fs.renameSync(tokenPath, `${tokenPath}.away`);
    try {
      const here = await runCli([...args, '--socket', daemon.socketPath]);
      expect(here.code).toBe(0);
      expect(countAnswered()).toBe(answeredBefore + 1);
      // The same store, the same window: only the moment differs.
      const [a, b] = [fromDaemon, here].map((r) => JSON.parse(r.stdout));
      expect(a.tools.map((t: { label: string }) => t.label)).toEqual(
        b.tools.map((t: { label: string }) => t.label),
      );
      expect(a.unknown_tools).toEqual(b.unknown_tools);
    } finally {
      fs.renameSync(`${tokenPath}.away`, tokenPath);
    }
  });

  it('is asked by series and schema --unused/--changes too, at the default socket', async () => {
    const env = { MCPR_STORE_SOCKET: daemon.socketPath };
    let answered = countAnswered();
    for (const [args, shown] of [
      [['series', '--since', '3d'], /^SERIES — all proxies — last 3d, 7[23] buckets of 3600s/],
      [['schema', '--unused', '--since', '30d'], /never_called .*unused in 30d/],
      [['schema', '--changes'], /tools\/list/],
    ] as const) {
      const run = await runCli([...args, '--json', '--db', daemon.dbPath], env);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim()).not.toBe('');
      answered += 1;
      await answeredCount(answered);
      // People's output from the daemon's answer as well.
      const human = await runCli([...args, '--db', daemon.dbPath], env);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stdout).toMatch(shown);
      answered += 1;
      await answeredCount(answered);
    }
  });

  it('is asked once, before the command parses its flags, and never keeps a command that stops', async () => {
    const asked = () => countAnswered() + countLogged('"msg":"query not answered"');
    const answered = countAnswered();
    // Flags in both spellings: the early reading finds the same store and
    // socket as the command's own parse, so its one question is the answer.
    const run = await runCli([
      'status',
      '--since=7d',
      '--json',
      `--db=${daemon.dbPath}`,
      '--socket',
      daemon.socketPath,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).running_proxies.map((p: { name: string }) => p.name)).toEqual([
      'p1',
    ]);
    await answeredCount(answered + 1);
    // Help asks nothing.
    const before = asked();
    const help = await runCli(['status', '--help', '--db', daemon.dbPath], {
      MCPR_STORE_SOCKET: daemon.socketPath,
    });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mcpr-store status/);
    // A bad flag stops the command with its own error, whatever became of
    // the question already sent (its connection is closed, not waited on).
    const bad = await runCli(
      ['series', '--since', '7d', '--bucket', 'soon', '--db', daemon.dbPath],
      {
        MCPR_STORE_SOCKET: daemon.socketPath,
      },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--bucket: "soon" is not a duration/);
    expect(bad.stdout).toBe('');
    expect(asked()).toBeLessThanOrEqual(before + 1);
    // The daemon goes on answering.
    const again = await runCli(['status', '--since', '7d', '--json', '--db', daemon.dbPath], {
      MCPR_STORE_SOCKET: daemon.socketPath,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ since: '7d' });
  });

  it('closes a question no command takes, even one a daemon never answers', async () => {
    // A "daemon" that welcomes every client and answers no query: a
    // question left open there would keep the command waiting for ever.
    const dir = tempDir();
    const socketPath = path.join(dir, 'silent.sock');
    const dbPath = path.join(dir, 'store.db');
    fs.writeFileSync(queryTokenPath(dbPath), 'x'.repeat(64), { mode: 0o600 });
    let questions = 0;
    const silent = net.createServer((socket) => {
      questions += 1;
      socket.on('error', () => {});
      socket.write(
        encodeFrame({
          type: 'welcome',
          version: 2,
          daemon_version: 'silent',
          max_frame_bytes: 1 << 20,
          max_batch_events: 1000,
        }),
      );
    });
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      const bad = await runCli(['series', '--bucket', 'soon', '--db', dbPath], {
        MCPR_STORE_SOCKET: socketPath,
      });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--bucket: "soon" is not a duration/);
      expect(questions).toBe(1);
      // The client's own withdrawal, asked or not yet asked.
      const withdraw = new AbortController();
      const asking = requestQuery(
        socketPath,
        { route: 'status', argv: [], now_ms: Date.now(), token: 'x'.repeat(64) },
        { signal: withdraw.signal },
      );
      withdraw.abort();
      await expect(asking).rejects.toMatchObject({ code: 'ERR_CLOSED' });
      await expect(
        requestQuery(
          socketPath,
          { route: 'status', argv: [], now_ms: Date.now(), token: 'x'.repeat(64) },
          { signal: withdraw.signal },
        ),
      ).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    } finally {
      silent.close();
    }
  });

  it('removes the token when it stops', async () => {
    const dir = tempDir();
    const other = await startDaemon({ dir });
    const tokenPath = queryTokenPath(other.dbPath);
    expect(fs.existsSync(tokenPath)).toBe(true);
    expect(await other.stop()).toBe(0);
    expect(fs.existsSync(tokenPath)).toBe(false);
  });
});

/** Waits for the daemon's log to show `count` answered queries (its stderr comes through a pipe). */
async function answeredCount(count: number): Promise<void> {
  for (let waited_ms = 0; countAnswered() < count && waited_ms < 5000; waited_ms += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect(countAnswered()).toBe(count);
}

function countAnswered(): number {
  return countLogged('"msg":"query answered"');
}

function countLogged(text: string): number {
  return daemon
    .stderr()
    .split('\n')
    .filter((line) => line.includes(text)).length;
}
