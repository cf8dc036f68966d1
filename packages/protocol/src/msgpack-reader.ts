// Reads plain MessagePack: nil, booleans, integers, floats, strings, binary,
// arrays and maps; no extension types (the protocol has none). The daemon
// decodes its busy inbound stream with msgpackr; this reader is for the
// other direction, the daemon's few short answers to a client, so that
// asking the daemon a question (the CLI's health question above all) does
// not pay for loading msgpackr. It decodes as the codec's msgpackr settings
// do: maps as plain objects with string keys, 64-bit integers as numbers.

import * as F from './msgpack-format.js';
import { TWO_32 } from './msgpack-format.js';

/** Arrays and maps nested deeper than this are refused rather than read recursively. */
export const MAX_MSGPACK_DEPTH = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true });

class Reader {
  pos = 0;
  readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Moves past `count` bytes and returns where they start; throws when fewer are left. */
  take(count: number): number {
    const at = this.pos;
    if (at + count > this.bytes.length) {
      throw new RangeError(`the value ends early: ${count} more bytes wanted at offset ${at}`);
    }
    this.pos = at + count;
    return at;
  }

  value(depth: number): unknown {
    const type = this.bytes[this.take(1)] as number;
    if (type < 0x80) return type;
    if (type < 0x90) return this.map(type & 0x0f, depth);
    if (type < 0xa0) return this.array(type & 0x0f, depth);
    if (type < 0xc0) return this.text(type & 0x1f);
    if (type >= 0xe0) return type - 0x100;
    const view = this.view;
    switch (type) {
      case F.NIL:
        return null;
      case F.FALSE:
        return false;
      case F.TRUE:
        return true;
      case 0xc4: // bin 8
        return this.binary(view.getUint8(this.take(1)));
      case 0xc5: // bin 16
        return this.binary(view.getUint16(this.take(2)));
      case 0xc6: // bin 32
        return this.binary(view.getUint32(this.take(4)));
      case 0xca: // float 32
        return view.getFloat32(this.take(4));
      case F.FLOAT64:
        return view.getFloat64(this.take(8));
      case F.UINT8:
        return view.getUint8(this.take(1));
      case F.UINT16:
        return view.getUint16(this.take(2));
      case F.UINT32:
        return view.getUint32(this.take(4));
      case F.UINT64: {
        const at = this.take(8);
        return view.getUint32(at) * TWO_32 + view.getUint32(at + 4);
      }
      case 0xd0: // int 8
        return view.getInt8(this.take(1));
      case 0xd1: // int 16
        return view.getInt16(this.take(2));
      case F.INT32:
        return view.getInt32(this.take(4));
      case F.INT64: {
        const at = this.take(8);
        return view.getInt32(at) * TWO_32 + view.getUint32(at + 4);
      }
      case F.STR8:
        return this.text(view.getUint8(this.take(1)));
      case F.STR16:
        return this.text(view.getUint16(this.take(2)));
      case F.STR32:
        return this.text(view.getUint32(this.take(4)));
      case F.ARRAY16:
        return this.array(view.getUint16(this.take(2)), depth);
      case 0xdd: // array 32
        return this.array(view.getUint32(this.take(4)), depth);
      case F.MAP16:
        return this.map(view.getUint16(this.take(2)), depth);
      case 0xdf: // map 32
        return this.map(view.getUint32(this.take(4)), depth);
      default:
        throw new TypeError(
          `type byte 0x${type.toString(16)} at offset ${this.pos - 1} is ${
            type === 0xc1 ? 'never used' : 'an extension type, which this protocol does not have'
          }`,
        );
    }
  }

  text(length: number): string {
    const at = this.take(length);
    return utf8.decode(this.bytes.subarray(at, at + length));
  }

  /** A copy, as a Buffer: what msgpackr gives for binary in Node. */
  binary(length: number): Buffer {
    const at = this.take(length);
    return Buffer.from(this.bytes.subarray(at, at + length));
  }

  array(count: number, depth: number): unknown[] {
    this.nest(depth, count);
    const items: unknown[] = [];
    for (let i = 0; i < count; i += 1) items.push(this.value(depth + 1));
    return items;
  }

  map(count: number, depth: number): Record<string, unknown> {
    this.nest(depth, count * 2);
    const object: Record<string, unknown> = {};
    for (let i = 0; i < count; i += 1) {
      const key = String(this.value(depth + 1));
      // Never the object's prototype: renamed as msgpackr renames it, so
      // that both readers give the same object.
      object[key === '__proto__' ? '__proto_' : key] = this.value(depth + 1);
    }
    return object;
  }

  /** Refuses nesting past the limit, and a count that the bytes left cannot hold (one byte a value at least). */
  nest(depth: number, values: number): void {
    if (depth >= MAX_MSGPACK_DEPTH) {
      throw new RangeError(`arrays and maps nest deeper than ${MAX_MSGPACK_DEPTH} levels`);
    }
    if (values > this.bytes.length - this.pos) {
      throw new RangeError(
        `the value ends early: ${values} values announced at offset ${this.pos}`,
      );
    }
  }
}

/** The one MessagePack value `bytes` holds; throws when it holds less, more, or something else. */
export function readMsgpack(bytes: Uint8Array): unknown {
  const reader = new Reader(bytes);
  const value = reader.value(0);
  if (reader.pos !== bytes.length) {
    throw new RangeError(`${bytes.length - reader.pos} bytes follow the value`);
  }
  return value;
}
