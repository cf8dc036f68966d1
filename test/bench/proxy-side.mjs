#!/usr/bin/env node
// What recording costs a proxy: nanoseconds per record() call, the heap
// bytes each call allocates, and the event-loop delay (p99) that recording
// adds to a busy process, compared with the same busy process not
// recording. The amortised cost is given in
// wall time and in this process's CPU time: on a small shared machine the
// daemon's threads compete for the same cores, and wall time then counts
// the time this process waited for a core as well. Each event's session id,
// method and tool are strings of their own, as a proxy gets them from the
// requests it parses, never the same objects again (see traffic.mjs).
// Prints JSON.
//   node proxy-side.mjs SOCKET CALLS SECONDS [INSTANT_ACK_PEER_SOCKET]
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { StoreClient } from '../../packages/client/dist/index.js';
import { median } from './median.mjs';
import { trafficEvent } from './traffic.mjs';

const [socketPath, callsText, secondsText, peerSocketPath] = process.argv.slice(2);
const calls = Number(callsText);
const seconds = Number(secondsText);

const client = new StoreClient({ socketPath, proxy: 'proxy-side', maxQueueEvents: 1_000_000 });
client.on('error', () => {});
await client.health(30_000);

// 1. record() cost. Warm up first.
for (let i = 0; i < 10_000; i += 1) client.record(trafficEvent(i, true));
await client.flush(60_000);
// The proxy's own cost of making each event object, measured alone (wall
// time, and this process's CPU time) and taken out of every figure.
const madeAt = process.hrtime.bigint();
const madeCpu = process.cpuUsage();
for (let i = 0; i < calls; i += 1) trafficEvent(i, true);
const makeCpu = process.cpuUsage(madeCpu);
const makeNs = Number(process.hrtime.bigint() - madeAt) / calls;
const makeCpuNs = ((makeCpu.user + makeCpu.system) * 1000) / calls;

// 1a. As fast as it can: bursts of 5,000 with a turn of the event loop
//     between them, far faster than any daemon stores, so the client's queue
//     grows. Wall time of the whole loop (amortised: the batching, encoding
//     and writing done on later turns included) and of the calls alone.
const started = process.hrtime.bigint();
let insideNs = 0n;
for (let i = 0; i < calls; i += 5000) {
  const burst = process.hrtime.bigint();
  for (let j = i; j < Math.min(calls, i + 5000); j += 1) client.record(trafficEvent(j, true));
  insideNs += process.hrtime.bigint() - burst;
  await new Promise((resolve) => setImmediate(resolve));
}
const recordNs = Number(process.hrtime.bigint() - started) / calls - makeNs;
const recordCallNs = Number(insideNs) / calls - makeNs;
await client.flush(300_000);

// 1b. At a rate the daemon keeps up with: bursts of 5,000, each flushed
//     before the next. This process's CPU time (user and system, all its
//     threads) per event is what recording costs the proxy: encoding,
//     framing, socket writes, acks, garbage collection; time spent waiting
//     for the daemon is not counted, and no backlog builds up. Timed in
//     five rounds: the figure is all of them together, and each round's
//     own shows how much it moves on a shared machine.
/** Records events `first` to `first + count - 1` in bursts of 5,000, each flushed before the next. */
async function recordFlushed(recorder, first, count) {
  for (let i = first; i < first + count; i += 5000) {
    for (let j = i; j < i + 5000; j += 1) recorder.record(trafficEvent(j, true));
    await recorder.flush(60_000);
  }
}
const ROUNDS = 5;
const roundCalls = Math.max(5000, Math.floor(calls / 4 / ROUNDS / 5000) * 5000);
async function steadyCpuNs(recorder) {
  const rounds = [];
  let totalNs = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const cpuBefore = process.cpuUsage();
    await recordFlushed(recorder, round * roundCalls, roundCalls);
    const cpu = process.cpuUsage(cpuBefore);
    const ns = (cpu.user + cpu.system) * 1000;
    totalNs += ns;
    rounds.push(Math.round(ns / roundCalls - makeCpuNs));
  }
  return { ns: totalNs / (ROUNDS * roundCalls) - makeCpuNs, rounds };
}
// Run once untimed first (as against the peer below): V8 compiles the
// round loop and the flush path during the first rounds, on a thread of this
// process, some 30 ms of CPU that would otherwise be counted as recording.
await steadyCpuNs(client);
const steady = await steadyCpuNs(client);

// 1c. The same against a peer that acks at once and stores nothing
//     (instant-ack-peer.mjs), when given: the client's own cost, without
//     the daemon's threads taking the cores this process runs on.
let steadyInstantAck = null;
if (peerSocketPath) {
  const alone = new StoreClient({
    socketPath: peerSocketPath,
    proxy: 'proxy-side',
    maxQueueEvents: 1_000_000,
  });
  alone.on('error', () => {});
  await alone.health(30_000);
  await steadyCpuNs(alone);
  steadyInstantAck = await steadyCpuNs(alone);
  await alone.close(30_000);
}

// 1d. Memory: bytes of JavaScript heap that recording allocates per event,
//     from V8's sampling heap profiler counting what the young generation
//     collected too. Every such byte brings the next scavenge nearer, and a
//     proxy that has been idle has a small young generation. The harness's
//     own event objects are measured alone the same way and taken out.
async function heapBytesPerEvent(loop) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 128,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const events = await loop();
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const visit = (node) => {
    bytes += node.selfSize;
    for (const child of node.children) visit(child);
  };
  visit(profile.head);
  return bytes / events;
}
const HEAP_EVENTS = Math.min(200_000, Math.max(5000, Math.floor(calls / 5000) * 5000));
// The events made alone are kept (a few at a time), as record() keeps its
// argument in view: otherwise the compiler may never make them at all.
const madeEvents = new Array(64);
const makeHeapBytes = await heapBytesPerEvent(async () => {
  for (let i = 0; i < HEAP_EVENTS; i += 5000) {
    for (let j = i; j < i + 5000; j += 1) madeEvents[j & 63] = trafficEvent(j, true);
    await client.flush(60_000);
  }
  return HEAP_EVENTS;
});
const recordHeapBytes =
  (await heapBytesPerEvent(async () => {
    await recordFlushed(client, 0, HEAP_EVENTS);
    return HEAP_EVENTS;
  })) - makeHeapBytes;

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
        if (recording) client.record(trafficEvent(handled, true));
        handled += 1;
        resolve();
      }),
    );
  }
  histogram.disable();
  return { p99_ms: histogram.percentile(99) / 1e6, handled };
}
// Three pairs, each without then with recording, so a moment when the
// machine is busier falls on both sides; each side's figure is its median.
const pairs = [];
for (let pair = 0; pair < 3; pair += 1) pairs.push([await busy(false), await busy(true)]);
const without = {
  p99_ms: median(pairs.map(([off]) => off.p99_ms)),
  handled: pairs.reduce((sum, [off]) => sum + off.handled, 0),
};
const withRecording = {
  p99_ms: median(pairs.map(([, on]) => on.p99_ms)),
  handled: pairs.reduce((sum, [, on]) => sum + on.handled, 0),
};
await client.close(30_000);
process.stdout.write(
  `${JSON.stringify({ record_ns: recordNs, record_cpu_ns: steady.ns, record_cpu_ns_rounds: steady.rounds, record_cpu_ns_instant_ack: steadyInstantAck?.ns ?? null, record_cpu_ns_instant_ack_rounds: steadyInstantAck?.rounds ?? null, record_call_ns: recordCallNs, record_heap_bytes: recordHeapBytes, make_event_heap_bytes: makeHeapBytes, make_event_ns: makeNs, make_event_cpu_ns: makeCpuNs, loop_p99_ms_without: without.p99_ms, loop_p99_ms_with: withRecording.p99_ms, loop_p99_ms_pairs: pairs.map(([off, on]) => [off.p99_ms, on.p99_ms]), handled_without: without.handled, handled_with: withRecording.handled })}\n`,
);
