#!/usr/bin/env node
// Builds a realistic store for query tests and benchmarks: requests spread
// over a span of days across proxies, sessions, tools, statuses and sizes,
// plus schema snapshots, written through the daemon's own writer (so the
// file is exactly what the daemon would have produced). Deterministic for a
// given --seed.
//
//   node test/bench/make-fixture-db.mjs --db PATH [--requests 1000000] [--sessions 20000]
//        [--days 7] [--proxies 3] [--seed 42] [--end-ms NOW]

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  applyWriterPragmas,
  openWriteConnection,
  prepareNewFile,
} from '../../packages/daemon/dist/db/connection.js';
import { migrate } from '../../packages/daemon/dist/db/migrate.js';
import { TransactionWriter } from '../../packages/daemon/dist/writer/transaction-writer.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    requests: { type: 'string', default: '1000000' },
    sessions: { type: 'string', default: '20000' },
    days: { type: 'string', default: '7' },
    proxies: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    'end-ms': { type: 'string' },
  },
});
if (!values.db) {
  process.stderr.write(
    'usage: make-fixture-db.mjs --db PATH [--requests N] [--sessions N] [--days N]\n',
  );
  process.exit(1);
}

export const TOOLS = [
  'search',
  'fetch_page',
  'create_issue',
  'list_files',
  'read_file',
  'run_query',
  'send_email',
  'summarize',
];
const METHODS_WITHOUT_TOOL = ['resources/read', 'tools/list', 'prompts/get', 'initialize'];
const CLIENTS = [
  ['claude-ai', '0.9.1', 'claude'],
  ['cursor-vscode', '1.2.0', 'vscode'],
  ['Cursor', '0.44.1', 'cursor'],
  ['openai-mcp', '1.0.0', 'chatgpt'],
  ['windsurf-client', '2.1', 'windsurf'],
];

let state = Number(values.seed) >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(random() * list.length)];

const requestCount = Number(values.requests);
const sessionCount = Number(values.sessions);
const spanMs = Number(values.days) * 86_400_000;
const endMs = values['end-ms'] ? Number(values['end-ms']) : Date.now();
const startMs = endMs - spanMs;
const proxies = Array.from({ length: Number(values.proxies) }, (_, i) => `proxy-${i + 1}`);

fs.rmSync(values.db, { force: true });
const db = openWriteConnection(values.db);
prepareNewFile(db);
applyWriterPragmas(db);
migrate(db, 'fixture');
const writer = new TransactionWriter(db);

// Sessions start evenly over the span; each request picks a session whose
// start is before it, so counters and last_seen_at come out consistent.
const sessions = Array.from({ length: sessionCount }, (_, i) => {
  const [client_name, client_version, client_platform] = pick(CLIENTS);
  return {
    kind: 'session',
    session_id: `sess-${String(i).padStart(6, '0')}-${Math.floor(random() * 1e9).toString(36)}`,
    proxy: proxies[i % proxies.length],
    started_at: Math.floor(startMs + (spanMs * i) / sessionCount),
    client_name,
    client_version,
    client_platform,
  };
});

const BATCH = 5000;
const started = Date.now();
writer.write(sessions);
let batch = [];
for (let i = 0; i < requestCount; i += 1) {
  const ts = Math.floor(startMs + (spanMs * i) / requestCount);
  const sessionIndex = Math.min(
    sessionCount - 1,
    Math.floor((sessionCount * i) / requestCount) - Math.floor(random() * 3),
  );
  const session = sessions[Math.max(0, sessionIndex)];
  const hasTool = random() < 0.85;
  const roll = random();
  const status = roll < 0.9 ? 'ok' : roll < 0.97 ? 'error' : 'timeout';
  const latency = Math.floor(200 + random() ** 3 * 2_000_000);
  batch.push({
    kind: 'request',
    request_id: `req-${String(i).padStart(8, '0')}`,
    ts,
    proxy: session.proxy,
    session_id: session.session_id,
    method: hasTool ? 'tools/call' : pick(METHODS_WITHOUT_TOOL),
    tool: hasTool ? pick(TOOLS) : null,
    latency_us: latency,
    status,
    error_code: status === 'error' ? pick(['-32602', '-32603', '-32000']) : null,
    error_msg: status === 'error' ? 'upstream said no' : null,
    bytes_in: Math.floor(100 + random() * 2000),
    bytes_out: Math.floor(200 + random() * 50_000),
  });
  if (batch.length === BATCH) {
    writer.write(batch);
    batch = [];
  }
}
if (batch.length > 0) writer.write(batch);
// Older sessions ended cleanly.
writer.write(
  sessions
    .filter((_, i) => i < sessionCount * 0.9)
    .map((s) => ({
      kind: 'session_closed',
      session_id: s.session_id,
      ended_at: s.started_at + 600_000,
      proxy: s.proxy,
    })),
);
for (const proxy of proxies) {
  const upstream_url = `https://${proxy}.upstream.example/mcp`;
  writer.write([
    {
      kind: 'schema_version',
      ts: startMs,
      proxy,
      upstream_url,
      method: 'initialize',
      payload: JSON.stringify({
        protocolVersion: '2025-06-18',
        capabilities: { tools: { listChanged: true }, resources: {} },
        serverInfo: { name: `${proxy}-server`, version: '1.0.0' },
      }),
      schema_hash: null,
    },
    {
      kind: 'schema_version',
      ts: startMs,
      proxy,
      upstream_url,
      method: 'tools/list',
      payload: JSON.stringify({
        tools: [...TOOLS, 'never_called'].map((name) => ({
          name,
          inputSchema: { type: 'object' },
        })),
      }),
      schema_hash: null,
    },
  ]);
}
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();
process.stdout.write(
  `${JSON.stringify({ db: values.db, requests: requestCount, sessions: sessionCount, days: Number(values.days), seconds: (Date.now() - started) / 1000 })}\n`,
);
