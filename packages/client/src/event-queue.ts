// The client's queue of recorded, not yet sent events, kept already encoded:
// record() writes each event's MessagePack into the tail of a list of byte
// chunks, and a ring of event sizes with a hard capacity says where each one
// ends. Dropping the oldest event and taking a batch only move offsets; no
// event is ever copied inside the queue. An event never spans two chunks.
// When the queue empties (the usual case: every batch takes everything) the
// tail chunk is simply rewound; under a backlog new chunks are added and
// given back as they are sent, so a long outage neither copies a growing
// buffer over and over nor keeps its memory once it is over.

import { MsgpackWriter } from '@mcpr-store/protocol';

const CHUNK_BYTES = 1024 * 1024;
/** A new chunk is started when the tail has less room than this for the next event. */
const MIN_FREE_BYTES = 16 * 1024;

interface SealedChunk {
  bytes: Buffer;
  /** Offset of the oldest event still queued in this chunk. */
  start: number;
  /** End of the last event written to it. */
  end: number;
}

export interface TakenEvents {
  count: number;
  /** The events' encodings in order, as slices of the queue's chunks. */
  parts: Buffer[];
  /** Total bytes of `parts`. */
  bytes: number;
}

export class EventQueue {
  /** Writes into the tail chunk: the next event goes at `writer.pos` (see `begin`). */
  readonly writer = new MsgpackWriter(CHUNK_BYTES);
  /** Full chunks, oldest first, that still hold queued events. */
  private sealed: SealedChunk[] = [];
  /** Offset of the oldest queued event in the tail chunk, once no sealed chunk is left. */
  private tailStart = 0;
  private spare: Buffer | null = null;
  private readonly sizes: Uint32Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.sizes = new Uint32Array(Math.max(1, capacity));
  }

  get length(): number {
    return this.count;
  }

  /** Readies the tail for one more event and returns the offset it will start at. */
  begin(): number {
    const writer = this.writer;
    if (this.count === 0) {
      this.sealed.length = 0;
      this.tailStart = 0;
      if (writer.capacity > CHUNK_BYTES) writer.reset(CHUNK_BYTES);
      writer.pos = 0;
    } else if (writer.capacity - writer.pos < MIN_FREE_BYTES) {
      this.sealed.push({ bytes: writer.bytes, start: this.tailStart, end: writer.pos });
      writer.use(this.spare ?? Buffer.allocUnsafe(CHUNK_BYTES));
      this.spare = null;
      this.tailStart = 0;
    }
    return writer.pos;
  }

  /**
   * Queues the event written since `from` (the offset `begin` returned).
   * Returns true when the oldest event was dropped to make room.
   */
  commit(from: number): boolean {
    const dropped = this.count === this.sizes.length && this.dropOldest();
    this.sizes[this.ringIndex(this.head + this.count)] = this.writer.pos - from;
    this.count += 1;
    return dropped;
  }

  /** Forgets a partly written event (its encoding failed or it is not kept). */
  abandon(from: number): void {
    this.writer.pos = from;
  }

  /** Drops the oldest event; returns false when empty. */
  dropOldest(): boolean {
    if (this.count === 0) return false;
    this.advance(this.sizes[this.head] as number);
    this.head = this.ringIndex(this.head + 1);
    this.count -= 1;
    return true;
  }

  /**
   * Removes the oldest events, up to `maxEvents` and `maxBytes` together but
   * always at least one (the caller checks a lone event against its limit).
   * The parts stay valid until the queue is next written to.
   */
  take(maxEvents: number, maxBytes: number): TakenEvents {
    const parts: Buffer[] = [];
    let count = 0;
    let total = 0;
    let full = false;
    while (!full && count < maxEvents && this.count > 0) {
      // All the events wanted from the oldest chunk make one part.
      const chunk = this.sealed[0];
      const bytes = chunk ? chunk.bytes : this.writer.bytes;
      const from = chunk ? chunk.start : this.tailStart;
      const end = chunk ? chunk.end : this.writer.pos;
      let at = from;
      while (at < end && count < maxEvents) {
        const size = this.sizes[this.head] as number;
        if (count > 0 && total + size > maxBytes) {
          full = true;
          break;
        }
        at += size;
        total += size;
        count += 1;
        this.head = this.ringIndex(this.head + 1);
        this.count -= 1;
      }
      parts.push(bytes.subarray(from, at));
      this.advance(at - from);
    }
    return { count, parts, bytes: total };
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.sealed.length = 0;
    this.tailStart = 0;
    this.spare = null;
    this.writer.reset(CHUNK_BYTES);
  }

  /** `index` (below twice the capacity) wrapped into the ring: a compare, where `%` costs a division. */
  private ringIndex(index: number): number {
    const capacity = this.sizes.length;
    return index >= capacity ? index - capacity : index;
  }

  /** Moves the read position `size` bytes on in the oldest chunk, retiring it when spent. */
  private advance(size: number): void {
    const chunk = this.sealed[0];
    if (!chunk) {
      this.tailStart += size;
      return;
    }
    chunk.start += size;
    if (chunk.start >= chunk.end) {
      this.sealed.shift();
      if (this.spare === null && chunk.bytes.length === CHUNK_BYTES) this.spare = chunk.bytes;
    }
  }
}
