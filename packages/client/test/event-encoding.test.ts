// What record() puts on the wire: each kind's fields filled in as the
// protocol says, checked by decoding the bytes the client writes.

import {
  decodeBody,
  type EventInput,
  MsgpackWriter,
  positionalProblem,
  REQUEST_FIELD_NAMES,
  REQUEST_POSITIONS,
  requestFromPositional,
} from '@mcpr-store/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventEncoder } from '../src/event-encoding.js';

const NOW_MS = 1_700_000_000_123;
const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const REQUEST_FIELDS = ['kind', ...REQUEST_FIELD_NAMES];

/**
 * A decoded request as the daemon reads it: an array (protocol version 2)
 * must be a well-formed positional request and is read by position; a
 * field left out of a map is nil (PROTOCOL.md). Only absent keys are
 * filled; every value the client wrote is compared as written.
 */
function asRead(event: unknown): Record<string, unknown> {
  if (Array.isArray(event)) {
    expect(positionalProblem(event)).toBeNull();
    return requestFromPositional(event);
  }
  const e = event as Record<string, unknown>;
  if (e === null || typeof e !== 'object' || e.kind !== 'request') return e;
  const read: Record<string, unknown> = {};
  for (const field of REQUEST_FIELDS) read[field] = field in e ? e[field] : null;
  return { ...read, ...e };
}

/** The wire event the client writes for `input`, decoded. */
function rawWire(input: unknown, proxy = 'proxy-a'): Record<string, unknown> {
  const writer = new MsgpackWriter(64);
  new EventEncoder(proxy).write(writer, input as EventInput, NOW_MS);
  return decodeBody(writer.bytes.subarray(0, writer.pos)) as Record<string, unknown>;
}

/** The same, read as the daemon reads it. */
function wire(input: unknown, proxy = 'proxy-a'): Record<string, unknown> {
  return asRead(rawWire(input, proxy));
}

/** `count` events written back to back, decoded as the array a batch carries and read. */
function decodeBatch(bytes: Buffer, count: number): Record<string, unknown>[] {
  const array = Buffer.concat([Buffer.from([0xdc, count >> 8, count & 0xff]), bytes]);
  return (decodeBody(array) as unknown[]).map(asRead);
}

/** The wire event the protocol defines for a request input: the test's own statement of it. */
function expectedRequest(e: Record<string, unknown>, proxy: string) {
  return {
    kind: 'request',
    request_id: e.request_id ?? expect.stringMatching(UUIDV7),
    ts: e.ts ?? NOW_MS,
    proxy: e.proxy ?? proxy,
    session_id: e.session_id ?? null,
    method: e.method ?? null,
    tool: e.tool ?? null,
    latency_us: e.latency_us ?? null,
    status: e.status ?? null,
    error_code: e.error_code ?? null,
    error_msg: e.error_msg ?? null,
    bytes_in: e.bytes_in ?? null,
    bytes_out: e.bytes_out ?? null,
  };
}

describe('EventEncoder', () => {
  it('fills a minimal request: new UUIDv7 id stamped now, the client proxy, nulls', () => {
    const event = wire({ kind: 'request', method: 'tools/list', latency_us: 5, status: 'ok' });
    expect(event).toEqual(
      expectedRequest({ method: 'tools/list', latency_us: 5, status: 'ok' }, 'proxy-a'),
    );
    // The first 48 bits are the time: 0x018bcfe5687b is NOW_MS.
    expect((event.request_id as string).slice(0, 13)).toBe('018bcfe5-687b');
  });

  it('writes the usual request as an array, ending before the error fields when there are none', () => {
    const usual = { kind: 'request', method: 'tools/call', tool: 't', latency_us: 5, status: 'ok' };
    const at = (field: (typeof REQUEST_POSITIONS)[number]) => 1 + REQUEST_POSITIONS.indexOf(field);
    const plain = rawWire(usual) as unknown as unknown[];
    expect(plain).toHaveLength(11);
    expect(plain[0]).toBe('request');
    expect([plain[at('bytes_in')], plain[at('bytes_out')]]).toEqual([null, null]);
    const sized = { ...usual, bytes_in: 10, bytes_out: 20 };
    const sizedWire = rawWire(sized) as unknown as unknown[];
    expect(sizedWire).toHaveLength(11);
    expect([sizedWire[at('bytes_in')], sizedWire[at('bytes_out')]]).toEqual([10, 20]);
    const coded = { ...sized, status: 'error', error_code: '-32603' };
    const codedWire = rawWire(coded) as unknown as unknown[];
    expect(codedWire).toHaveLength(13);
    expect([codedWire[at('error_code')], codedWire[at('error_msg')]]).toEqual(['-32603', null]);
    const failed = { ...coded, error_msg: 'upstream returned 502' };
    expect(rawWire(failed)).toHaveLength(13);
    expect(wire(failed)).toEqual(expectedRequest(failed, 'proxy-a'));
    const messageOnly = { ...usual, status: 'error', error_msg: 'timed out upstream' };
    expect(rawWire(messageOnly)).toHaveLength(13);
    expect(wire(messageOnly)).toEqual(expectedRequest(messageOnly, 'proxy-a'));
  });

  it('keeps every field given, and any value of any type for the daemon to judge', () => {
    const full = {
      kind: 'request',
      request_id: 'r-1',
      ts: 42,
      proxy: 'other',
      session_id: 'ß-session-😀',
      method: 'tools/call',
      tool: 'search',
      latency_us: 1.5,
      status: 'weird',
      error_code: '-32603',
      error_msg: 'x'.repeat(600),
      bytes_in: 0,
      bytes_out: 2 ** 40,
    };
    expect(wire(full)).toEqual(full);
    const odd = { kind: 'request', method: 7, latency_us: '12', status: true, tool: { a: [1] } };
    expect(wire(odd)).toEqual(expectedRequest(odd, 'proxy-a'));
  });

  it('sends a missing required field as nil, for the daemon to reject', () => {
    const event = wire({ kind: 'request', latency_us: 1, status: 'ok' });
    expect(event).toHaveProperty('method', null);
  });

  it('matches the protocol for any request input (property)', () => {
    const optionalValue = fc.oneof(
      fc.constant(undefined),
      fc.constant(null),
      fc.string({ maxLength: 80 }),
      fc.integer(),
      fc.maxSafeNat(),
      // -0 is sent as 0, as msgpackr sends it.
      fc.double({ noNaN: true }).filter((n) => !Object.is(n, -0)),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            request_id: optionalValue,
            ts: optionalValue,
            proxy: optionalValue,
            session_id: optionalValue,
            method: optionalValue,
            tool: optionalValue,
            latency_us: optionalValue,
            status: optionalValue,
            error_code: optionalValue,
            error_msg: optionalValue,
            bytes_in: optionalValue,
            bytes_out: optionalValue,
          },
          { requiredKeys: [] },
        ),
        fc.string({ minLength: 1, maxLength: 40 }),
        (fields, proxy) => {
          const input = { kind: 'request', ...fields };
          expect(wire(input, proxy)).toEqual(expectedRequest(input, proxy));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('writes the usual request (id, time and proxy filled in) exactly, wherever the buffer grows (property)', () => {
    // The shape record() sees on almost every call; latency and sizes at and
    // around the uint32 bounds, with and without an error.
    const uint32ish = fc.oneof(
      fc.constantFrom(0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, -1, 1.5),
      fc.nat(),
    );
    const text = fc.oneof(fc.string({ maxLength: 40 }), fc.uuid(), fc.constant('tools/call'));
    fc.assert(
      fc.property(
        fc.record(
          {
            session_id: fc.option(text, { nil: undefined }),
            method: text,
            tool: fc.option(text, { nil: undefined }),
            latency_us: uint32ish,
            status: fc.constantFrom('ok', 'error', 'timeout'),
            error_code: fc.option(fc.constant('-32603'), { nil: undefined }),
            error_msg: fc.option(text, { nil: undefined }),
            bytes_in: fc.option(uint32ish, { nil: undefined }),
            bytes_out: fc.option(uint32ish, { nil: undefined }),
          },
          { requiredKeys: ['method', 'latency_us', 'status'] },
        ),
        fc.integer({ min: 0, max: 400 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (fields, already, proxy) => {
          const input = { kind: 'request', ...fields };
          const writer = new MsgpackWriter(64);
          writer.ensure(already);
          writer.pos = already;
          new EventEncoder(proxy).write(writer, input as EventInput, NOW_MS);
          const event = asRead(decodeBody(writer.bytes.subarray(already, writer.pos)));
          expect(event).toEqual(expectedRequest(input, proxy));
          expect((event as { request_id: string }).request_id.slice(0, 13)).toBe('018bcfe5-687b');
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it('writes repeated, colliding and changing strings exactly from one encoder (property)', () => {
    // One encoder keeps recent strings' encodings: values come from a small
    // pool so they repeat, share slots (same length and last characters) and
    // replace each other, with non-ASCII, empty and held-length edge cases.
    const pool = fc.constantFrom(
      '',
      'a',
      'ab',
      'tools/call',
      'tools/list',
      'toolz/call',
      'séarch',
      '😀😀',
      'x'.repeat(48),
      'y'.repeat(48),
      // The longest encoding held: 48 characters of 3 bytes each.
      '€'.repeat(48),
      `${'€'.repeat(47)}x`,
      'x'.repeat(49),
      '0198c2a4-7d1e-7c3b-9f2a-000000000001',
      '0198c2a4-7d1e-7c3b-9f2a-100000000001',
      '0198c2a4-7d1e-7c3b-9f2a-000000000002',
    );
    const value = fc.oneof(pool, pool, fc.constant(undefined), fc.integer());
    const request = fc.record(
      {
        session_id: value,
        method: value,
        tool: value,
        latency_us: fc.nat(),
        status: fc.constantFrom('ok', 'error'),
        error_code: value,
        error_msg: value,
        bytes_in: fc.nat(),
        bytes_out: fc.nat(),
      },
      { requiredKeys: ['session_id', 'method', 'tool', 'latency_us', 'status'] },
    );
    fc.assert(
      fc.property(fc.array(request, { minLength: 1, maxLength: 60 }), (fields) => {
        const encoder = new EventEncoder('p');
        const writer = new MsgpackWriter(64);
        const inputs = fields.map((f) => ({ kind: 'request', ...f }));
        for (const input of inputs) encoder.write(writer, input as EventInput, NOW_MS);
        const events = decodeBatch(writer.bytes.subarray(0, writer.pos), inputs.length);
        expect(events).toEqual(inputs.map((input) => expectedRequest(input, 'p')));
      }),
      { numRuns: 500 },
    );
  });

  it('stamps each request with its own millisecond, whichever came before', () => {
    const encoder = new EventEncoder('p');
    const writer = new MsgpackWriter(64);
    const times = [NOW_MS, NOW_MS + 1, NOW_MS + 1, NOW_MS, NOW_MS + 2 ** 32];
    for (const ms of times) {
      encoder.write(writer, { kind: 'request', method: 'm', latency_us: 1, status: 'ok' }, ms);
    }
    const events = decodeBatch(writer.bytes.subarray(0, writer.pos), times.length);
    expect(events.map((e) => e.ts)).toEqual(times);
    for (const [i, ms] of times.entries()) {
      const hex = ms.toString(16).padStart(12, '0');
      const id = String(events[i]?.request_id);
      expect(id).toMatch(UUIDV7);
      expect(id.slice(0, 13)).toBe(`${hex.slice(0, 8)}-${hex.slice(8)}`);
    }
    expect(new Set(events.map((e) => e.request_id)).size).toBe(times.length);
  });

  it('gives every request an id of its own, whichever head or path writes it', () => {
    const encoder = new EventEncoder('p');
    const writer = new MsgpackWriter(64);
    const inputs: EventInput[] = [
      { kind: 'request', method: 'm', latency_us: 1, status: 'ok' },
      { kind: 'request', method: 'm', latency_us: 1, status: 'error', error_code: '-1' },
      { kind: 'request', method: 'm', latency_us: 1, status: 'ok', bytes_in: 1, bytes_out: 2 },
      // Not a uint32 latency: written as a map, field by field.
      { kind: 'request', method: 'm', latency_us: 1.5, status: 'ok' },
    ];
    // Seven requests a millisecond, so each head writes ids of several.
    const count = 3_000;
    for (let i = 0; i < count; i += 1) {
      encoder.write(writer, inputs[i % inputs.length] as EventInput, NOW_MS + Math.floor(i / 7));
    }
    const ids = decodeBatch(writer.bytes.subarray(0, writer.pos), count).map((e) =>
      String(e.request_id),
    );
    expect(new Set(ids).size).toBe(count);
    for (let i = 1; i < count; i += 1) {
      const before = ids[i - 1] as string;
      const id = ids[i] as string;
      expect(id).toMatch(UUIDV7);
      if (Math.floor(i / 7) !== Math.floor((i - 1) / 7)) continue;
      // Taken one after the other in one millisecond: the next count of the
      // same tail, or a new tail after the counter's last.
      if (id.slice(0, 32) === before.slice(0, 32)) {
        expect(Number.parseInt(id.slice(32), 16)).toBe(Number.parseInt(before.slice(32), 16) + 1);
      } else {
        expect(before.slice(32)).toBe('ffff');
      }
    }
  });

  it('fills sessions, closes and schema versions', () => {
    expect(wire({ kind: 'session', session_id: 's1', client_name: 'cursor' })).toEqual({
      kind: 'session',
      session_id: 's1',
      proxy: 'proxy-a',
      started_at: NOW_MS,
      client_name: 'cursor',
      client_version: null,
      client_platform: null,
    });
    expect(wire({ kind: 'session_closed', session_id: 's1', ended_at: 9 })).toEqual({
      kind: 'session_closed',
      session_id: 's1',
      ended_at: 9,
      proxy: 'proxy-a',
    });
    expect(
      wire({
        kind: 'schema_version',
        upstream_url: 'http://up',
        method: 'tools/list',
        payload: { tools: [{ name: 'b', z: 1, a: 2 }] },
      }),
    ).toEqual({
      kind: 'schema_version',
      ts: NOW_MS,
      proxy: 'proxy-a',
      upstream_url: 'http://up',
      method: 'tools/list',
      payload: '{"tools":[{"a":2,"name":"b","z":1}]}',
      schema_hash: null,
    });
    expect(
      wire({ kind: 'schema_version', upstream_url: 'u', method: 'm', payload: '{"x":1}' }).payload,
    ).toBe('{"x":1}');
  });

  it('passes anything else on as it is', () => {
    expect(wire({ kind: 'nope', a: 1 })).toEqual({ kind: 'nope', a: 1 });
    expect(wire(null)).toBeNull();
    expect(wire(42)).toBe(42);
  });

  it('throws for a value it cannot encode, for the caller to rewind', () => {
    const cyclic: Record<string, unknown> = { kind: 'request', method: 'm' };
    cyclic.tool = cyclic;
    const writer = new MsgpackWriter(64);
    expect(() => new EventEncoder('p').write(writer, cyclic as never, NOW_MS)).toThrow();
  });
});
