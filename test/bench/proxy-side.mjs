#!/usr/bin/env node
// What recording costs a proxy: nanoseconds per record() call, and the
// event-loop delay (p99) that recording adds to a busy process, compared
// with the same busy process not recording. Prints JSON.
//   node proxy-side.mjs SOCKET CALLS SECONDS
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StoreClient } from '../../packages/client/dist/index.js';

const [socketPath, callsText, secondsText] = process.argv.slice(2);
const calls = Number(callsText);
const seconds = Number(secondsText);

const client = new StoreClient({ socketPath, proxy: 'proxy-side', maxQueueEvents: 1_000_000 });
client.on('error', () => {});
await client.health(30_000);

const event = () => ({
  kind: 'request',
  session_id: 's',
  method: 'tools/call',
  tool: 'search',
  latency_us: 1234,
  status: 'ok',
});

// 1. record() cost, amortised over many calls (batching and sending included
//    only as far as they run inside record()).
for (let i = 0; i < 10_000; i += 1) client.record(event());
await client.flush(60_000);
// Amortised: the whole loop, so the batching and encoding that record()
// defers to later turns of the event loop are counted too. Call alone: only
// the time spent inside record() itself.
const started = process.hrtime.bigint();
let insideNs = 0n;
for (let i = 0; i < calls; i += 5000) {
  const burst = process.hrtime.bigint();
  for (let j = i; j < Math.min(calls, i + 5000); j += 1) client.record(event());
  insideNs += process.hrtime.bigint() - burst;
  await new Promise((resolve) => setImmediate(resolve));
}
const recordNs = Number(process.hrtime.bigint() - started) / calls;
const recordCallNs = Number(insideNs) / calls;
await client.flush(120_000);

// 2. A busy process: handlers doing ~0.2 ms of work each, back to back; with
//    recording, each handler also records one event.
async function busy(recording) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  const until = Date.now() + seconds * 1000;
  let handled = 0;
  while (Date.now() < until) {
    await new Promise((resolve) =>
      setImmediate(() => {
        const spin = process.hrtime.bigint() + 200_000n;
        while (process.hrtime.bigint() < spin);
        if (recording) client.record(event());
        handled += 1;
        resolve();
      }),
    );
  }
  histogram.disable();
  return { p99_ms: histogram.percentile(99) / 1e6, handled };
}
const without = await busy(false);
const withRecording = await busy(true);
await client.close(30_000);
process.stdout.write(
  `${JSON.stringify({ record_ns: recordNs, record_call_ns: recordCallNs, loop_p99_ms_without: without.p99_ms, loop_p99_ms_with: withRecording.p99_ms, handled_without: without.handled, handled_with: withRecording.handled })}\n`,
);
