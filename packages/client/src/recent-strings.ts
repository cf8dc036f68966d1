// The encodings of recently written short strings, for the request fields
// whose values repeat: session ids, methods, tool names, error codes and
// messages. Copying a held encoding a word at a time costs a fraction of
// encoding the string again, character by character in JavaScript or
// through a native call.
//
// Direct-mapped and bounded: a string's slot comes from its length and its
// last two characters (the random end of a UUID, the end of a tool name), and
// a new string simply takes over its slot. A hit is a string compare (a
// pointer compare when the proxy passes the same string object again).

import { type MsgpackWriter, putValue } from '@mcpr-store/protocol';

const SLOTS = 256;
/** Longest string held: ids and names. */
const MAX_CHARS = 48;
/** A slot holds the longest encoding: a str8 header and 3 bytes per UTF-16 unit at most. */
const SLOT_WORDS = Math.ceil((2 + 3 * MAX_CHARS) / 4);

export class RecentStrings {
  private readonly texts: (string | undefined)[] = new Array(SLOTS).fill(undefined);
  /** Bytes of each slot's encoding; 0 when empty. */
  private readonly lengths = new Uint8Array(SLOTS);
  /** Each slot's encoding as big-endian 32-bit words, the last one padded. */
  private readonly words = new Uint32Array(SLOTS * SLOT_WORDS);

  /** Writes `value` (any value) at `p`; returns the offset after it. */
  put(writer: MsgpackWriter, p: number, value: unknown): number {
    if (typeof value !== 'string' || value.length > MAX_CHARS) return putValue(writer, p, value);
    const length = value.length;
    const slot =
      ((value.charCodeAt(length - 1) << 3) ^ value.charCodeAt(length - 2) ^ (length << 5)) &
      (SLOTS - 1);
    const bytes = this.lengths[slot] as number;
    if (bytes > 0 && this.texts[slot] === value) {
      // Every string held is shorter than the smallest frame, so the writer's
      // string limit cannot refuse it.
      if (p + bytes + 3 > writer.bytes.length) {
        writer.pos = p;
        writer.ensure(bytes + 3);
      }
      const view = writer.view;
      const words = this.words;
      const first = slot * SLOT_WORDS;
      for (let i = 0; i < (bytes + 3) >>> 2; i += 1) {
        view.setUint32(p + i * 4, words[first + i] as number);
      }
      return p + bytes;
    }
    const end = putValue(writer, p, value);
    this.hold(writer, slot, value, p, end);
    return end;
  }

  /** Keeps the encoding just written at `[from, end)` in `slot`. */
  private hold(writer: MsgpackWriter, slot: number, text: string, from: number, end: number): void {
    const bytes = end - from;
    if (bytes > SLOT_WORDS * 4 || end + 3 > writer.bytes.length) return;
    const view = writer.view;
    const first = slot * SLOT_WORDS;
    for (let i = 0; i < (bytes + 3) >>> 2; i += 1) {
      this.words[first + i] = view.getUint32(from + i * 4);
    }
    this.lengths[slot] = bytes;
    this.texts[slot] = text;
  }
}
