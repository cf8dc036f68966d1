// Frames are a 4-byte big-endian length followed by one msgpack value. A
// length prefix (rather than msgpack's own self-delimiting stream) lets the
// reader refuse an oversized frame from its header alone, before allocating
// or decoding anything, and lets any language frame messages without a
// streaming msgpack parser. Plain msgpack only (no msgpackr records or
// extensions), so that other-language clients can speak it.

import { Packr, Unpackr } from 'msgpackr';
import { decodeFrameBody } from './frame-decoder.js';
import { FRAME_HEADER_BYTES } from './limits.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Encodes one message as a complete frame (header included). */
export function encodeFrame(message: unknown): Buffer {
  const body = packr.pack(message);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** msgpackr's decoding of one frame body, the fastest there is for the daemon's inbound stream. */
export function unpackBody(body: Buffer): unknown {
  return unpackr.unpack(body);
}

/** Decodes one frame body (no header) with msgpackr. Throws ProtocolError(ERR_MALFORMED_FRAME). */
export function decodeBody(body: Buffer): unknown {
  return decodeFrameBody(unpackBody, body);
}
