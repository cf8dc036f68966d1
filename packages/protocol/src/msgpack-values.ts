// Any value into a MsgpackWriter: strings, numbers, booleans and nil by the
// writer's own hand, anything else (maps, arrays, bigints) through msgpackr,
// so every value decodes to what `encodeFrame`'s encoding of it decodes to.
// The one difference: a bare undefined is written as nil, where msgpackr
// uses an extension type the protocol does not have. Kept apart from the
// writer because it alone needs msgpackr (see msgpack-writer.ts).

import { Packr } from 'msgpackr';
import {
  type EncodedConstant,
  type MsgpackWriter,
  putBoolean,
  putConstant,
  putNil,
  putNumber,
  putString,
} from './msgpack-writer.js';

const fallback = new Packr({ useRecords: false, variableMapSize: true });

/** A key (a map key, say) and then its value, any value. */
export function putField(
  writer: MsgpackWriter,
  p: number,
  key: EncodedConstant,
  value: unknown,
): number {
  return putValue(writer, putConstant(writer, p, key), value);
}

/**
 * Any value; undefined is written as nil (plain MessagePack has nothing
 * else for it). Throws what msgpackr throws for a value it cannot encode
 * (a cycle, say).
 */
export function putValue(writer: MsgpackWriter, p: number, value: unknown): number {
  if (typeof value === 'string') return putString(writer, p, value);
  if (typeof value === 'number') return putNumber(writer, p, value);
  if (value === null || value === undefined) return putNil(writer, p);
  if (typeof value === 'boolean') return putBoolean(writer, p, value);
  writer.pos = p;
  const encoded = fallback.pack(value);
  writer.ensure(encoded.length);
  encoded.copy(writer.bytes, p);
  return p + encoded.length;
}
