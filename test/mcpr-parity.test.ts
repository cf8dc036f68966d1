// Scripts written for mcpr run unchanged: every --json output read by a
// small reader that knows only mcpr's keys and types (REFERENCE.md, "Exact
// JSON of mcpr"), on a fixture of two proxies, sessions, snapshots and
// changes whose expected values were worked out by hand with mcpr's rules
// (percentile: sort, take index ceil(p/100*n)-1; error_pct: status not ok;
// unused tools' errors: status error only).
import { buildStore, fixtureRequest, runCli } from '@mcpr-store/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';

const NOW = Date.now();
const MIN = 60_000;
let db: string;

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'array' | 'object';
/** mcpr's shape of a value: the kinds each key may hold. */
type Shape = Record<string, Kind[]>;

function kindOf(value: unknown): Kind[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number')
    return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value as Kind];
}

/** What a script written for mcpr reads: every key of `shape`, of its kinds; other keys are ignored. */
function readAsMcpr(row: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const read: Record<string, unknown> = {};
  for (const [key, kinds] of Object.entries(shape)) {
    expect(row, `missing ${key}`).toHaveProperty(key);
    const actual = kindOf(row[key]);
    expect(
      actual.some((k) => kinds.includes(k)),
      `${key}: ${JSON.stringify(row[key])} is not ${kinds.join(' or ')}`,
    ).toBe(true);
    read[key] = row[key];
  }
  return read;
}

const REQUEST_ROW: Shape = {
  request_id: ['string'],
  ts: ['integer'],
  method: ['string'],
  tool: ['string', 'null'],
  latency_us: ['integer'],
  status: ['string'],
  error_code: ['string', 'null'],
  error_msg: ['string', 'null'],
  session_id: ['string', 'null'],
  bytes_in: ['integer', 'null'],
  bytes_out: ['integer', 'null'],
};
const SESSION_ROW: Shape = {
  session_id: ['string'],
  client_name: ['string', 'null'],
  client_version: ['string', 'null'],
  client_platform: ['string', 'null'],
  started_at: ['integer'],
  last_seen_at: ['integer'],
  ended_at: ['integer', 'null'],
  total_calls: ['integer'],
  total_errors: ['integer'],
  is_active: ['boolean'],
};

async function json(args: string[]): Promise<Record<string, unknown>> {
  const out = await runCli([...args, '--db', db, '--json']);
  expect(out.code, out.stderr).toBe(0);
  return JSON.parse(out.stdout);
}

async function jsonLines(args: string[]): Promise<Record<string, unknown>[]> {
  const out = await runCli([...args, '--db', db, '--json']);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

const request = (id: string, fields: Record<string, unknown>) =>
  fixtureRequest({
    request_id: id,
    ts: NOW - 10 * MIN,
    proxy: 'alpha',
    session_id: 's-alpha-1',
    bytes_in: 10,
    bytes_out: 100,
    ...fields,
  });

beforeAll(() => {
  const tools = {
    tools: [
      { name: 'search', description: 'Find things' },
      { name: 'idle', description: 'Never used' },
    ],
  };
  db = buildStore([
    {
      kind: 'session',
      session_id: 's-alpha-1',
      proxy: 'alpha',
      started_at: NOW - 20 * MIN,
      client_name: 'claude-ai',
      client_version: '1',
      client_platform: 'claude',
    },
    {
      kind: 'session',
      session_id: 's-beta-1',
      proxy: 'beta',
      started_at: NOW - 2 * 3_600_000,
      client_name: 'cursor',
      client_version: '2',
      client_platform: 'cursor',
    },
    // search on alpha: latencies 1..10 ms, two errors and one timeout.
    ...Array.from({ length: 10 }, (_, i) =>
      request(`a-${i}`, {
        latency_us: (i + 1) * 1000,
        status: i < 2 ? 'error' : i === 2 ? 'timeout' : 'ok',
        error_code: i < 2 ? '-32602' : null,
      }),
    ),
    request('a-list', { tool: null, method: 'tools/list', latency_us: 500 }),
    request('b-1', {
      proxy: 'beta',
      session_id: 's-beta-1',
      ts: NOW - 5 * MIN,
      latency_us: 2_000_000,
    }),
    {
      kind: 'schema_version',
      ts: NOW - 30 * MIN,
      proxy: 'alpha',
      upstream_url: 'http://a',
      method: 'tools/list',
      payload: JSON.stringify(tools),
    },
    {
      kind: 'schema_version',
      ts: NOW - 30 * MIN,
      proxy: 'beta',
      upstream_url: 'http://b',
      method: 'initialize',
      payload: JSON.stringify({ serverInfo: { name: 'b' } }),
    },
  ]);
});

describe('mcpr JSON parity', () => {
  it('status: mcpr keys and types, values by mcpr rules', async () => {
    const status = await json(['status', '--proxy', 'alpha']);
    const read = readAsMcpr(status, {
      proxy: ['string', 'null'],
      since: ['string'],
      total_requests: ['integer'],
      error_pct: ['number'],
      active_sessions: ['integer'],
      total_sessions: ['integer'],
      running_proxies: ['array'],
      tools: ['array'],
    });
    expect(read).toMatchObject({
      proxy: 'alpha',
      since: '1h',
      total_requests: 11,
      total_sessions: 1,
      active_sessions: 0,
    });
    // 3 of 11 requests not ok, unrounded.
    expect(read.error_pct).toBe((3 * 100) / 11);
    const tools = (read.tools as Record<string, unknown>[]).map((t) =>
      readAsMcpr(t, {
        label: ['string'],
        calls: ['integer'],
        avg_us: ['number'],
        min_us: ['integer'],
        max_us: ['integer'],
        p95_us: ['integer'],
        error_pct: ['number'],
        total_bytes_in: ['integer'],
        total_bytes_out: ['integer'],
      }),
    );
    expect(tools).toEqual([
      {
        label: 'search',
        calls: 10,
        avg_us: 5500,
        min_us: 1000,
        max_us: 10_000,
        p95_us: 10_000,
        error_pct: 30,
        total_bytes_in: 100,
        total_bytes_out: 1000,
      },
      {
        label: '<tools/list>',
        calls: 1,
        avg_us: 500,
        min_us: 500,
        max_us: 500,
        p95_us: 500,
        error_pct: 0,
        total_bytes_in: 10,
        total_bytes_out: 100,
      },
    ]);
    const all = await json(['status', '--since', '3h']);
    expect(all).toMatchObject({ proxy: null, since: '3h', total_requests: 12, total_sessions: 2 });
  });

  it('logs, slow and session rows: mcpr keys and types', async () => {
    for (const row of await jsonLines(['logs', '--since', '1h'])) readAsMcpr(row, REQUEST_ROW);
    const slow = await jsonLines(['slow', '--threshold', '5ms']);
    expect(slow.map((r) => readAsMcpr(r, REQUEST_ROW).latency_us)).toEqual([
      2_000_000, 10_000, 9000, 8000, 7000, 6000, 5000,
    ]);
    const session = await json(['session', 's-alpha']);
    readAsMcpr(session, { ...SESSION_ROW, requests: ['array'] });
    expect(
      (session.requests as Record<string, unknown>[]).map(
        (r) => readAsMcpr(r, REQUEST_ROW).request_id,
      ),
    ).toHaveLength(11);
  });

  it('sessions and clients: --since on started_at, --client on the name, unrounded error_pct', async () => {
    const recent = await jsonLines(['sessions', '--since', '1h']);
    expect(recent.map((s) => readAsMcpr(s, SESSION_ROW).session_id)).toEqual(['s-alpha-1']);
    expect(
      (await jsonLines(['sessions', '--since', '3h', '--client', 'cursor'])).map(
        (s) => s.session_id,
      ),
    ).toEqual(['s-beta-1']);
    expect(await jsonLines(['sessions', '--since', '3h', '--client', 'claude'])).toEqual([]);
    expect(await jsonLines(['sessions', '--limit', '0'])).toEqual([]);
    const clients = (await jsonLines(['clients'])).map((c) =>
      readAsMcpr(c, {
        client_name: ['string', 'null'],
        client_version: ['string', 'null'],
        client_platform: ['string', 'null'],
        sessions: ['integer'],
        total_calls: ['integer'],
        total_errors: ['integer'],
        error_pct: ['number'],
        first_seen: ['integer'],
        last_seen: ['integer'],
      }),
    );
    expect(clients[0]).toMatchObject({
      client_name: 'claude-ai',
      total_calls: 11,
      total_errors: 3,
      error_pct: 300 / 11,
    });
  });

  it('schema, --changes and --unused: JSON Lines of mcpr keys; --unused wins over --changes', async () => {
    const snapshots = await jsonLines(['schema']);
    for (const s of snapshots) {
      readAsMcpr(s, {
        upstream_url: ['string'],
        method: ['string'],
        payload: ['string'],
        captured_at: ['integer'],
        schema_hash: ['string'],
      });
    }
    expect((await jsonLines(['schema', 'beta'])).map((s) => s.method)).toEqual(['initialize']);
    for (const c of await jsonLines(['schema', '--changes'])) {
      readAsMcpr(c, {
        upstream_url: ['string'],
        method: ['string'],
        change_type: ['string'],
        item_name: ['string', 'null'],
        old_hash: ['string', 'null'],
        new_hash: ['string', 'null'],
        detected_at: ['integer'],
      });
    }
    const unused = (await jsonLines(['schema', '--unused', '--changes'])).map((u) =>
      readAsMcpr(u, {
        tool_name: ['string'],
        description: ['string', 'null'],
        calls: ['integer'],
        errors: ['integer'],
        last_called_at: ['integer', 'null'],
      }),
    );
    // errors counts status error only: the timeout is not one.
    expect(unused).toEqual([
      { tool_name: 'idle', description: 'Never used', calls: 0, errors: 0, last_called_at: null },
      {
        tool_name: 'search',
        description: 'Find things',
        calls: 10,
        errors: 2,
        last_called_at: NOW - 10 * MIN,
      },
    ]);
    const empty = await runCli(['schema', '--unused', '--proxy', 'nobody', '--db', db]);
    expect(empty.stdout).toBe('(no tools/list schema captured yet)\n');
  });

  it('store stats and store vacuum: mcpr keys and types', async () => {
    readAsMcpr(await json(['store', 'stats']), {
      total_requests: ['integer'],
      total_sessions: ['integer'],
      oldest_ts: ['integer', 'null'],
      newest_ts: ['integer', 'null'],
      proxy_count: ['integer'],
      db_file_size: ['integer'],
      wal_file_size: ['integer'],
    });
    readAsMcpr(await json(['store', 'vacuum', '--before', '30d', '--dry-run']), {
      deleted_requests: ['integer'],
      deleted_sessions: ['integer'],
      dry_run: ['boolean'],
    });
  });

  it('human output: mcpr title and summary lines', async () => {
    const run = async (args: string[]) => (await runCli([...args, '--db', db])).stdout;
    expect(await run(['slow', '--threshold', '5ms'])).toMatch(
      /^TOP SLOW CALLS — all proxies — last 1h\n[\s\S]*\n7 calls above threshold \(avg /,
    );
    expect(await run(['sessions', '--since', '3h'])).toMatch(/\n2 sessions total, 0 active\n$/);
    expect(await run(['clients'])).toMatch(/\n2 unique clients, 2 sessions total\n$/);
    expect(await run(['schema', '--unused'])).toMatch(/\n1 tools listed but never called\n$/);
    const status = await run(['status']);
    expect(status).toMatch(/^STATUS — all proxies — last 1h\n/);
    expect(status).toMatch(/\nrunning proxies: /);
    expect(status).toMatch(/AVG SIZE/);
    expect(await run(['logs', '--tail', '1'])).toMatch(/ERR\s+ERROR\n/);
    expect(await run(['schema'])).toContain('    search  Find things');
  });
});
