// Ingest: what happens to a client's batch between the connection, which
// only frames and speaks the protocol, and the writer, which only writes.
// A batch's events are validated one by one (a bad event costs only
// itself), the valid ones are packed into columns at once (column-batch.ts),
// and once the transaction holding them has committed, the writer's flat
// outcome is mapped back onto each client batch and acked.

import {
  type AckMessage,
  EVENT_KINDS,
  type RejectedEvent,
  validateEvent,
} from '@mcpr-store/protocol';
import { type ColumnBatch, packColumns } from '../writer/column-batch.js';
import type { TransactionOutcome } from '../writer/transaction-writer.js';

/** One client batch after validation, waiting for its transaction. */
export interface ClientBatch {
  seq: number;
  /**
   * The valid events, in batch order, packed as they arrive: what waits is
   * a few compact arrays, not thousands of objects for the collector.
   */
  columns: ColumnBatch;
  /** For each valid event, its index in the client's batch. */
  indexes: number[];
  /** Events refused by validation (index in the client's batch, reason). */
  rejected: RejectedEvent[];
  /** Frame size, for the memory bound. */
  bytes: number;
  /** Events received, by kind (`unknown` when an event names none this daemon knows). */
  received_by_kind: Record<string, number>;
  /** Called once, with the batch's ack, after its transaction. */
  settle(ack: AckMessage): void;
}

/**
 * Validates a batch's events and packs the valid ones. `positional`: the
 * connection speaks protocol version 2, whose requests may be arrays.
 */
export function admitBatch(
  seq: number,
  rawEvents: unknown[],
  positional: boolean,
  frameBytes: number,
  settle: (ack: AckMessage) => void,
): ClientBatch {
  const events = [];
  const indexes: number[] = [];
  const rejected: RejectedEvent[] = [];
  const options = { inPlace: true, positional };
  const receivedByKind: Record<string, number> = {};
  for (let index = 0; index < rawEvents.length; index += 1) {
    const raw = rawEvents[index];
    const kind = kindOf(raw);
    receivedByKind[kind] = (receivedByKind[kind] ?? 0) + 1;
    const result = validateEvent(raw, options);
    if (result.ok) {
      events.push(result.event);
      indexes.push(index);
    } else rejected.push({ index, reason: result.reason });
  }
  return {
    seq,
    columns: packColumns(events),
    indexes,
    rejected,
    bytes: frameBytes,
    received_by_kind: receivedByKind,
    settle,
  };
}

/** An event's kind as sent, for counting: a positional array is a request. */
function kindOf(raw: unknown): string {
  if (Array.isArray(raw)) return 'request';
  const kind = (raw as { kind?: unknown } | null)?.kind;
  return typeof kind === 'string' && (EVENT_KINDS as readonly string[]).includes(kind)
    ? kind
    : 'unknown';
}

/** Maps the writer's flat outcome back onto each client batch of the transaction and acks it. */
export function settleBatches(batches: ClientBatch[], outcome: TransactionOutcome): void {
  const duplicates = new Set(outcome.duplicate_positions);
  const refused = new Map(outcome.rejected.map((r) => [r.position, r.reason]));
  let position = 0;
  for (const batch of batches) {
    let committed = 0;
    let duplicateCount = 0;
    const rejected = [...batch.rejected];
    for (let i = 0; i < batch.columns.count; i += 1, position += 1) {
      const reason = refused.get(position);
      if (reason !== undefined) {
        rejected.push({ index: batch.indexes[i] as number, reason });
        continue;
      }
      committed += 1;
      if (duplicates.has(position)) duplicateCount += 1;
    }
    rejected.sort((a, b) => a.index - b.index);
    batch.settle({ type: 'ack', seq: batch.seq, committed, duplicates: duplicateCount, rejected });
  }
}
