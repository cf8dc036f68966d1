// UUIDv7 request ids (RFC 9562): a 48-bit millisecond timestamp, then 74
// random bits, so ids grow with time and the request_id index is appended to
// at its end. Random bytes come from a pooled CSPRNG buffer, turned into hex
// digits through a table each time it is refilled; an id then copies its
// digits a word at a time. Ids made in the same millisecond share their
// prefix. record() writes the id's 36 ASCII characters straight into the
// encoded event (`putUuidv7`), so the common path never builds the id as a
// string; `uuidv7()` makes the string for everything else. The uuid
// package's v7 took about 4 µs per id here, more than the whole budget of
// record().

import { randomFillSync } from 'node:crypto';
import type { MsgpackWriter } from '@mcpr-store/protocol';

const DASH = 0x2d;
/** The variant (0b10) and two random bits, as the hex digit they make. */
const VARIANT_DIGITS = Uint8Array.from(Buffer.from('89ab', 'latin1'));
const POOL_BYTES = 16 * 1024;
const pool = Buffer.allocUnsafe(POOL_BYTES);
/** `pool` as hex digits: byte k is at digits 2k and 2k + 1. */
const poolDigits = new Uint8Array(POOL_BYTES * 2);
const poolDigitsView = new DataView(poolDigits.buffer);
/** The same digits two at a time (a buffer of its own, so aligned for 16-bit access). */
const poolDigitPairs = new Uint16Array(poolDigits.buffer);
/** Each byte's two hex digits, as a 16-bit unit that lays them out in order in memory. */
const HEX_PAIRS = (() => {
  const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
  const hex = Buffer.from('0123456789abcdef', 'latin1');
  return Uint16Array.from({ length: 256 }, (_, byte) => {
    const high = hex[byte >>> 4] as number;
    const low = hex[byte & 15] as number;
    return littleEndian ? high | (low << 8) : (high << 8) | low;
  });
})();
/**
 * Random bytes used per id: nine give the 18 random hex digits, and the
 * tenth two more random bits, in the variant digit.
 */
const ID_RANDOM_BYTES = 10;
/** Characters of an id: 8-4-4-4-12 hex digits and four dashes. */
export const UUID_CHARS = 36;
/** `xxxxxxxx-xxxx-7`: the millisecond part and the version digit. */
const prefix = new Uint8Array(15);
let poolOffset = POOL_BYTES;
let prefixMs = -1;

function refill(): void {
  randomFillSync(pool);
  // Through a table: Node's hex encoding would make a 32 KB string at each
  // refill, copied back and then left for the garbage collector to sweep.
  for (let i = 0; i < POOL_BYTES; i += 1) {
    poolDigitPairs[i] = HEX_PAIRS[pool[i] as number] as number;
  }
  poolOffset = 0;
}

/** Writes the id's first 15 characters for `nowMs` at `at`: the time and the version digit. */
export function writeUuidPrefix(out: Uint8Array, at: number, nowMs: number): void {
  if (nowMs !== prefixMs) {
    const time = nowMs.toString(16).padStart(12, '0');
    const text = Buffer.from(`${time.slice(0, 8)}-${time.slice(8, 12)}-7`, 'latin1');
    prefix.set(text);
    prefixMs = nowMs;
  }
  out.set(prefix, at);
}

/**
 * Writes the id's last 21 characters at `at + 15` in `out` (which `view`
 * views): rand_a, the variant and rand_b, 74 random bits in all.
 */
export function writeUuidRandom(out: Uint8Array, view: DataView, at: number): void {
  if (poolOffset + ID_RANDOM_BYTES > POOL_BYTES) refill();
  const o = poolOffset;
  poolOffset += ID_RANDOM_BYTES;
  const d = o * 2;
  const digits = poolDigitsView;
  // Each word copies four digits; the fourth lands where the dash goes and
  // is overwritten by it.
  view.setUint32(at + 15, digits.getUint32(d)); // rand_a: 12 bits
  out[at + 18] = DASH;
  out[at + 19] = VARIANT_DIGITS[(pool[o + 9] as number) & 3] as number;
  view.setUint32(at + 20, digits.getUint32(d + 3)); // rand_b: 2 + 12 bits...
  out[at + 23] = DASH;
  view.setUint32(at + 24, digits.getUint32(d + 6)); // ...and 48 more
  view.setUint32(at + 28, digits.getUint32(d + 10));
  view.setUint32(at + 32, digits.getUint32(d + 14));
}

/** Writes the 36 characters of a new id at `at` in `out` (which `view` views). */
function writeUuidChars(out: Uint8Array, view: DataView, at: number, nowMs: number): void {
  writeUuidPrefix(out, at, nowMs);
  writeUuidRandom(out, view, at);
}

/** Writes a new id as a MessagePack string (str8 header and 36 characters) at `p`. */
export function putUuidv7(writer: MsgpackWriter, p: number, nowMs: number): number {
  if (p + 2 + UUID_CHARS > writer.bytes.length) {
    writer.pos = p;
    writer.ensure(2 + UUID_CHARS);
  }
  const out = writer.bytes;
  out[p] = 0xd9;
  out[p + 1] = UUID_CHARS;
  writeUuidChars(out, writer.view, p + 2, nowMs);
  return p + 2 + UUID_CHARS;
}

const scratch = Buffer.allocUnsafe(UUID_CHARS);
const scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);

export function uuidv7(nowMs: number = Date.now()): string {
  writeUuidChars(scratch, scratchView, 0, nowMs);
  return scratch.toString('latin1', 0, UUID_CHARS);
}
