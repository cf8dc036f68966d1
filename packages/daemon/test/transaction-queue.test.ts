import { type AckMessage, type StoreEvent, validateEvent } from '@mcpr-store/protocol';
import { requestEvent } from '@mcpr-store/test-utils';
import { describe, expect, it } from 'vitest';
import type { ClientBatch } from '../src/ingest/client-batch.js';
import {
  type TransactionListener,
  TransactionQueue,
  type WriterPort,
} from '../src/ingest/transaction-queue.js';
import { type ColumnBatch, packColumns } from '../src/writer/column-batch.js';
import { emptyOutcome, type TransactionOutcome } from '../src/writer/transaction-writer.js';
import { unpackColumns } from './unpack-columns.js';

/** A writer whose every write waits until the test answers it. */
class HeldWriter implements WriterPort {
  readonly writes: {
    events: StoreEvent[];
    commit(): void;
    fail(message: string): void;
  }[] = [];

  write(batches: ColumnBatch[]): Promise<TransactionOutcome> {
    const events = batches.flatMap(unpackColumns);
    return new Promise((resolve, reject) => {
      this.writes.push({
        events,
        commit: () =>
          resolve({
            ...emptyOutcome(),
            committed: events.length,
            commit_us: 1,
            committed_by_kind: { request: events.length },
          }),
        fail: (message) => reject(new Error(message)),
      });
    });
  }

  /** The name (request id) of each event of write `k`. */
  names(k: number): string[] {
    return (this.writes[k]?.events ?? []).map((e) => (e.kind === 'request' ? e.request_id : ''));
  }
}

const quiet: TransactionListener = {
  onPressure() {},
  onCommitted() {},
  onWriteFailed() {},
  onRecovered() {},
};

function queueWith(writer: WriterPort, listener: TransactionListener = quiet): TransactionQueue {
  return new TransactionQueue(
    writer,
    {
      transactionMaxEvents: 10,
      transactionDelayMs: 60_000,
      maxHeldEvents: 1000,
      maxHeldBytes: 1 << 20,
      retryMinMs: 5,
      retryMaxMs: 20,
    },
    listener,
  );
}

/** A client batch of `count` requests with ids `${name}0`, `${name}1`...; records its ack. */
function clientBatch(name: string, count: number, acks: Map<string, AckMessage>): ClientBatch {
  const events = Array.from({ length: count }, (_, i) => {
    const result = validateEvent(requestEvent({ request_id: `${name}${i}` }));
    if (!result.ok) throw new Error(result.reason);
    return result.event;
  });
  return {
    seq: 1,
    columns: packColumns(events),
    indexes: events.map((_, i) => i),
    rejected: [],
    bytes: count * 100,
    received_by_kind: { request: count },
    settle: (ack) => acks.set(name, ack),
  };
}

/** The names clientBatch(`name`, count) gives its events. */
const named = (name: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${name}${i}`);

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TransactionQueue', () => {
  it('hands a full batch to a busy writer at once, and never more than two', async () => {
    const writer = new HeldWriter();
    const acks = new Map<string, AckMessage>();
    const queue = queueWith(writer);
    queue.submit(clientBatch('a', 10, acks));
    queue.submit(clientBatch('b', 10, acks));
    queue.submit(clientBatch('c', 10, acks));
    expect(writer.writes).toHaveLength(2);
    expect(queue.heldEvents).toBe(30);
    writer.writes[0]?.commit();
    await settle();
    expect(acks.get('a')).toMatchObject({ committed: 10 });
    expect(writer.writes).toHaveLength(3);
    expect(writer.names(2)).toEqual(named('c', 10));
    writer.writes[1]?.commit();
    writer.writes[2]?.commit();
    await settle();
    expect([...acks.keys()]).toEqual(['a', 'b', 'c']);
    expect(queue.heldEvents).toBe(0);
  });

  it('lets a partial batch gather while the writer is busy, then sends it whole', async () => {
    const writer = new HeldWriter();
    const acks = new Map<string, AckMessage>();
    const queue = queueWith(writer);
    queue.submit(clientBatch('a', 10, acks));
    queue.submit(clientBatch('b', 3, acks));
    queue.submit(clientBatch('c', 4, acks));
    expect(writer.writes).toHaveLength(1);
    writer.writes[0]?.commit();
    await settle();
    expect(writer.writes).toHaveLength(2);
    expect(writer.names(1)).toEqual(['b0', 'b1', 'b2', 'c0', 'c1', 'c2', 'c3']);
  });

  it('retries failed batches in arrival order, the one handed over ahead included', async () => {
    const writer = new HeldWriter();
    const acks = new Map<string, AckMessage>();
    const failures: string[] = [];
    const queue = queueWith(writer, { ...quiet, onWriteFailed: (e) => failures.push(e.message) });
    queue.submit(clientBatch('a', 10, acks));
    queue.submit(clientBatch('b', 10, acks));
    queue.submit(clientBatch('c', 2, acks));
    writer.writes[0]?.fail('disk full');
    await settle();
    // While writes fail, nothing more goes ahead.
    expect(writer.writes).toHaveLength(2);
    writer.writes[1]?.fail('disk full');
    await settle();
    expect(failures).toEqual(['disk full', 'disk full']);
    expect(queue.heldEvents).toBe(22);
    await after(40);
    expect(writer.writes).toHaveLength(3);
    expect(writer.names(2)).toEqual(named('a', 10));
    writer.writes[2]?.commit();
    await settle();
    expect(writer.writes).toHaveLength(4);
    expect(writer.names(3)).toEqual(named('b', 10));
    writer.writes[3]?.commit();
    await settle();
    writer.writes[4]?.commit();
    await settle();
    expect(writer.names(4)).toEqual(['c0', 'c1']);
    expect([...acks.keys()]).toEqual(['a', 'b', 'c']);
    expect(queue.heldEvents).toBe(0);
  });

  it('acks the batch behind a failed one when it commits, and retries the failed one', async () => {
    const writer = new HeldWriter();
    const acks = new Map<string, AckMessage>();
    const queue = queueWith(writer);
    queue.submit(clientBatch('a', 10, acks));
    queue.submit(clientBatch('b', 10, acks));
    writer.writes[0]?.fail('SQLITE_IOERR');
    writer.writes[1]?.commit();
    await settle();
    expect([...acks.keys()]).toEqual(['b']);
    expect(queue.heldEvents).toBe(10);
    await after(40);
    expect(writer.names(2)).toEqual(named('a', 10));
    writer.writes[2]?.commit();
    await settle();
    expect([...acks.keys()]).toEqual(['b', 'a']);
    await queue.drain();
  });

  it('counts both batches in the writer as held, so reading pauses in time', async () => {
    const writer = new HeldWriter();
    const pressure: boolean[] = [];
    const queue = new TransactionQueue(
      writer,
      {
        transactionMaxEvents: 10,
        transactionDelayMs: 60_000,
        maxHeldEvents: 15,
        maxHeldBytes: 1 << 20,
        retryMinMs: 5,
        retryMaxMs: 20,
      },
      { ...quiet, onPressure: (paused) => pressure.push(paused) },
    );
    const acks = new Map<string, AckMessage>();
    queue.submit(clientBatch('a', 10, acks));
    expect(pressure).toEqual([]);
    queue.submit(clientBatch('b', 10, acks));
    expect(writer.writes).toHaveLength(2);
    expect(pressure).toEqual([true]);
    writer.writes[0]?.commit();
    await settle();
    expect(pressure).toEqual([true]);
    writer.writes[1]?.commit();
    await settle();
    expect(pressure).toEqual([true, false]);
  });
});
