#!/usr/bin/env node
// One proxy process of the end-to-end benchmark: records COUNT request
// events as fast as it can (yielding to the event loop between bursts so
// the socket can drain), then flushes. Prints timings as JSON. With TOOLS,
// calls go round that many tool names (tool-0, tool-1, ...); with PROXY, the
// client records under that proxy name instead of one of its own; with
// LATENCY `random`, latencies are scattered as the fixture's are; with
// RATE, it sends that many events a second instead of as fast as it can.
//   node bench-client.mjs SOCKET COUNT SESSIONS [TOOLS] [PROXY] [LATENCY] [RATE]
import { StoreClient } from '../../packages/client/dist/index.js';

const [
  socketPath,
  countText,
  sessionsText = '100',
  toolsText = '0',
  proxyName,
  latencyMode,
  rateText = '0',
] = process.argv.slice(2);
const latencyOf =
  latencyMode === 'random'
    ? () => Math.floor(200 + Math.random() ** 3 * 2_000_000)
    : (i) => i % 100_000;
const count = Number(countText);
const sessions = Number(sessionsText);
const toolNames = Array.from({ length: Number(toolsText) }, (_, i) => `tool-${i}`);
const toolOf = (i) =>
  toolNames.length > 0 ? toolNames[i % toolNames.length] : i % 3 === 0 ? 'search' : 'fetch';
const ratePerS = Number(rateText);
// Paced, a burst is a fiftieth of a second's events, so the rate is even.
const BURST = ratePerS > 0 ? Math.max(1, Math.round(ratePerS / 50)) : 2000;

const client = new StoreClient({
  socketPath,
  proxy: proxyName || `bench-${process.pid}`,
  maxQueueEvents: count + 1,
});
client.on('error', () => {});
const sessionIds = Array.from({ length: sessions }, (_, i) => `bench-${process.pid}-${i}`);
// Wait for the connection first, so start-up is not measured.
await client.health(30_000);

const startedAtMs = Date.now();
const started = process.hrtime.bigint();
for (let i = 0; i < count; i += 1) {
  client.record({
    kind: 'request',
    session_id: sessionIds[i % sessions],
    method: 'tools/call',
    tool: toolOf(i),
    latency_us: latencyOf(i),
    status: i % 20 === 0 ? 'error' : 'ok',
    bytes_in: 200,
    bytes_out: 4000,
  });
  if (i % BURST === BURST - 1) {
    const dueMs = ratePerS > 0 ? startedAtMs + ((i + 1) * 1000) / ratePerS - Date.now() : 0;
    await new Promise((resolve) =>
      dueMs > 0 ? setTimeout(resolve, dueMs) : setImmediate(resolve),
    );
  }
}
await client.flush(600_000);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const stats = client.stats();
await client.close(1000);
process.stdout.write(
  `${JSON.stringify({ count, seconds, started_at_ms: startedAtMs, ended_at_ms: Date.now(), committed: stats.committed, dropped: stats.dropped })}\n`,
);
