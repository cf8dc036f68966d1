// A batch frame built around events that are already MessagePack: the
// client keeps each event encoded from the moment it is recorded, so sending
// a batch is a header plus one copy of those bytes. The result is the same
// plain MessagePack message as `encodeFrame({ type: 'batch', seq, events })`
// produces, and decodes to the same value.

import { FRAME_HEADER_BYTES } from './limits.js';
import { MsgpackWriter } from './msgpack-writer.js';

/** `{ type: 'batch', seq, events: [` up to the first event. */
function batchPrefix(seq: number, count: number): MsgpackWriter {
  const prefix = new MsgpackWriter(64);
  prefix.mapHeader(3);
  prefix.string('type');
  prefix.string('batch');
  prefix.string('seq');
  prefix.number(seq);
  prefix.string('events');
  prefix.arrayHeader(count);
  return prefix;
}

/** Body bytes a batch adds around its events, at most (the frame limit counts the body). */
export const BATCH_BODY_OVERHEAD_BYTES = 40;

/**
 * A whole frame (header included) for `count` events whose encodings are
 * `parts`, in order and back to back. `allocate` gives the frame's memory
 * (a buffer of exactly the size asked).
 */
export function encodeBatchFrame(
  seq: number,
  count: number,
  parts: readonly Uint8Array[],
  allocate: (bytes: number) => Buffer = Buffer.allocUnsafe,
): Buffer {
  const prefix = batchPrefix(seq, count);
  let body_bytes = prefix.pos;
  for (const part of parts) body_bytes += part.length;
  const frame = allocate(FRAME_HEADER_BYTES + body_bytes);
  frame.writeUInt32BE(body_bytes, 0);
  prefix.bytes.copy(frame, FRAME_HEADER_BYTES, 0, prefix.pos);
  let at = FRAME_HEADER_BYTES + prefix.pos;
  for (const part of parts) {
    frame.set(part, at);
    at += part.length;
  }
  return frame;
}
