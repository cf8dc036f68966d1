// Writes plain MessagePack straight into one growable buffer. The client
// encodes each event the moment it is recorded, into the queue's own memory:
// no event object is built, nothing is encoded twice, and a batch is a single
// copy of bytes already laid out. Strings, numbers, booleans and nil are
// written here by hand (ASCII strings byte by byte, the common case for ids,
// methods and tool names); any other value is msgpack-values.ts's, which
// alone needs msgpackr, so that a client's control messages
// (control-frame.ts) are written without loading it.

import * as F from './msgpack-format.js';
import { TWO_32 } from './msgpack-format.js';

/**
 * Buffer's own UTF-8 writer, which `write(text, offset, length, 'utf8')`
 * calls after checking its arguments (a good part of the cost of writing a
 * short string); the arguments here are checked already.
 */
interface Utf8Writable {
  utf8Write(text: string, offset: number, maxBytes: number): number;
}

/**
 * Bytes written again and again (keys, fixed headers), held as big-endian
 * 32-bit words as well, the last one padded. A constant is copied a word at
 * a time; the padding lands past its end, past `pos`, where nothing is read
 * before it is written again. Keys are a good part of every event.
 */
export class EncodedConstant {
  readonly length: number;
  readonly words: Uint32Array;

  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = new Uint8Array((bytes.length + 3) & ~3);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.words = new Uint32Array(padded.length / 4);
    for (let i = 0; i < this.words.length; i += 1) this.words[i] = view.getUint32(i * 4);
  }
}

export class MsgpackWriter {
  /** The encoded bytes are `bytes[0, pos)`; the buffer is replaced when it grows. */
  bytes: Buffer;
  pos = 0;
  /** A DataView over `bytes`, for writing several bytes at once. */
  view: DataView;
  /**
   * Longer strings are refused before anything is written: a string of N
   * UTF-16 units takes at least N bytes, so past a frame's size it can never
   * be sent, and encoding it would only grow the buffer for nothing.
   */
  maxStringLength = Number.POSITIVE_INFINITY;

  constructor(initialBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(Math.max(64, initialBytes));
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length);
  }

  /** Continues in another buffer, from its start (the caller keeps what the old one holds). */
  use(buffer: Buffer): void {
    this.bytes = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
    this.pos = 0;
  }

  get capacity(): number {
    return this.bytes.length;
  }

  /** Makes room for `more` bytes after `pos`, doubling the buffer when needed. */
  ensure(more: number): void {
    if (this.pos + more <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + more) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.bytes.copy(grown, 0, 0, this.pos);
    const pos = this.pos;
    this.use(grown);
    this.pos = pos;
  }

  /** Replaces the buffer by a fresh one of `bytes` (only when nothing is kept in it). */
  reset(initialBytes: number): void {
    if (this.bytes.length !== initialBytes) this.use(Buffer.allocUnsafe(initialBytes));
    this.pos = 0;
  }

  /** Copies a constant (a key, say). */
  constant(value: EncodedConstant): void {
    this.pos = putConstant(this, this.pos, value);
  }

  nil(): void {
    this.pos = putNil(this, this.pos);
  }

  mapHeader(entries: number): void {
    this.header(entries, F.FIXMAP, F.MAP16);
  }

  arrayHeader(items: number): void {
    this.header(items, F.FIXARRAY, F.ARRAY16);
  }

  /** A map or array header: the fix form below 16, else the 16- or 32-bit form. */
  private header(count: number, fix: number, wide16: number): void {
    this.ensure(5);
    const out = this.bytes;
    if (count < 16) out[this.pos++] = fix | count;
    else if (count < 0x10000) {
      out[this.pos++] = wide16;
      out[this.pos++] = count >>> 8;
      out[this.pos++] = count & 0xff;
    } else {
      // The 32-bit form follows the 16-bit one (0xdd after 0xdc, 0xdf after 0xde).
      out[this.pos++] = wide16 + 1;
      out.writeUInt32BE(count, this.pos);
      this.pos += 4;
    }
  }

  string(text: string): void {
    this.pos = putString(this, this.pos, text);
  }

  /** Integers in their smallest MessagePack form (up to ±2^53, -0 as 0); other numbers as float64. */
  number(value: number): void {
    this.pos = putNumber(this, this.pos, value);
  }
}

// The put functions below write at an offset `p` and return the offset after
// what they wrote, leaving `writer.pos` alone on their common paths: an event
// encoder keeps its position in a local and stores it once at the end. They
// are small so that the JIT inlines them into such an encoder. Each checks
// its own room; when it has to grow the buffer it sets `writer.pos` to `p`
// first, so nothing already written is lost.

/** Copies a constant at `p`. */
export function putConstant(writer: MsgpackWriter, p: number, constant: EncodedConstant): number {
  const words = constant.words;
  const count = words.length;
  if (p + count * 4 > writer.bytes.length) {
    writer.pos = p;
    writer.ensure(count * 4);
  }
  const view = writer.view;
  for (let i = 0; i < count; i += 1) view.setUint32(p + i * 4, words[i] as number);
  return p + constant.length;
}

export function putNil(writer: MsgpackWriter, p: number): number {
  if (p >= writer.bytes.length) {
    writer.pos = p;
    writer.ensure(1);
  }
  writer.bytes[p] = F.NIL;
  return p + 1;
}

export function putBoolean(writer: MsgpackWriter, p: number, value: boolean): number {
  if (p >= writer.bytes.length) {
    writer.pos = p;
    writer.ensure(1);
  }
  writer.bytes[p] = value ? F.TRUE : F.FALSE;
  return p + 1;
}

/** A string; a short ASCII one is copied here a character at a time. */
export function putString(writer: MsgpackWriter, p: number, text: string): number {
  const length = text.length;
  const out = writer.bytes;
  if (length < 32 && p + 32 <= out.length && length <= writer.maxStringLength) {
    // A short ASCII string is its own UTF-8, one byte per character.
    let q = p + 1;
    let i = 0;
    for (; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) break;
      out[q++] = code;
    }
    if (i === length) {
      out[p] = F.FIXSTR | length;
      return q;
    }
  }
  return putStringNatively(writer, p, text);
}

function putStringNatively(writer: MsgpackWriter, p: number, text: string): number {
  const length = text.length;
  if (length > writer.maxStringLength) {
    throw new RangeError(
      `a string of ${length} characters cannot fit in a frame of ${writer.maxStringLength} bytes`,
    );
  }
  // Written natively after a header sized for the longest possible UTF-8
  // (3 bytes per UTF-16 unit), which then records the real length. Such a
  // header may be wider than needed (str8 for 20 bytes, say): MessagePack
  // allows it, and it saves measuring the string first.
  const most_bytes = length * 3;
  const header_bytes = most_bytes < 0x100 ? 2 : most_bytes < 0x10000 ? 3 : 5;
  writer.pos = p;
  writer.ensure(header_bytes + most_bytes);
  const out = writer.bytes;
  const written = (out as unknown as Utf8Writable).utf8Write(text, p + header_bytes, most_bytes);
  if (header_bytes === 2) {
    out[p] = F.STR8;
    out[p + 1] = written;
  } else if (header_bytes === 3) {
    out[p] = F.STR16;
    out[p + 1] = written >>> 8;
    out[p + 2] = written & 0xff;
  } else {
    out[p] = F.STR32;
    out.writeUInt32BE(written, p + 1);
  }
  return p + header_bytes + written;
}

/** A number: a non-negative integer below 2^32 here, anything else in `putOtherNumber`. */
export function putNumber(writer: MsgpackWriter, p: number, value: number): number {
  const out = writer.bytes;
  // (-0 >>> 0) === -0 holds: -0 is written as 0, as msgpackr does.
  if (value >>> 0 === value && p + 5 <= out.length) {
    if (value < 0x80) {
      out[p] = value;
      return p + 1;
    }
    if (value < 0x100) {
      out[p] = F.UINT8;
      out[p + 1] = value;
      return p + 2;
    }
    if (value < 0x10000) {
      out[p] = F.UINT16;
      out[p + 1] = value >>> 8;
      out[p + 2] = value & 0xff;
      return p + 3;
    }
    out[p] = F.UINT32;
    writer.view.setUint32(p + 1, value);
    return p + 5;
  }
  return putOtherNumber(writer, p, value);
}

function putOtherNumber(writer: MsgpackWriter, p: number, value: number): number {
  writer.pos = p;
  writer.ensure(9);
  const out = writer.bytes;
  const view = writer.view;
  if (Number.isSafeInteger(value)) {
    if (value >= 0) {
      if (value < TWO_32) return putNumber(writer, p, value);
      out[p] = F.UINT64;
      view.setUint32(p + 1, Math.floor(value / TWO_32));
      view.setUint32(p + 5, value >>> 0);
      return p + 9;
    }
    if (value >= -32) {
      out[p] = value & 0xff;
      return p + 1;
    }
    if (value >= -0x80000000) {
      out[p] = F.INT32;
      view.setInt32(p + 1, value);
      return p + 5;
    }
    // Below -2^31: int64, as two's complement in two halves.
    out[p] = F.INT64;
    view.setInt32(p + 1, Math.floor(value / TWO_32));
    view.setUint32(p + 5, value >>> 0);
    return p + 9;
  }
  out[p] = F.FLOAT64;
  view.setFloat64(p + 1, value);
  return p + 9;
}

/** A millisecond timestamp (any non-negative integer below 2^64), always as uint64. */
export function putUint64(writer: MsgpackWriter, p: number, value: number): number {
  if (p + 9 > writer.bytes.length) {
    writer.pos = p;
    writer.ensure(9);
  }
  writer.bytes[p] = F.UINT64;
  const view = writer.view;
  view.setUint32(p + 1, Math.floor(value / TWO_32));
  view.setUint32(p + 5, value >>> 0);
  return p + 9;
}

/** Encodes values once, for writing them again and again with `constant`. */
export function encodedConstant(write: (writer: MsgpackWriter) => void): EncodedConstant {
  // Room enough that short strings take their shortest form.
  const writer = new MsgpackWriter(1024);
  write(writer);
  return new EncodedConstant(Uint8Array.from(writer.bytes.subarray(0, writer.pos)));
}

/** The constant for a string (a map key, say). */
export function encodedString(text: string): EncodedConstant {
  return encodedConstant((writer) => writer.string(text));
}
