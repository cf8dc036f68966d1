#!/usr/bin/env node
// Record-to-ack latency at a steady rate: events are recorded at RATE per
// second for SECONDS; every 20th one is followed by flush(), whose
// resolution is the moment that event (and all before it) was acknowledged.
// Prints p50 and p99 in milliseconds as JSON.
//   node ack-latency.mjs SOCKET RATE SECONDS
import { StoreClient } from '../../packages/client/dist/index.js';

const [socketPath, rateText, secondsText] = process.argv.slice(2);
const rate = Number(rateText);
const seconds = Number(secondsText);
const client = new StoreClient({ socketPath, proxy: 'ack-latency', maxQueueEvents: 1_000_000 });
client.on('error', () => {});
await client.health(30_000);

const TICK_MS = 5;
const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
const samples = [];
const pending = [];
const started = Date.now();
let recorded = 0;
while (Date.now() - started < seconds * 1000) {
  const tickStart = Date.now();
  for (let i = 0; i < perTick; i += 1) {
    client.record({
      kind: 'request',
      session_id: `s${recorded % 50}`,
      method: 'tools/call',
      tool: 'search',
      latency_us: 10,
      status: 'ok',
    });
    recorded += 1;
    if (recorded % 20 === 0) {
      const at = process.hrtime.bigint();
      pending.push(
        client.flush(60_000).then(() => samples.push(Number(process.hrtime.bigint() - at) / 1e6)),
      );
    }
  }
  const elapsed = Date.now() - tickStart;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, TICK_MS - elapsed)));
}
await Promise.all(pending);
await client.close(10_000);
samples.sort((a, b) => a - b);
const at = (p) => samples[Math.max(0, Math.ceil((p / 100) * samples.length) - 1)] ?? null;
const achieved = recorded / ((Date.now() - started) / 1000);
process.stdout.write(
  `${JSON.stringify({ rate, achieved_rate: achieved, samples: samples.length, p50_ms: at(50), p99_ms: at(99) })}\n`,
);
