// UUIDv7 request ids (RFC 9562): a 48-bit millisecond timestamp, then 74
// bits, so ids grow with time and the request_id index is appended to at its
// end. The 74 bits are random for the first id of a millisecond; the ids
// after it count up by one in their last 16 bits (RFC 9562 section 6.2,
// monotonic random), so they stay unique and in order within the
// millisecond too. A new millisecond draws a new random tail; a counter at
// its end carries into the random digits above it, so order holds. Counting
// instead of drawing each id lets a request template that holds the current
// tail write just the counter's four digits, where drawing wrote 21 and
// spent ten random bytes an id (docs/performance.md has what that saved).
// Ids of one millisecond can be told from each other; request ids are not
// secrets. Two processes' ids of one millisecond meet only if
// their 58 other random bits match and their counts overlap.
//
// Random bytes come from a pooled CSPRNG buffer, turned into hex digits
// through a table each time it is refilled. record() writes the id's 36
// ASCII characters straight into the encoded event, so the common path never
// builds the id as a string; `uuidv7()` makes the string for everything
// else. The uuid package's v7 costs several microseconds an id, more than
// the whole budget of record(); it stays the oracle of this module's tests.

import { randomFillSync } from 'node:crypto';
import { MSGPACK, type MsgpackWriter } from '@mcpr-store/protocol';

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
/** Each byte's two hex digits as a big-endian 16-bit value, the high digit first. */
const HEX_WORDS = Uint16Array.from({ length: 256 }, (_, byte) => {
  const hex = (digit: number) => '0123456789abcdef'.charCodeAt(digit);
  return (hex(byte >>> 4) << 8) | hex(byte & 15);
});
/** The same two digits as a 16-bit unit that lays them out in order in memory. */
const HEX_PAIRS =
  new Uint8Array(Uint16Array.of(1).buffer)[0] === 1
    ? HEX_WORDS.map((word) => (word >>> 8) | ((word & 255) << 8))
    : HEX_WORDS;
/**
 * Random bytes used per seed: nine give the 18 random hex digits, and the
 * tenth two more random bits, in the variant digit.
 */
const SEED_RANDOM_BYTES = 10;
/** Characters of an id: 8-4-4-4-12 hex digits and four dashes. */
export const UUID_CHARS = 36;
/** Where the id's last four hex digits, the counter's, start. */
const COUNTER_AT = 32;
/** `xxxxxxxx-xxxx-7`: the millisecond part and the version digit. */
const prefix = new Uint8Array(15);
let poolOffset = POOL_BYTES;
let prefixMs = -1;
/**
 * The id's last 21 characters as seeded (rand_a, the variant and rand_b),
 * padded to whole words; the last four are replaced by the counter's.
 */
const tail = new Uint8Array(24);
const tailView = new DataView(tail.buffer);
/** The millisecond the tail was seeded for. */
let seededMs = -1;
/** The last 16 bits of the id, counted up from a random start. */
let counter = 0;
/** Counts seeds, so a template that holds a tail knows whether it is the current one. */
let seed = 0;

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

/** New random digits for the tail: rand_a, the variant and rand_b, 74 random bits in all. */
function reseed(nowMs: number): void {
  if (poolOffset + SEED_RANDOM_BYTES > POOL_BYTES) refill();
  const o = poolOffset;
  poolOffset += SEED_RANDOM_BYTES;
  const d = o * 2;
  const digits = poolDigitsView;
  // Each word copies four digits; the fourth lands where the dash goes and
  // is overwritten by it.
  tailView.setUint32(0, digits.getUint32(d)); // rand_a: 12 bits
  tail[3] = DASH;
  tail[4] = VARIANT_DIGITS[(pool[o + 9] as number) & 3] as number;
  tailView.setUint32(5, digits.getUint32(d + 3)); // rand_b: 2 + 12 bits...
  tail[8] = DASH;
  tailView.setUint32(9, digits.getUint32(d + 6)); // ...and 32 more...
  tailView.setUint32(13, digits.getUint32(d + 10));
  // ...and the last 16, where the counter starts.
  counter = ((pool[o + 7] as number) << 8) | (pool[o + 8] as number);
  seededMs = nowMs;
  seed += 1;
}

/** Hex digits of the tail above the counter, lowest first: the carry's path (the dashes and the variant digit are skipped). */
const CARRY_DIGITS = [16, 15, 14, 13, 12, 11, 10, 9, 7, 6, 5, 2, 1, 0];
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DIGIT_A = 0x61;
const DIGIT_F = 0x66;

/**
 * Adds one to the tail's random digits above the counter, so the ids after
 * a counter that ran out still sort after the ones before it (RFC 9562's
 * monotonic random). False when every digit was f (a chance of one in
 * 2^56): the caller draws a new tail instead.
 */
function carryIntoTail(): boolean {
  for (const at of CARRY_DIGITS) {
    const digit = tail[at] as number;
    if (digit !== DIGIT_F) {
      tail[at] = digit === DIGIT_9 ? DIGIT_A : digit + 1;
      return true;
    }
    tail[at] = DIGIT_0;
  }
  return false;
}

/**
 * Takes the next id of millisecond `nowMs`: the next count of the current
 * tail, or a new tail. Returns the seed the id's tail belongs to.
 */
export function nextUuid(nowMs: number): number {
  if (nowMs !== seededMs) reseed(nowMs);
  else if (counter !== 0xffff) counter += 1;
  else if (carryIntoTail()) {
    counter = 0;
    seed += 1;
  } else reseed(nowMs);
  return seed;
}

/** Writes the last four digits of the id just taken (`nextUuid`) at `at + 32`. */
export function writeUuidCounter(view: DataView, at: number): void {
  view.setUint32(
    at + COUNTER_AT,
    ((HEX_WORDS[counter >>> 8] as number) << 16) | (HEX_WORDS[counter & 255] as number),
  );
}

/** Writes the last 21 characters of the id just taken (`nextUuid`) at `at + 15`: the tail, then the counter. */
export function writeUuidTail(view: DataView, at: number): void {
  for (let i = 0; i < 20; i += 4) view.setUint32(at + 15 + i, tailView.getUint32(i));
  writeUuidCounter(view, at);
}

/** Writes the 36 characters of a new id at `at` in `out` (which `view` views). */
function writeUuidChars(out: Uint8Array, view: DataView, at: number, nowMs: number): void {
  writeUuidPrefix(out, at, nowMs);
  nextUuid(nowMs);
  writeUuidTail(view, at);
}

/** Writes a new id as a MessagePack string (str8 header and 36 characters) at `p`. */
export function putUuidv7(writer: MsgpackWriter, p: number, nowMs: number): number {
  if (p + 2 + UUID_CHARS > writer.bytes.length) {
    writer.pos = p;
    writer.ensure(2 + UUID_CHARS);
  }
  const out = writer.bytes;
  out[p] = MSGPACK.STR8;
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
