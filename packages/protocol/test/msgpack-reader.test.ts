// The own MessagePack reader, with msgpackr as its oracle: whatever msgpackr
// writes, the reader decodes to what msgpackr's own reading (the codec's
// settings) gives; and every malformed value is refused with a reason,
// never read past its end. Also the control frames a client writes with
// it and the writer, without msgpackr.
import fc from 'fast-check';
import { Packr, Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  encodeControlFrame,
  FRAME_HEADER_BYTES,
  FrameDecoder,
  helloMessage,
  MAX_MSGPACK_DEPTH,
  readMsgpack,
} from '../src/index.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

function bytes(...parts: number[]): Uint8Array {
  return Uint8Array.from(parts);
}

describe('readMsgpack', () => {
  it('reads what msgpackr writes as msgpackr reads it (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.double(),
          fc.maxSafeInteger(),
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 70_000 }),
          fc.uint8Array({ maxLength: 300 }).map((array) => Buffer.from(array)),
          fc.array(fc.boolean(), { maxLength: 70_000 }),
          fc.dictionary(fc.string({ maxLength: 12 }), fc.integer(), { maxKeys: 40 }),
        ),
        (value) => {
          const encoded = packr.pack(value);
          expect(readMsgpack(encoded)).toEqual(unpackr.unpack(encoded));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads every integer width, 64-bit ones as numbers', () => {
    expect(readMsgpack(bytes(0x7f))).toBe(127);
    expect(readMsgpack(bytes(0xe0))).toBe(-32);
    expect(readMsgpack(bytes(0xcc, 0xff))).toBe(255);
    expect(readMsgpack(bytes(0xcd, 0xff, 0xff))).toBe(65_535);
    expect(readMsgpack(bytes(0xce, 0xff, 0xff, 0xff, 0xff))).toBe(4_294_967_295);
    expect(readMsgpack(bytes(0xcf, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(
      Number.MAX_SAFE_INTEGER,
    );
    expect(readMsgpack(bytes(0xd0, 0x80))).toBe(-128);
    expect(readMsgpack(bytes(0xd1, 0x80, 0))).toBe(-32_768);
    expect(readMsgpack(bytes(0xd2, 0x80, 0, 0, 0))).toBe(-2_147_483_648);
    expect(readMsgpack(bytes(0xd3, 0xff, 0xe0, 0, 0, 0, 0, 0, 1))).toBe(Number.MIN_SAFE_INTEGER);
    expect(readMsgpack(bytes(0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(-1);
    expect(readMsgpack(bytes(0xca, 0x3f, 0xc0, 0, 0))).toBe(1.5);
    for (const value of [2 ** 53, 2 ** 63, -(2 ** 40) - 7]) {
      const encoded = packr.pack(BigInt(value));
      expect(readMsgpack(encoded)).toBe(unpackr.unpack(encoded));
    }
  });

  it('reads the 32-bit forms of strings, binary, arrays and maps', () => {
    expect(readMsgpack(bytes(0xdb, 0, 0, 0, 2, 0x68, 0x69))).toBe('hi');
    expect(readMsgpack(bytes(0xc6, 0, 0, 0, 1, 7))).toEqual(Buffer.from([7]));
    expect(readMsgpack(bytes(0xdd, 0, 0, 0, 2, 1, 0xc3))).toEqual([1, true]);
    expect(readMsgpack(bytes(0xdf, 0, 0, 0, 1, 0xa1, 0x6b, 0xc0))).toEqual({ k: null });
  });

  it('renames a "__proto__" key as msgpackr does, never setting the prototype', () => {
    const encoded = packr.pack(JSON.parse('{"__proto__": {"polluted": true}}'));
    const decoded = readMsgpack(encoded) as Record<string, unknown>;
    expect(decoded).toEqual(unpackr.unpack(encoded));
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto_']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('refuses every value cut short, and bytes after the value', () => {
    const encoded = packr.pack({
      type: 'ack',
      seq: 2 ** 40,
      rejected: [{ reason: 'é'.repeat(40) }],
    });
    for (let length = 0; length < encoded.length; length += 1) {
      expect(() => readMsgpack(encoded.subarray(0, length))).toThrow(/ends early/);
    }
    expect(() => readMsgpack(Buffer.concat([encoded, bytes(0xc0)]))).toThrow(
      '1 bytes follow the value',
    );
  });

  it('refuses extension types, the unused byte and text that is not UTF-8', () => {
    for (const type of [0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8]) {
      expect(() =>
        readMsgpack(bytes(type, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      ).toThrow('an extension type');
    }
    expect(() => readMsgpack(bytes(0xc1))).toThrow('never used');
    expect(() => readMsgpack(bytes(0xa2, 0xc3, 0x28))).toThrow();
  });

  it('refuses nesting past its depth and counts the bytes cannot hold', () => {
    const deep = new Uint8Array(MAX_MSGPACK_DEPTH + 1).fill(0x91);
    expect(() => readMsgpack(deep)).toThrow(`deeper than ${MAX_MSGPACK_DEPTH} levels`);
    const shallow = new Uint8Array(MAX_MSGPACK_DEPTH).fill(0x91);
    shallow[shallow.length - 1] = 0x90;
    expect(() => readMsgpack(shallow)).not.toThrow();
    // Four billion items announced in five bytes: refused before any is read.
    expect(() => readMsgpack(bytes(0xdd, 0xff, 0xff, 0xff, 0xff))).toThrow(
      '4294967295 values announced',
    );
  });

  it('is the frame decoder unless told otherwise, failures as malformed frames', () => {
    const decoder = new FrameDecoder();
    const good = encodeControlFrame({ type: 'health', id: 3 });
    const bad = Buffer.from([0, 0, 0, 3, 0xd4, 1, 0]);
    const { values, error } = decoder.push(Buffer.concat([good, bad]));
    expect(values).toEqual([{ type: 'health', id: 3 }]);
    expect(error?.code).toBe(ERROR_CODES.MALFORMED_FRAME);
    expect(error?.message).toMatch(/not one msgpack value: .*extension type/);
  });
});

describe('encodeControlFrame', () => {
  it('frames hello, health and dropped as msgpackr reads them, leaving out undefined fields', () => {
    const messages = [
      helloMessage({ client: 'mcpr-store status ✓', client_id: undefined, proxy: 'p', pid: 4242 }),
      helloMessage({ port: 65_535, localhost_url: 'http://127.0.0.1:3000' }),
      { type: 'health' as const, id: 2 ** 32 + 1 },
      { type: 'dropped' as const, total: 0 },
    ];
    for (const message of messages) {
      const frame = encodeControlFrame(message);
      expect(frame.readUInt32BE(0)).toBe(frame.length - FRAME_HEADER_BYTES);
      const expected = JSON.parse(JSON.stringify(message));
      expect(unpackr.unpack(frame.subarray(FRAME_HEADER_BYTES))).toEqual(expected);
      expect(readMsgpack(frame.subarray(FRAME_HEADER_BYTES))).toEqual(expected);
    }
  });

  it('refuses a field that is not a scalar or a list of scalars', () => {
    const odd = { type: 'health', id: 1, extra: { nested: true } } as unknown as {
      type: 'health';
      id: number;
    };
    expect(() => encodeControlFrame(odd)).toThrow('control message field "extra"');
  });
});
