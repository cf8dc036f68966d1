// Text that proxies, their clients and upstream servers put in the store,
// with terminal control sequences in it: every command shows it escaped to
// a person (nothing reaches the terminal that would act on it, and a table
// keeps its rows), and gives it unchanged in --json.
import path from 'node:path';
import { StoreClient } from '@mcpr-store/client';
import {
  buildStore,
  type DaemonProcess,
  runCli,
  startDaemon,
  tempDir,
} from '@mcpr-store/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NOW = Date.now();
const MIN = 60_000;
/** Writes the clipboard (OSC 52), rings, clears the screen, breaks the line, reverses what follows. */
const TOOL = 'evil\x1b]52;c;cHduZWQ=\x07\x1b[2J\nnext\u202egnp.exe';
const ERROR_MSG = 'line one\nline two\x1b[8mhidden';
const CLIENT = 'cli\x1b[31mred\u009b2J';
const SESSION = 'sess\x1b[1A-1';
const PROXY = 'edge\x1b[K';
const UPSTREAM = 'http://up\x1b[2K.test/mcp';
const SERVER = 'srv\x07';
const DESCRIPTION = 'Reads a file.\n\nArgs:\n  path\x1b[2J the file';

/** What a terminal would act on: any control character but the newlines we print, any bidi control. */
const ACTING =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

let dir: string;
let dbPath: string;

beforeAll(() => {
  dir = tempDir();
  dbPath = path.join(dir, 'store.db');
  buildStore(
    [
      {
        kind: 'session',
        session_id: SESSION,
        proxy: PROXY,
        started_at: NOW - 10 * MIN,
        client_name: CLIENT,
        client_version: '1\x1b[0m',
        client_platform: 'plat\r',
      },
      { kind: 'session', session_id: `${SESSION}0`, proxy: PROXY, started_at: NOW - 9 * MIN },
      ...[1, 2, 3].map((i) => ({
        kind: 'request',
        request_id: `r${i}`,
        ts: NOW - i * MIN,
        proxy: PROXY,
        session_id: SESSION,
        method: 'tools/call',
        tool: TOOL,
        latency_us: 2_000_000 + i,
        status: 'error',
        error_code: '-32000\x1b[1m',
        error_msg: ERROR_MSG,
      })),
      {
        kind: 'schema_version',
        ts: NOW - 20 * MIN,
        proxy: PROXY,
        upstream_url: UPSTREAM,
        method: 'initialize',
        payload: JSON.stringify({
          protocolVersion: '2025-06-18',
          serverInfo: { name: SERVER, version: '1' },
          capabilities: { tools: {} },
        }),
      },
      {
        kind: 'schema_version',
        ts: NOW - 20 * MIN,
        proxy: PROXY,
        upstream_url: UPSTREAM,
        method: 'tools/list',
        payload: JSON.stringify({
          tools: [{ name: 'listed\x1b[5m', description: DESCRIPTION }],
        }),
      },
    ],
    dbPath,
  );
});

function expectShownEscaped(stdout: string, escaped: string[]): void {
  expect(stdout).not.toMatch(ACTING);
  for (const text of escaped) expect(stdout).toContain(text);
}

describe('hostile text in the store', () => {
  it('is escaped in every table and line a person reads', async () => {
    const cases: [string[], string[]][] = [
      [
        ['logs'],
        ['evil\\x1b]52;c;cHduZWQ=\\x07\\x1b[2J\\nnext\\u202egnp.exe', 'line one\\nline two'],
      ],
      [
        ['slow', '--threshold', '1s'],
        ['evil\\x1b]52', 'edge\\x1b[K'],
      ],
      [['sessions'], ['cli\\x1b[31mred\\x9b2J 1\\x1b[0m', 'plat\\r']],
      [
        ['session', SESSION],
        ['sess\\x1b[1A-1', 'cli\\x1b[31mred', 'line two\\x1b[8mhidden'],
      ],
      [['clients'], ['cli\\x1b[31mred\\x9b2J']],
      [['status'], ['evil\\x1b]52', '-32000\\x1b[1m ×3']],
      [
        ['schema'],
        [
          'http://up\\x1b[2K.test/mcp',
          'srv\\x07',
          'listed\\x1b[5m',
          'Reads a file. Args: path\\x1b[2J',
        ],
      ],
      [
        ['schema', '--changes'],
        ['http://up\\x1b[2K.test/mcp', 'edge\\x1b[K'],
      ],
      [
        ['schema', '--unused'],
        ['listed\\x1b[5m', 'edge\\x1b[K'],
      ],
    ];
    for (const [args, escaped] of cases) {
      const out = await runCli([...args, '--db', dbPath]);
      expect([args.join(' '), out.code, out.stderr]).toEqual([args.join(' '), 0, '']);
      expectShownEscaped(out.stdout, escaped);
    }
  });

  it('is escaped in an error that names what the store holds', async () => {
    const ambiguous = await runCli(['session', 'sess', '--db', dbPath]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).not.toMatch(ACTING);
    expect(ambiguous.stderr).toContain(
      'matches several sessions: sess\\x1b[1A-1, sess\\x1b[1A-10;',
    );
  });

  it('is given unchanged in --json', async () => {
    const [logs] = (await runCli(['logs', '--db', dbPath, '--json'])).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect([logs.tool, logs.error_msg, logs.proxy, logs.session_id]).toEqual([
      TOOL,
      ERROR_MSG,
      PROXY,
      SESSION,
    ]);
    const status = JSON.parse((await runCli(['status', '--db', dbPath, '--json'])).stdout);
    expect(status.tools.map((t: { label: string }) => t.label)).toEqual([TOOL]);
    const session = JSON.parse(
      (await runCli(['session', SESSION, '--db', dbPath, '--json'])).stdout,
    );
    expect(session.client_name).toBe(CLIENT);
  });

  describe('from a daemon', () => {
    let daemon: DaemonProcess;
    let client: StoreClient;

    beforeAll(async () => {
      daemon = await startDaemon({ dir, dbPath });
      client = new StoreClient({ socketPath: daemon.socketPath, proxy: 'proxy\x1b]0;title\x07' });
      await client.health();
    });

    afterAll(async () => {
      await client?.close();
      await daemon?.stop();
    });

    it('escapes the running proxies status and health show', async () => {
      const env = { MCPR_STORE_SOCKET: daemon.socketPath };
      const status = await runCli(['status', '--db', dbPath], env);
      expect(status.code, status.stderr).toBe(0);
      expectShownEscaped(status.stdout, ['proxy\\x1b]0;title\\x07', 'evil\\x1b]52']);
      const health = await runCli(['health'], env);
      expect(health.code, health.stderr).toBe(0);
      expect(health.stdout).not.toMatch(ACTING);
      const json = JSON.parse((await runCli(['status', '--db', dbPath, '--json'], env)).stdout);
      expect(json.running_proxies.map((p: { name: string }) => p.name)).toEqual([
        'proxy\x1b]0;title\x07',
      ]);
    });
  });
});
