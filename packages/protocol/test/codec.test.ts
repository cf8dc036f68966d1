import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  type AckMessage,
  type BatchMessage,
  type BodyDecoder,
  type DroppedMessage,
  ERROR_CODES,
  type ErrorMessage,
  encodeFrame,
  FrameDecoder,
  type HealthRequestMessage,
  type HealthResponseMessage,
  type HelloMessage,
  negotiateVersion,
  parseClientMessage,
  parseDaemonMessage,
  readMsgpack,
  unpackBody,
  type WelcomeMessage,
} from '../src/index.js';

const hello: HelloMessage = {
  type: 'hello',
  versions: [1],
  client_id: 'c-1',
  client: 'test',
  proxy: 'p',
};
const batch: BatchMessage = {
  type: 'batch',
  seq: 7,
  events: [
    {
      kind: 'request',
      request_id: '0190a8b2-0000-7000-8000-000000000001',
      ts: 1_700_000_000_000,
      proxy: 'p',
      method: 'tools/call',
      tool: 'search',
      latency_us: 1234,
      status: 'ok',
    },
  ],
};
const dropped: DroppedMessage = { type: 'dropped', total: 42 };
const health: HealthRequestMessage = { type: 'health', id: 3 };
const welcome: WelcomeMessage = {
  type: 'welcome',
  version: 1,
  daemon_version: '0.1.0',
  max_frame_bytes: 4194304,
  max_batch_events: 10000,
};
const ack: AckMessage = {
  type: 'ack',
  seq: 7,
  committed: 1,
  duplicates: 0,
  rejected: [{ index: 1, reason: 'x' }],
};
const healthResult: HealthResponseMessage = {
  type: 'health_result',
  id: 3,
  health: { status: 'ok' } as HealthResponseMessage['health'],
};
const error: ErrorMessage = { type: 'error', code: ERROR_CODES.MALFORMED_FRAME, message: 'bad' };

/** The daemon reads with msgpackr, a client with the own reader: both frame alike. */
const DECODERS = [
  ['msgpackr', unpackBody],
  ['the own reader', readMsgpack],
] as const;

function decodeAll(bytes: Buffer, cuts: number[], decode: BodyDecoder): unknown[] {
  const decoder = new FrameDecoder({ decode });
  const out: unknown[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    const { values, error: failure } = decoder.push(bytes.subarray(start, cut));
    expect(failure).toBeNull();
    out.push(...values);
    start = cut;
  }
  return out;
}

describe.each(DECODERS)('frame codec, decoding with %s', (_name, decode) => {
  it('round-trips every client message kind through parseClientMessage', () => {
    for (const message of [hello, batch, dropped, health]) {
      const [decoded] = decodeAll(encodeFrame(message), [], decode);
      expect(parseClientMessage(decoded)).toEqual(message);
    }
  });

  it('round-trips every daemon message kind through parseDaemonMessage', () => {
    for (const message of [welcome, ack, healthResult, error]) {
      const [decoded] = decodeAll(encodeFrame(message), [], decode);
      expect(parseDaemonMessage(decoded)).toEqual(message);
    }
  });

  it('writes a 4-byte big-endian length in front of the msgpack body', () => {
    const frame = encodeFrame({ type: 'health', id: 1 });
    expect(frame.readUInt32BE(0)).toBe(frame.length - 4);
  });

  it('yields the same frames when the stream is split at every byte boundary', () => {
    const stream = Buffer.concat([hello, batch, dropped, health].map((m) => encodeFrame(m)));
    for (let cut = 0; cut <= stream.length; cut += 1) {
      expect(decodeAll(stream, [cut], decode)).toEqual([hello, batch, dropped, health]);
    }
  });

  it('yields the frames when fed one byte at a time', () => {
    const stream = Buffer.concat([batch, health].map((m) => encodeFrame(m)));
    const cuts = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    expect(decodeAll(stream, cuts, decode)).toEqual([batch, health]);
  });

  it('yields many frames delivered in one chunk, in order', () => {
    const messages = Array.from({ length: 500 }, (_, i) => ({ type: 'health', id: i }));
    const stream = Buffer.concat(messages.map((m) => encodeFrame(m)));
    expect(decodeAll(stream, [], decode)).toEqual(messages);
  });

  it('refuses an oversized length from the header alone, before the body arrives', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1024, decode });
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffff_ffff, 0);
    const { values, error: failure } = decoder.push(header);
    expect(values).toEqual([]);
    expect(failure?.code).toBe(ERROR_CODES.FRAME_TOO_LARGE);
    expect(failure?.message).toContain('limit is 1024');
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('reports malformed bodies with ERR_MALFORMED_FRAME and stays failed', () => {
    const decoder = new FrameDecoder({ decode });
    const good = encodeFrame(health);
    const garbage = Buffer.from([0, 0, 0, 2, 0xc1, 0xc1]);
    const result = decoder.push(Buffer.concat([good, garbage, good]));
    expect(result.values).toEqual([health]);
    expect(result.error?.code).toBe(ERROR_CODES.MALFORMED_FRAME);
    expect(decoder.push(good).values).toEqual([]);
  });

  it('rejects a frame holding two msgpack values', () => {
    const packr = new Packr({ useRecords: false });
    const body = Buffer.concat([packr.pack(1), packr.pack(2)]);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    expect(new FrameDecoder({ decode }).push(frame).error?.code).toBe(ERROR_CODES.MALFORMED_FRAME);
  });

  it('rejects an empty frame body', () => {
    expect(new FrameDecoder({ decode }).push(Buffer.from([0, 0, 0, 0])).error?.code).toBe(
      ERROR_CODES.MALFORMED_FRAME,
    );
  });

  it('does not let a __proto__ key change the prototype of a decoded map', () => {
    // fixmap(1) "__proto__" -> fixmap(1) "polluted" -> true
    const key = Buffer.from('__proto__');
    const inner = Buffer.from('polluted');
    const body = Buffer.concat([
      Buffer.from([0x81, 0xa0 | key.length]),
      key,
      Buffer.from([0x81, 0xa0 | inner.length]),
      inner,
      Buffer.from([0xc3]),
    ]);
    const frame = Buffer.concat([Buffer.from([0, 0, 0, body.length]), body]);
    const [value] = new FrameDecoder({ decode }).push(frame).values as [object];
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('message parsing', () => {
  it('names the unknown type and what was expected', () => {
    expect(() => parseClientMessage({ type: 'nope' })).toThrow(/unknown message type "nope"/);
    try {
      parseClientMessage({ type: 'nope' });
    } catch (e) {
      expect((e as { code: string }).code).toBe(ERROR_CODES.UNKNOWN_MESSAGE);
    }
  });

  it('rejects a value that is not a typed map', () => {
    for (const value of [null, 3, 'x', [1], { kind: 'batch' }]) {
      expect(() => parseClientMessage(value)).toThrow(/must be a map with a string "type"/);
    }
  });

  it('checks the fields of each client message', () => {
    expect(() => parseClientMessage({ type: 'hello', versions: 'x' })).toThrow(/versions/);
    expect(() => parseClientMessage({ type: 'batch', seq: -1, events: [] })).toThrow(/seq/);
    expect(() => parseClientMessage({ type: 'batch', seq: 1, events: {} })).toThrow(/events/);
    expect(() => parseClientMessage({ type: 'dropped', total: 1.5 })).toThrow(/total/);
    expect(() => parseClientMessage({ type: 'health' })).toThrow(/id/);
  });

  it('refuses a batch with more events than allowed with ERR_BATCH_TOO_LARGE', () => {
    try {
      parseClientMessage({ type: 'batch', seq: 1, events: [1, 2, 3] }, 2);
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe(ERROR_CODES.BATCH_TOO_LARGE);
    }
  });

  it('negotiates the highest shared version, or none', () => {
    expect(negotiateVersion([1])).toBe(1);
    expect(negotiateVersion([0, 1, 99])).toBe(1);
    expect(negotiateVersion([1, 2])).toBe(2);
    expect(negotiateVersion([2, 1, 99])).toBe(2);
    expect(negotiateVersion([3, 4])).toBeNull();
    expect(negotiateVersion([])).toBeNull();
  });
});
