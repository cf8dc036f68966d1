// Property tests: whatever bytes arrive, the decoder yields whole values or
// one clear ProtocolError, and never throws or hangs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BodyDecoder,
  encodeFrame,
  FrameDecoder,
  ProtocolError,
  parseClientMessage,
  readMsgpack,
  unpackBody,
  validateEvent,
} from '../src/index.js';

const RUNS = 10_000;

function feed(bytes: Uint8Array, cuts: number[], decode: BodyDecoder) {
  const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024, decode });
  const values: unknown[] = [];
  let error: ProtocolError | null = null;
  let start = 0;
  for (const cut of [
    ...cuts.filter((c) => c <= bytes.length).sort((a, b) => a - b),
    bytes.length,
  ]) {
    const result = decoder.push(Buffer.from(bytes.subarray(start, cut)));
    values.push(...result.values);
    error = result.error;
    start = cut;
  }
  return { values, error };
}

const message = fc.oneof(
  fc.record({ type: fc.constant('health'), id: fc.nat() }),
  fc.record({ type: fc.constant('dropped'), total: fc.nat() }),
  fc.record({ type: fc.constant('hello'), versions: fc.array(fc.nat({ max: 5 })) }),
  fc.record({
    type: fc.constant('batch'),
    seq: fc.nat(),
    events: fc.array(
      fc.record({
        kind: fc.constantFrom('request', 'session', 'x'),
        ts: fc.integer(),
        proxy: fc.string(),
        status: fc.string(),
      }),
      { maxLength: 5 },
    ),
  }),
);

// The daemon reads with msgpackr, a client with the own reader.
describe.each([
  ['msgpackr', unpackBody],
  ['the own reader', readMsgpack],
] as const)('decoder under random input, decoding with %s', (_name, decode) => {
  it(`never throws on random bytes cut anywhere (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.array(fc.nat({ max: 256 })),
        (bytes, cuts) => {
          const { values, error } = feed(bytes, cuts, decode);
          expect(error === null || error instanceof ProtocolError).toBe(true);
          for (const value of values) {
            // Parsing a decoded value either yields a message or a coded error.
            try {
              parseClientMessage(value);
            } catch (e) {
              expect(e).toBeInstanceOf(ProtocolError);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`mutated valid frames end in whole messages or one clear error (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.array(message, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.array(fc.nat({ max: 512 })),
        (messages, mutations, cuts) => {
          const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
          for (const [position, byte] of mutations) stream[position % stream.length] = byte;
          const { values, error } = feed(stream, cuts, decode);
          expect(error === null || error instanceof ProtocolError).toBe(true);
          if (error === null && mutations.length === 0) expect(values).toEqual(messages);
          for (const value of values) {
            try {
              const parsed = parseClientMessage(value);
              if (parsed.type === 'batch') for (const event of parsed.events) validateEvent(event);
            } catch (e) {
              expect(e).toBeInstanceOf(ProtocolError);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`validateEvent never throws on arbitrary values (${RUNS} cases)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything({ withBigInt: true, withNullPrototype: true }),
          // Arrays that start like a positional request (protocol version 2).
          fc
            .array(fc.anything({ withBigInt: true }), { maxLength: 15 })
            .map((rest) => ['request', ...rest]),
        ),
        (value) => {
          const result = validateEvent(value);
          expect(typeof result.ok).toBe('boolean');
          const positional = validateEvent(value, { positional: true });
          expect(typeof positional.ok).toBe('boolean');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
