// The hand-written MessagePack writer and the batch frames built from its
// bytes must decode to exactly what msgpackr's own encoding decodes to,
// whatever the value: the daemon cannot tell which one a client used.
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  decodeBody,
  EncodedConstant,
  encodeBatchFrame,
  encodedString,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  MsgpackWriter,
  putValue,
} from '../src/index.js';

const reference = new Packr({ useRecords: false, variableMapSize: true });

function written(value: unknown, initialBytes = 64): Buffer {
  const writer = new MsgpackWriter(initialBytes);
  writer.pos = putValue(writer, writer.pos, value);
  return writer.bytes.subarray(0, writer.pos);
}

function roundTrips(value: unknown): void {
  // A bare undefined is nil on the wire; msgpackr would use an extension.
  const expected = value === undefined ? null : decodeBody(reference.pack(value));
  expect(decodeBody(written(value))).toEqual(expected);
}

describe('MsgpackWriter', () => {
  it('writes integers at every width boundary and decodes them exactly', () => {
    const boundaries = [
      0,
      1,
      127,
      128,
      255,
      256,
      65_535,
      65_536,
      2 ** 32 - 1,
      2 ** 32,
      1_700_000_000_000,
      Number.MAX_SAFE_INTEGER,
      -1,
      -32,
      -33,
      -128,
      -129,
      -32_768,
      -(2 ** 31),
      -(2 ** 31) - 1,
      -(2 ** 40) - 7,
      Number.MIN_SAFE_INTEGER,
    ];
    for (const n of boundaries) {
      expect(decodeBody(written(n))).toBe(n);
      roundTrips(n);
    }
    // Smallest form: one byte up to 127, nine for a millisecond timestamp.
    expect(written(127)).toHaveLength(1);
    expect(written(128)).toHaveLength(2);
    expect(written(1_700_000_000_000)[0]).toBe(0xcf);
    expect(written(-(2 ** 40) - 7)[0]).toBe(0xd3);
  });

  it('writes floats, -0, NaN and infinities as msgpackr would decode them', () => {
    for (const n of [0.5, -1.25, 1e300, -0, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2]) {
      roundTrips(n);
    }
  });

  it('writes strings of every header size, ASCII or not', () => {
    const lengths = [0, 1, 31, 32, 85, 86, 255, 256, 21_845, 21_846, 65_535, 65_536, 200_000];
    for (const length of lengths) {
      for (const unit of ['a', 'é', '😀']) {
        const text = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
        // An odd length cuts the last emoji in half: a lone surrogate, which
        // UTF-8 cannot carry. Whole strings come back as they were.
        if (text.length % 2 === 0 || unit !== '😀') expect(decodeBody(written(text))).toBe(text);
        roundTrips(text);
      }
    }
    expect(written('x'.repeat(31))[0]).toBe(0xbf);
  });

  it('grows its buffer without losing what it holds', () => {
    const writer = new MsgpackWriter(64);
    const values = Array.from({ length: 500 }, (_, i) => `value-${i}-${'z'.repeat(i % 70)}`);
    for (const value of values) writer.pos = putValue(writer, writer.pos, value);
    expect(writer.capacity).toBeGreaterThan(64);
    const decoded: unknown[] = [];
    const frame = encodeBatchFrame(1, values.length, [writer.bytes.subarray(0, writer.pos)]);
    decoded.push(
      ...(decodeBody(frame.subarray(FRAME_HEADER_BYTES)) as { events: unknown[] }).events,
    );
    expect(decoded).toEqual(values);
  });

  it('copies constants of any length exactly, whatever follows them', () => {
    const writer = new MsgpackWriter(64);
    const expected: number[] = [];
    for (let length = 0; length <= 40; length += 1) {
      const bytes = Uint8Array.from({ length }, (_, i) => (length * 31 + i * 7) & 0xff);
      writer.constant(new EncodedConstant(bytes));
      expected.push(...bytes);
      writer.nil();
      expected.push(0xc0);
    }
    expect([...writer.bytes.subarray(0, writer.pos)]).toEqual(expected);
    expect(encodedString('latency_us').bytes).toEqual(
      Uint8Array.from(Buffer.from('\xaalatency_us', 'latin1')),
    );
  });

  it('refuses a string longer than its limit before writing any of it', () => {
    const writer = new MsgpackWriter(64);
    writer.maxStringLength = 10;
    writer.string('0123456789');
    const pos = writer.pos;
    expect(() => writer.string('0123456789a')).toThrow(
      'a string of 11 characters cannot fit in a frame of 10 bytes',
    );
    expect(writer.pos).toBe(pos);
  });

  it('throws what msgpackr throws for a value it cannot encode', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => written(cyclic)).toThrow();
  });

  it('decodes like msgpackr for any JSON-like or odd value (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: false, withBoxedValues: false, withSparseArray: false }),
          fc.double(),
          fc.maxSafeInteger(),
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
        ),
        (value) => {
          roundTrips(value);
        },
      ),
      { numRuns: 5_000 },
    );
  });
});

describe('encodeBatchFrame', () => {
  it('builds the frame encodeFrame builds, however the events are cut into parts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })), {
          maxLength: 40,
        }),
        fc.nat({ max: 2 ** 40 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        (events, seq, cuts) => {
          const writer = new MsgpackWriter(64);
          const ends: number[] = [];
          for (const event of events) {
            writer.pos = putValue(writer, writer.pos, event);
            ends.push(writer.pos);
          }
          const bytes = writer.bytes.subarray(0, writer.pos);
          const at = [...new Set(cuts.map((c) => ends[c % Math.max(1, ends.length)] ?? 0))].sort(
            (a, b) => a - b,
          );
          const parts: Buffer[] = [];
          let from = 0;
          for (const cut of [...at, bytes.length]) {
            parts.push(bytes.subarray(from, Math.max(from, cut)));
            from = Math.max(from, cut);
          }
          const frame = encodeBatchFrame(seq, events.length, parts);
          const decoder = new FrameDecoder({ maxFrameBytes: 1 << 24 });
          const { values, error } = decoder.push(frame);
          expect(error).toBeNull();
          const expected = decodeBody(
            encodeFrame({ type: 'batch', seq, events }).subarray(FRAME_HEADER_BYTES),
          );
          expect(values).toEqual([expected]);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
