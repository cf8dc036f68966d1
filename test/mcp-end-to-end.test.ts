// A real MCP client and a real MCP server (stdio child process) talking
// through a recording proxy that reports to the real daemon.
import path from 'node:path';
import { type DaemonProcess, REPO_ROOT, startDaemon } from '@mcpr-store/test-utils';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreClient } from '../packages/client/src/index.js';
import { RecordingProxy } from './helpers/recording-proxy.js';

const daemons: DaemonProcess[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

describe('MCP end to end', () => {
  it('stores exactly what happened in a real MCP session', async () => {
    const daemon = await startDaemon();
    daemons.push(daemon);
    const store = new StoreClient({ socketPath: daemon.socketPath, proxy: 'e2e-proxy' });
    const upstreamUrl = 'stdio://fixture-server';
    const upstream = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(REPO_ROOT, 'test/fixtures/mcp-server.mjs')],
      stderr: 'pipe',
    });
    const proxy = new RecordingProxy(upstream, store, upstreamUrl);
    await proxy.start();

    const client = new Client({ name: 'claude-ai', version: '0.9.1' });
    let listChanged!: () => void;
    const listChangedSeen = new Promise<void>((resolve) => {
      listChanged = resolve;
    });
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => listChanged());
    await client.connect(proxy.clientTransport);

    const firstList = await client.listTools();
    expect(firstList.tools.map((t) => t.name).sort()).toEqual(['evolve', 'fail', 'search']);
    const ok = await client.callTool({ name: 'search', arguments: { query: 'shoes' } });
    expect(ok.isError).toBeFalsy();
    await client.callTool({ name: 'search', arguments: { query: 'hats' } });
    const failed = await client.callTool({ name: 'fail', arguments: {} });
    expect(failed.isError).toBe(true);
    let unknownError: unknown = null;
    const unknown = await client.callTool({ name: 'no_such_tool', arguments: {} }).catch((e) => {
      unknownError = e;
      return null;
    });
    expect(unknown?.isError === true || unknownError !== null).toBe(true);
    const resource = await client.readResource({ uri: 'mem://readme' });
    expect(resource.contents[0]).toMatchObject({ text: 'hello from the fixture' });
    await client.callTool({ name: 'evolve', arguments: {} });
    await listChangedSeen;
    const secondList = await client.listTools();
    expect(secondList.tools.map((t) => t.name).sort()).toEqual(['added_tool', 'evolve', 'search']);
    await client.close();
    await store.close(10_000);
    expect(store.stats()).toMatchObject({ rejected: 0, dropped: 0 });

    const db = new Database(daemon.dbPath, { readonly: true });
    try {
      const requests = db
        .prepare(
          'SELECT method, tool, status, error_code, error_msg, session_id, proxy FROM requests ORDER BY ts, id',
        )
        .all() as Record<string, unknown>[];
      const sessionId = requests[0]?.session_id;
      expect(sessionId).toBeTruthy();
      for (const row of requests)
        expect(row).toMatchObject({ session_id: sessionId, proxy: 'e2e-proxy' });
      const unknownRow = unknownError
        ? { method: 'tools/call', tool: 'no_such_tool', status: 'error', error_code: '-32602' }
        : { method: 'tools/call', tool: 'no_such_tool', status: 'error', error_code: null };
      expect(
        requests.map(({ method, tool, status, error_code }) => ({
          method,
          tool,
          status,
          error_code,
        })),
      ).toEqual([
        { method: 'initialize', tool: null, status: 'ok', error_code: null },
        { method: 'tools/list', tool: null, status: 'ok', error_code: null },
        { method: 'tools/call', tool: 'search', status: 'ok', error_code: null },
        { method: 'tools/call', tool: 'search', status: 'ok', error_code: null },
        { method: 'tools/call', tool: 'fail', status: 'error', error_code: null },
        unknownRow,
        { method: 'resources/read', tool: null, status: 'ok', error_code: null },
        { method: 'tools/call', tool: 'evolve', status: 'ok', error_code: null },
        { method: 'tools/list', tool: null, status: 'ok', error_code: null },
      ]);
      expect(requests[4]?.error_msg).toBe('the warehouse is on fire');

      expect(db.prepare('SELECT * FROM sessions').get()).toMatchObject({
        session_id: sessionId,
        proxy: 'e2e-proxy',
        client_name: 'claude-ai',
        client_version: '0.9.1',
        client_platform: 'claude',
        total_calls: requests.length,
        total_errors: 2,
      });
      expect(
        (db.prepare('SELECT ended_at FROM sessions').get() as { ended_at: number | null }).ended_at,
      ).not.toBeNull();

      const snapshots = db
        .prepare('SELECT proxy, upstream_url, method, payload FROM server_schema ORDER BY method')
        .all() as { proxy: string; upstream_url: string; method: string; payload: string }[];
      expect(snapshots.map((s) => [s.proxy, s.upstream_url, s.method])).toEqual([
        ['e2e-proxy', upstreamUrl, 'initialize'],
        ['e2e-proxy', upstreamUrl, 'tools/list'],
      ]);
      expect(JSON.parse(snapshots[0]?.payload as string).serverInfo).toEqual({
        name: 'fixture-server',
        version: '1.2.3',
      });
      const changes = db
        .prepare('SELECT method, change_type, item_name FROM schema_changes ORDER BY id')
        .all() as Record<string, unknown>[];
      expect(changes.slice(0, 2)).toEqual([
        { method: 'initialize', change_type: 'initial', item_name: null },
        { method: 'tools/list', change_type: 'initial', item_name: null },
      ]);
      expect(
        changes.slice(2).sort((a, b) => String(a.change_type).localeCompare(String(b.change_type))),
      ).toEqual([
        { method: 'tools/list', change_type: 'tool_added', item_name: 'added_tool' },
        { method: 'tools/list', change_type: 'tool_modified', item_name: 'search' },
        { method: 'tools/list', change_type: 'tool_removed', item_name: 'fail' },
      ]);
    } finally {
      db.close();
    }
  });
});
