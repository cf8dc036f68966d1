// Writes plain MessagePack straight into one growable buffer. The client
// encodes each event the moment it is recorded, into the queue's own memory:
// no event object is built, nothing is encoded twice, and a batch is a single
// copy of bytes already laid out. Strings, numbers, booleans and nil are
// written here by hand (ASCII strings byte by byte, the common case for ids,
// methods and tool names); anything else (maps, arrays, bigints) goes
// through msgpackr, so every value decodes to what `encodeFrame`'s encoding
// of it decodes to. The one difference: a bare undefined is written as nil,
// where msgpackr uses an extension type the protocol does not have.

import { Packr } from 'msgpackr';

const fallback = new Packr({ useRecords: false, variableMapSize: true });

const TWO_32 = 4294967296;

/**
 * Bytes written again and again (keys, fixed headers), held as big-endian
 * 32-bit words as well. A constant of up to 16 bytes is written as four
 * words whatever its length, with no loop: what lands past its end is past
 * `pos`, where nothing is read before it is written again. Keys are a good
 * part of every event, and this copies one in about half the time of a
 * byte loop.
 */
export class EncodedConstant {
  readonly length: number;
  readonly w0: number;
  readonly w1: number;
  readonly w2: number;
  readonly w3: number;

  constructor(readonly bytes: Uint8Array) {
    this.length = bytes.length;
    const padded = new Uint8Array(Math.max(16, bytes.length + 3) & ~3);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    this.w0 = view.getUint32(0);
    this.w1 = view.getUint32(4);
    this.w2 = view.getUint32(8);
    this.w3 = view.getUint32(12);
  }
}

/** Bytes a short constant may write past its end. */
const CONSTANT_WORDS_BYTES = 16;

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
    const length = value.length;
    if (length > CONSTANT_WORDS_BYTES) {
      this.ensure(length);
      this.bytes.set(value.bytes, this.pos);
      this.pos += length;
      return;
    }
    this.ensure(CONSTANT_WORDS_BYTES);
    const view = this.view;
    const p = this.pos;
    view.setUint32(p, value.w0);
    view.setUint32(p + 4, value.w1);
    view.setUint32(p + 8, value.w2);
    view.setUint32(p + 12, value.w3);
    this.pos = p + length;
  }

  nil(): void {
    this.ensure(1);
    this.bytes[this.pos++] = 0xc0;
  }

  mapHeader(entries: number): void {
    this.header(entries, 0x80, 0xde);
  }

  arrayHeader(items: number): void {
    this.header(items, 0x90, 0xdc);
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
    const length = text.length;
    if (length > this.maxStringLength) {
      throw new RangeError(
        `a string of ${length} characters cannot fit in a frame of ${this.maxStringLength} bytes`,
      );
    }
    if (length < 32) {
      // Fast path: a short ASCII string is its own UTF-8, one byte per char.
      this.ensure(length + 1);
      const out = this.bytes;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < length; i += 1) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) break;
        out[p++] = code;
      }
      if (i === length) {
        out[start] = 0xa0 | length;
        this.pos = p;
        return;
      }
    }
    // Written natively after a header sized for the longest possible UTF-8
    // (3 bytes per UTF-16 unit), which then records the real length. Such a
    // header may be wider than needed (str8 for 20 bytes, say): MessagePack
    // allows it, and it saves measuring the string first.
    const most_bytes = length * 3;
    const header_bytes = most_bytes < 0x100 ? 2 : most_bytes < 0x10000 ? 3 : 5;
    this.ensure(header_bytes + most_bytes);
    const out = this.bytes;
    const start = this.pos;
    const written = out.write(text, start + header_bytes, most_bytes, 'utf8');
    if (header_bytes === 2) {
      out[start] = 0xd9;
      out[start + 1] = written;
    } else if (header_bytes === 3) {
      out[start] = 0xda;
      out[start + 1] = written >>> 8;
      out[start + 2] = written & 0xff;
    } else {
      out[start] = 0xdb;
      out.writeUInt32BE(written, start + 1);
    }
    this.pos = start + header_bytes + written;
  }

  /** Integers in their smallest MessagePack form (up to ±2^53, -0 as 0); other numbers as float64. */
  number(value: number): void {
    this.ensure(9);
    const out = this.bytes;
    const view = this.view;
    if (Number.isSafeInteger(value)) {
      if (value >= 0) {
        if (value < 0x80) {
          out[this.pos++] = value;
        } else if (value < 0x100) {
          out[this.pos++] = 0xcc;
          out[this.pos++] = value;
        } else if (value < 0x10000) {
          out[this.pos++] = 0xcd;
          out[this.pos++] = value >>> 8;
          out[this.pos++] = value & 0xff;
        } else if (value < TWO_32) {
          out[this.pos++] = 0xce;
          view.setUint32(this.pos, value);
          this.pos += 4;
        } else {
          out[this.pos++] = 0xcf;
          view.setUint32(this.pos, Math.floor(value / TWO_32));
          view.setUint32(this.pos + 4, value >>> 0);
          this.pos += 8;
        }
        return;
      }
      if (value >= -32) {
        out[this.pos++] = value & 0xff;
        return;
      }
      if (value >= -0x80000000) {
        out[this.pos++] = 0xd2;
        view.setInt32(this.pos, value);
        this.pos += 4;
        return;
      }
      // Below -2^31: int64, as two's complement in two halves.
      out[this.pos++] = 0xd3;
      view.setInt32(this.pos, Math.floor(value / TWO_32));
      view.setUint32(this.pos + 4, value >>> 0);
      this.pos += 8;
      return;
    }
    out[this.pos++] = 0xcb;
    view.setFloat64(this.pos, value);
    this.pos += 8;
  }

  /**
   * Any value; undefined is written as nil (plain MessagePack has nothing
   * else for it). Throws what msgpackr throws for a value it cannot encode
   * (a cycle, say).
   */
  value(value: unknown): void {
    if (typeof value === 'string') this.string(value);
    else if (typeof value === 'number') this.number(value);
    else if (value === null || value === undefined) this.nil();
    else if (typeof value === 'boolean') {
      this.ensure(1);
      this.bytes[this.pos++] = value ? 0xc3 : 0xc2;
    } else {
      const encoded = fallback.pack(value);
      this.ensure(encoded.length);
      encoded.copy(this.bytes, this.pos);
      this.pos += encoded.length;
    }
  }
}

/** Encodes values once, for writing them again and again with `constant`. */
export function encodedConstant(write: (writer: MsgpackWriter) => void): EncodedConstant {
  const writer = new MsgpackWriter(64);
  write(writer);
  return new EncodedConstant(Uint8Array.from(writer.bytes.subarray(0, writer.pos)));
}

/** The constant for a string (a map key, say). */
export function encodedString(text: string): EncodedConstant {
  return encodedConstant((writer) => writer.string(text));
}
