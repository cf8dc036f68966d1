// A client's control messages (hello, health, query, dropped) as frames, written
// with the MessagePack writer's own hands: they hold only strings, numbers,
// booleans and arrays of those, and a client that only asks a question (the
// CLI's health question) then never loads msgpackr. Batches are not control
// messages: batch-frame.ts lays them out from the queue's bytes.

import { FRAME_HEADER_BYTES } from './limits.js';
import type {
  DroppedMessage,
  HealthRequestMessage,
  HelloMessage,
  QueryRequestMessage,
} from './messages.js';
import { MsgpackWriter, putBoolean, putNil, putNumber, putString } from './msgpack-writer.js';

export type ControlMessage =
  | HelloMessage
  | HealthRequestMessage
  | QueryRequestMessage
  | DroppedMessage;

function putScalar(writer: MsgpackWriter, p: number, key: string, value: unknown): number {
  if (typeof value === 'string') return putString(writer, p, value);
  if (typeof value === 'number') return putNumber(writer, p, value);
  if (typeof value === 'boolean') return putBoolean(writer, p, value);
  if (value === null) return putNil(writer, p);
  throw new TypeError(`control message field "${key}": ${typeof value} is not a scalar`);
}

/** One control message as a complete frame; fields that are undefined are left out. */
export function encodeControlFrame(message: ControlMessage): Buffer {
  const entries = Object.entries(message).filter(([, value]) => value !== undefined);
  const writer = new MsgpackWriter(256);
  writer.pos = FRAME_HEADER_BYTES;
  writer.mapHeader(entries.length);
  for (const [key, value] of entries) {
    writer.string(key);
    if (Array.isArray(value)) {
      writer.arrayHeader(value.length);
      for (const item of value) writer.pos = putScalar(writer, writer.pos, key, item);
    } else writer.pos = putScalar(writer, writer.pos, key, value);
  }
  const frame = writer.bytes.subarray(0, writer.pos);
  frame.writeUInt32BE(writer.pos - FRAME_HEADER_BYTES, 0);
  return frame;
}
