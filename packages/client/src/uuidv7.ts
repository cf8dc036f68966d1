// UUIDv7 request ids (RFC 9562): a 48-bit millisecond timestamp, then 74
// random bits, so ids grow with time and the request_id index is appended to
// at its end. Random bytes come from a pooled CSPRNG buffer; ids made in the
// same millisecond share their prefix. record() writes the id's 36 ASCII
// characters straight into the encoded event (`writeUuidv7`), so the common
// path never builds the id as a string; `uuidv7()` makes the string for
// everything else. The uuid package's v7 took about 4 µs per id here, more
// than the whole budget of record().

import { randomFillSync } from 'node:crypto';
import type { MsgpackWriter } from '@mcpr-store/protocol';

/** The two hex digits of each byte as ASCII, first digit in the high byte. */
const HEX_PAIRS = new Uint16Array(256);
for (let byte = 0; byte < 256; byte += 1) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX_PAIRS[byte] = (digits.charCodeAt(0) << 8) | digits.charCodeAt(1);
}
const DASH = 0x2d;
const POOL = Buffer.allocUnsafe(16 * 1024);
/** Random bytes used per id. */
const ID_RANDOM_BYTES = 10;
/** Characters of an id: 8-4-4-4-12 hex digits and four dashes. */
const UUID_CHARS = 36;
/** `xxxxxxxx-xxxx-7`: the millisecond part and the version digit, as 32-bit words and 3 bytes. */
const prefixWords = new Uint32Array(3);
const prefixTail = new Uint8Array(3);
let poolOffset = POOL.length;
let prefixMs = -1;

/** Writes the 36 characters of a new id at `at`; returns the offset after them. */
function writeId(out: Uint8Array, view: DataView, at: number, nowMs: number): number {
  if (nowMs !== prefixMs) {
    const time = nowMs.toString(16).padStart(12, '0');
    const text = Buffer.from(`${time.slice(0, 8)}-${time.slice(8, 12)}-7`, 'latin1');
    for (let i = 0; i < 3; i += 1) prefixWords[i] = text.readUInt32BE(i * 4);
    for (let i = 0; i < 3; i += 1) prefixTail[i] = text[12 + i] as number;
    prefixMs = nowMs;
  }
  if (poolOffset + ID_RANDOM_BYTES > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += ID_RANDOM_BYTES;
  view.setUint32(at, prefixWords[0] as number);
  view.setUint32(at + 4, prefixWords[1] as number);
  view.setUint32(at + 8, prefixWords[2] as number);
  out[at + 12] = prefixTail[0] as number;
  out[at + 13] = prefixTail[1] as number;
  out[at + 14] = prefixTail[2] as number;
  // rand_a: 12 bits (the version digit took the first 4 of this group).
  out[at + 15] = (HEX_PAIRS[(POOL[o] as number) & 0x0f] as number) & 0xff;
  view.setUint16(at + 16, HEX_PAIRS[POOL[o + 1] as number] as number);
  out[at + 18] = DASH;
  // The variant (0b10), then 62 bits of rand_b.
  view.setUint16(at + 19, HEX_PAIRS[((POOL[o + 2] as number) & 0x3f) | 0x80] as number);
  view.setUint16(at + 21, HEX_PAIRS[POOL[o + 3] as number] as number);
  out[at + 23] = DASH;
  for (let i = 0; i < 6; i += 1) {
    view.setUint16(at + 24 + 2 * i, HEX_PAIRS[POOL[o + 4 + i] as number] as number);
  }
  return at + UUID_CHARS;
}

/** Writes a new id as a MessagePack string (str8 header and 36 characters). */
export function writeUuidv7(writer: MsgpackWriter, nowMs: number): void {
  writer.ensure(2 + UUID_CHARS);
  const out = writer.bytes;
  out[writer.pos] = 0xd9;
  out[writer.pos + 1] = UUID_CHARS;
  writer.pos = writeId(out, writer.view, writer.pos + 2, nowMs);
}

const scratch = Buffer.allocUnsafe(UUID_CHARS);
const scratchView = new DataView(scratch.buffer, scratch.byteOffset, UUID_CHARS);

export function uuidv7(nowMs: number = Date.now()): string {
  writeId(scratch, scratchView, 0, nowMs);
  return scratch.toString('latin1', 0, UUID_CHARS);
}
