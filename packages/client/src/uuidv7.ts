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

/** ASCII codes of the two hex digits of each byte: HEX_CODES[2b], HEX_CODES[2b + 1]. */
const HEX_CODES = new Uint8Array(512);
for (let byte = 0; byte < 256; byte += 1) {
  const digits = byte.toString(16).padStart(2, '0');
  HEX_CODES[2 * byte] = digits.charCodeAt(0);
  HEX_CODES[2 * byte + 1] = digits.charCodeAt(1);
}
const DASH = 0x2d;
const POOL = Buffer.allocUnsafe(16 * 1024);
/** Random bytes used per id. */
const ID_RANDOM_BYTES = 10;
/** Characters of an id: 8-4-4-4-12 hex digits and four dashes. */
export const UUID_CHARS = 36;
/** `xxxxxxxx-xxxx-7`: the millisecond part and the version digit. */
const PREFIX_CHARS = 15;
const prefix = new Uint8Array(PREFIX_CHARS);
let poolOffset = POOL.length;
let prefixMs = -1;

/** Writes the 36 characters of a new id at `out[at]`; returns the offset after them. */
function writeId(out: Uint8Array, at: number, nowMs: number): number {
  if (nowMs !== prefixMs) {
    const time = nowMs.toString(16).padStart(12, '0');
    const text = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
    for (let i = 0; i < PREFIX_CHARS; i += 1) prefix[i] = text.charCodeAt(i);
    prefixMs = nowMs;
  }
  if (poolOffset + ID_RANDOM_BYTES > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const o = poolOffset;
  poolOffset += ID_RANDOM_BYTES;
  let p = at;
  for (let i = 0; i < PREFIX_CHARS; i += 1) out[p++] = prefix[i] as number;
  // rand_a: 12 bits (the version digit took the first 4 of this group).
  out[p++] = HEX_CODES[2 * ((POOL[o] as number) & 0x0f) + 1] as number;
  let byte = POOL[o + 1] as number;
  out[p++] = HEX_CODES[2 * byte] as number;
  out[p++] = HEX_CODES[2 * byte + 1] as number;
  out[p++] = DASH;
  // The variant (0b10), then 62 bits of rand_b.
  byte = ((POOL[o + 2] as number) & 0x3f) | 0x80;
  out[p++] = HEX_CODES[2 * byte] as number;
  out[p++] = HEX_CODES[2 * byte + 1] as number;
  byte = POOL[o + 3] as number;
  out[p++] = HEX_CODES[2 * byte] as number;
  out[p++] = HEX_CODES[2 * byte + 1] as number;
  out[p++] = DASH;
  for (let i = 4; i < ID_RANDOM_BYTES; i += 1) {
    byte = POOL[o + i] as number;
    out[p++] = HEX_CODES[2 * byte] as number;
    out[p++] = HEX_CODES[2 * byte + 1] as number;
  }
  return p;
}

/** Writes a new id as a MessagePack string (str8 header and 36 characters). */
export function writeUuidv7(writer: MsgpackWriter, nowMs: number): void {
  writer.ensure(2 + UUID_CHARS);
  const out = writer.bytes;
  out[writer.pos] = 0xd9;
  out[writer.pos + 1] = UUID_CHARS;
  writer.pos = writeId(out, writer.pos + 2, nowMs);
}

const scratch = Buffer.allocUnsafe(UUID_CHARS);

export function uuidv7(nowMs: number = Date.now()): string {
  writeId(scratch, 0, nowMs);
  return scratch.toString('latin1', 0, UUID_CHARS);
}
