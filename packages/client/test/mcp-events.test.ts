import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  mergeListPages,
  normalizeClientPlatform,
  requestEvent,
  schemaVersionEvent,
  sessionEvent,
} from '../src/index.js';

const call = {
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'search', arguments: { q: 'x' } },
};

describe('requestEvent', () => {
  it('takes the method, the tool name and the sizes of a successful tools/call', () => {
    const response = { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text: 'ok' }] } };
    expect(requestEvent({ request: call, response, latency_us: 1234.6, session_id: 's' })).toEqual({
      kind: 'request',
      ts: undefined,
      session_id: 's',
      method: 'tools/call',
      tool: 'search',
      latency_us: 1235,
      status: 'ok',
      error_code: null,
      error_msg: null,
      bytes_in: Buffer.byteLength(JSON.stringify(call)),
      bytes_out: Buffer.byteLength(JSON.stringify(response)),
    });
  });

  it('reports a JSON-RPC error with its code as text and a truncated message', () => {
    const response = { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'x'.repeat(900) } };
    const event = requestEvent({ request: call, response, latency_us: 5 });
    expect(event).toMatchObject({ status: 'error', error_code: '-32602' });
    expect(event.error_msg).toHaveLength(512);
  });

  it('reports a tool result with isError as an error with its text', () => {
    const response = {
      id: 1,
      result: { isError: true, content: [{ type: 'text', text: 'boom' }] },
    };
    expect(requestEvent({ request: call, response, latency_us: 5 })).toMatchObject({
      status: 'error',
      error_code: null,
      error_msg: 'boom',
    });
  });

  it('reports a missing response as a timeout', () => {
    expect(requestEvent({ request: call, timedOut: true, latency_us: 30_000_000 })).toMatchObject({
      status: 'timeout',
      bytes_out: null,
    });
  });

  it('leaves tool null for other methods and keeps given sizes', () => {
    const event = requestEvent({
      request: { method: 'resources/read', params: { uri: 'file:///a' } },
      response: { result: {} },
      latency_us: 1,
      bytes_in: 10,
      bytes_out: 20,
    });
    expect(event).toMatchObject({
      method: 'resources/read',
      tool: null,
      bytes_in: 10,
      bytes_out: 20,
    });
  });

  it('does not throw on nonsense', () => {
    expect(requestEvent({ request: null, response: 'x', latency_us: -5 })).toMatchObject({
      method: 'unknown',
      latency_us: 0,
    });
  });
});

describe('sessionEvent and client platforms', () => {
  it('reads clientInfo from an initialize request', () => {
    const initialize = {
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        clientInfo: { name: 'claude-ai', version: '0.1.0' },
      },
    };
    expect(sessionEvent({ session_id: 's1', initialize, started_at: 5 })).toEqual({
      kind: 'session',
      session_id: 's1',
      started_at: 5,
      client_name: 'claude-ai',
      client_version: '0.1.0',
      client_platform: 'claude',
    });
  });

  it('normalises the names real clients send', () => {
    const cases: [string | null, string][] = [
      ['claude-ai', 'claude'],
      ['Claude Desktop', 'claude'],
      ['claude-code', 'claude'],
      ['openai-mcp', 'chatgpt'],
      ['ChatGPT', 'chatgpt'],
      ['Visual Studio Code', 'vscode'],
      ['Visual Studio Code - Insiders', 'vscode'],
      ['cursor-vscode', 'vscode'],
      ['Cursor', 'cursor'],
      ['windsurf-client', 'windsurf'],
      ['Zed', 'zed'],
      ['mcp-inspector', 'mcp-inspector'],
      ['goose', 'goose'],
      ['my-own-bot', 'unknown'],
      [null, 'unknown'],
    ];
    for (const [name, platform] of cases)
      expect([name, normalizeClientPlatform(name)]).toEqual([name, platform]);
  });
});

describe('schemaVersionEvent', () => {
  it('hashes equal content equally whatever the key order', () => {
    const a = schemaVersionEvent({
      upstream_url: 'u',
      method: 'tools/list',
      result: { tools: [{ name: 't', inputSchema: { type: 'object', properties: {} } }] },
    });
    const b = schemaVersionEvent({
      upstream_url: 'u',
      method: 'tools/list',
      result: { tools: [{ inputSchema: { properties: {}, type: 'object' }, name: 't' }] },
    });
    expect(a.payload).toBe(b.payload);
    expect(a.schema_hash).toBe(b.schema_hash);
    expect(a.schema_hash).toBe(
      createHash('sha256')
        .update(a.payload as string)
        .digest('hex'),
    );
  });

  it('merges nextCursor pages into one list', () => {
    const pages = [
      { tools: [{ name: 'a' }], nextCursor: 'c1' },
      { tools: [{ name: 'b' }], nextCursor: 'c2' },
      { tools: [{ name: 'c' }] },
    ];
    expect(mergeListPages('tools/list', pages)).toEqual({
      tools: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    });
    const event = schemaVersionEvent({ upstream_url: 'u', method: 'tools/list', pages });
    expect(JSON.parse(event.payload as string)).toEqual({
      tools: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    });
  });

  it('keeps an initialize result as it is', () => {
    const result = {
      protocolVersion: '2025-06-18',
      serverInfo: { name: 's', version: '1' },
      capabilities: {},
    };
    const event = schemaVersionEvent({ upstream_url: 'u', method: 'initialize', result });
    expect(JSON.parse(event.payload as string)).toEqual(result);
  });
});
