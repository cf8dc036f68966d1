// The metrics endpoint of a real daemon, after real clients sent a known
// mix: promtool finds the text clean, and every counter and histogram holds
// exactly what was stored (a resent duplicate counted once, the tool budget
// per proxy spent in arrival order, the rest as _other).
import { spawnSync } from 'node:child_process';
import { StoreClient } from '@mcpr-store/client';
import { type DaemonProcess, freePort, startDaemon, tempDir } from '@mcpr-store/test-utils';
import { afterAll, describe, expect, it } from 'vitest';

const daemons: DaemonProcess[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

/** `name{labels} value` lines as a map from the name with its labels, sorted as written. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

describe('metrics', () => {
  it('serves exact, promtool-clean metrics of what was stored', async () => {
    const port = await freePort();
    const d = await startDaemon({
      args: [
        '--metrics-listen',
        `127.0.0.1:${port}`,
        '--metrics-max-tools',
        '2',
        '--retain-bytes',
        '50MB',
        '--max-db-bytes',
        '100000000',
      ],
    });
    daemons.push(d);
    const client = new StoreClient({ socketPath: d.socketPath, proxy: 'edge' });
    const request = (
      tool: string | null,
      latency_us: number,
      fields: Record<string, unknown> = {},
    ) =>
      client.record({
        kind: 'request',
        method: tool === null ? 'tools/list' : 'tools/call',
        tool,
        latency_us,
        status: 'ok',
        ...fields,
      } as never);
    client.record({
      kind: 'session',
      session_id: 's1',
      client_name: 'claude-ai',
      client_platform: 'claude',
    });
    client.record({
      kind: 'session',
      session_id: 's1',
      client_name: 'claude-ai',
      client_platform: 'claude',
    });
    request('alpha', 5_000, { request_id: 'r-1' });
    request('alpha', 15_000);
    request('alpha', 30_000);
    request('beta', 250_000, { status: 'error', error_code: '-32602' });
    request('gamma', 2_000_000, { status: 'timeout' });
    request('delta', 1_000, { status: 'error' });
    request(null, 100);
    request('alpha', 5_000, { request_id: 'r-1' }); // resent: stored once, counted once
    request('alpha', 1, { status: 'weird' }); // invalid
    await client.close(10_000);
    expect(client.stats()).toMatchObject({ committed: 10, rejected: 1, duplicates: 1 });
    // Label values are escaped as the text format says.
    const odd = new StoreClient({ socketPath: d.socketPath, proxy: 'west "2"\\b' });
    odd.record({
      kind: 'request',
      method: 'tools/call',
      tool: 'line\nbreak',
      latency_us: 1,
      status: 'ok',
    });
    await odd.close(10_000);
    expect(odd.stats()).toMatchObject({ committed: 1, rejected: 0 });

    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect([lint.status, lint.stdout, lint.stderr]).toEqual([0, '', '']);

    const m = samples(text);
    expect(m.get('mcpr_store_events_received_total{kind="request"}')).toBe(10);
    expect(m.get('mcpr_store_events_received_total{kind="session"}')).toBe(2);
    expect(m.get('mcpr_store_events_committed_total{kind="request"}')).toBe(9);
    expect(m.get('mcpr_store_events_committed_total{kind="session"}')).toBe(2);
    expect(m.get('mcpr_store_events_rejected_total{reason="validation"}')).toBe(1);
    expect(m.get('mcpr_store_duplicates_ignored_total')).toBe(1);
    expect(m.get('mcpr_store_sessions_started_total{proxy="edge",client_platform="claude"}')).toBe(
      1,
    );
    expect(m.get('mcpr_store_writer_up')).toBe(1);
    expect(m.get('mcpr_store_writes_failing')).toBe(0);
    expect(m.get('mcpr_store_retain_bytes')).toBe(50_000_000);
    expect(m.get('mcpr_store_max_db_bytes')).toBe(100_000_000);
    expect(m.get('mcpr_store_build_info{version="0.1.0"}')).toBe(1);

    const op = (tool: string, errorType: string, suffix: string, le?: string) => {
      const method = tool === '' ? 'tools/list' : 'tools/call';
      const labels = `proxy="edge",mcp_method_name="${method}",gen_ai_tool_name="${tool}",error_type="${errorType}"`;
      return m.get(
        `mcp_server_operation_duration_seconds_${suffix}{${labels}${le === undefined ? '' : `,le="${le}"`}}`,
      );
    };
    // alpha: 5, 15 and 30 ms, ok; the resend not counted.
    expect(op('alpha', '', 'bucket', '0.01')).toBe(1);
    expect(op('alpha', '', 'bucket', '0.02')).toBe(2);
    expect(op('alpha', '', 'bucket', '0.05')).toBe(3);
    expect(op('alpha', '', 'bucket', '+Inf')).toBe(3);
    expect(op('alpha', '', 'count')).toBe(3);
    expect(op('alpha', '', 'sum')).toBeCloseTo(0.05, 9);
    expect(op('beta', '-32602', 'bucket', '0.2')).toBe(0);
    expect(op('beta', '-32602', 'bucket', '0.5')).toBe(1);
    // Past two tools for this proxy, the rest are _other.
    expect(op('_other', 'timeout', 'count')).toBe(1);
    expect(op('_other', 'error', 'count')).toBe(1);
    expect(op('', '', 'bucket', '0.01')).toBe(1);
    expect(text).not.toContain('gen_ai_tool_name="gamma"');
    expect(
      m.get(
        'mcp_server_operation_duration_seconds_count{proxy="west \\"2\\"\\\\b",mcp_method_name="tools/call",gen_ai_tool_name="line\\nbreak",error_type=""}',
      ),
    ).toBe(1);

    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('is off by default and refuses a malformed address with exit 2', async () => {
    const d = await startDaemon();
    daemons.push(d);
    expect(d.stderr()).not.toContain('metrics served');
    const { runCli } = await import('@mcpr-store/test-utils');
    const dir = tempDir();
    const out = await runCli([
      'daemon',
      '--db',
      `${dir}/s.db`,
      '--socket',
      `${dir}/s.sock`,
      '--metrics-listen',
      'nowhere:port',
    ]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('--metrics-listen: "nowhere:port" is not HOST:PORT');
  });
});
