// The batches sent and not yet acknowledged, in the order they were sent.
// They stay here until the daemon acks them and are resent, in order, on
// every new connection (at-least-once; the daemon stores them once). A
// batch whose frame is larger than a daemon takes (one that restarted with
// a smaller --max-frame-bytes) is split in two halves in its place; a batch
// encoded for protocol version 2 is encoded again, requests as maps, for a
// daemon that speaks only version 1.

import { decodeBody, encodeFrame, eventAsMap, FRAME_HEADER_BYTES } from '@mcpr-store/protocol';

export interface UnackedBatch {
  seq: number;
  /** The whole batch frame, header included, as sent and resent. */
  frame: Buffer;
  count: number;
  /** Record numbers of the first and last event in the batch. */
  first: number;
  last: number;
  /** The connection generation it was last sent on, or -1 when unsent. */
  sentOn: number;
  /** Whether its requests may be arrays, which only protocol version 2 reads. */
  positional: boolean;
}

export class InFlightBatches {
  private readonly batches = new Map<number, UnackedBatch>();
  private nextSeq = 1;
  /** Events in the batches held. */
  events = 0;

  get size(): number {
    return this.batches.size;
  }

  /** The next sequence number a batch goes out with. */
  takeSeq(): number {
    return this.nextSeq++;
  }

  add(batch: UnackedBatch): void {
    this.batches.set(batch.seq, batch);
    this.events += batch.count;
  }

  /** Takes the batch the ack is for out; undefined when it is not held (an old ack). */
  acked(seq: number): UnackedBatch | undefined {
    const batch = this.batches.get(seq);
    if (!batch) return undefined;
    this.batches.delete(seq);
    this.events -= batch.count;
    return batch;
  }

  has(seq: number): boolean {
    return this.batches.has(seq);
  }

  /** The batches held, oldest first (a copy: sending may reorder the held ones). */
  list(): UnackedBatch[] {
    return [...this.batches.values()];
  }

  /** Record number of the oldest event held, or Infinity when none. */
  get firstRecord(): number {
    const first = this.batches.values().next();
    return first.done ? Number.POSITIVE_INFINITY : first.value.first;
  }

  /** Forgets everything held (the client is closed); returns how many events that was. */
  clear(): number {
    const lost = this.events;
    this.batches.clear();
    this.events = 0;
    return lost;
  }

  /**
   * Re-encodes a positional batch with every request as a map, for a daemon
   * of protocol version 1 (fresh memory: the old frame may still be held by
   * a write to the connection before).
   */
  asMaps(batch: UnackedBatch): void {
    if (!batch.positional) return;
    batch.frame = encodeFrame({ type: 'batch', seq: batch.seq, events: batchEvents(batch.frame) });
    batch.positional = false;
  }

  /**
   * Replaces `batch` by two halves in its place and returns them; a batch
   * of one event is removed and returned as `lone` (no frame can take it).
   */
  split(batch: UnackedBatch): { halves: UnackedBatch[]; lone: unknown | null } {
    const events = batchEvents(batch.frame);
    const entries = [...this.batches.values()];
    const at = entries.indexOf(batch);
    let halves: UnackedBatch[] = [];
    let lone: unknown | null = null;
    if (events.length === 1) {
      lone = events[0];
    } else {
      const half = Math.ceil(events.length / 2);
      halves = [events.slice(0, half), events.slice(half)].map((part, i) => {
        const seq = this.takeSeq();
        const first = i === 0 ? batch.first : batch.first + half;
        return {
          seq,
          frame: encodeFrame({ type: 'batch', seq, events: part }),
          count: part.length,
          first,
          last: first + part.length - 1,
          sentOn: -1,
          positional: false,
        };
      });
    }
    entries.splice(at, 1, ...halves);
    this.batches.clear();
    for (const entry of entries) this.batches.set(entry.seq, entry);
    if (lone !== null) this.events -= 1;
    return { halves, lone };
  }
}

/**
 * The events of a batch frame, decoded, every request as a map (only to
 * report rejections, to split a batch or to send it to a daemon of
 * protocol version 1).
 */
export function batchEvents(frame: Buffer): unknown[] {
  const body = decodeBody(frame.subarray(FRAME_HEADER_BYTES)) as { events: unknown[] };
  return body.events.map(eventAsMap);
}
