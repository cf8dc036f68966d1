import { describe, expect, it } from 'vitest';
import {
  ERROR_MSG_MAX_CHARS,
  eventAsMap,
  REQUEST_POSITIONS,
  STRING_MAX_CHARS,
  validateEvent,
} from '../src/index.js';

const request = {
  kind: 'request',
  request_id: '0190a8b2-0000-7000-8000-000000000001',
  ts: 1_700_000_000_000,
  proxy: 'p',
  method: 'tools/call',
  tool: 'search',
  latency_us: 1500,
  status: 'ok',
};

function reason(event: unknown): string {
  const result = validateEvent(event);
  if (result.ok) throw new Error('expected a rejection');
  return result.reason;
}

describe('validateEvent', () => {
  it('accepts a minimal request and fills optional fields with null', () => {
    const result = validateEvent(request);
    expect(result).toEqual({
      ok: true,
      event: {
        ...request,
        session_id: null,
        error_code: null,
        error_msg: null,
        bytes_in: null,
        bytes_out: null,
      },
    });
  });

  it('accepts each of the other kinds', () => {
    expect(validateEvent({ kind: 'session', session_id: 's', proxy: 'p', started_at: 1 }).ok).toBe(
      true,
    );
    expect(validateEvent({ kind: 'session_closed', session_id: 's', ended_at: 2 }).ok).toBe(true);
    expect(
      validateEvent({
        kind: 'schema_version',
        ts: 1,
        proxy: 'p',
        upstream_url: 'http://u',
        method: 'tools/list',
        payload: '{"tools":[]}',
      }).ok,
    ).toBe(true);
  });

  it('drops fields it does not know instead of storing them', () => {
    const result = validateEvent({ ...request, extra: 1 });
    expect(result.ok && 'extra' in result.event).toBe(false);
  });

  it('rejects an unknown or missing kind, naming the kinds it knows', () => {
    expect(reason({ ...request, kind: 'click' })).toBe(
      'kind: unknown kind "click" (expected one of request, session, session_closed, schema_version)',
    );
    expect(reason({ ts: 1 })).toBe('kind: is required');
  });

  it('rejects values that are not maps', () => {
    expect(reason(null)).toBe('event: must be a map, got null');
    expect(reason([1])).toBe('event: must be a map, got an array');
    expect(reason('x')).toBe('event: must be a map, got "x"');
  });

  it('names a missing required field', () => {
    for (const field of ['request_id', 'ts', 'proxy', 'method', 'latency_us', 'status']) {
      const event: Record<string, unknown> = { ...request };
      delete event[field];
      expect(reason(event)).toBe(`${field}: is required`);
    }
  });

  it('names a field of the wrong type', () => {
    expect(reason({ ...request, ts: '2024' })).toBe('ts: must be an integer, got "2024"');
    expect(reason({ ...request, proxy: 5 })).toBe('proxy: must be a string, got 5');
    expect(reason({ ...request, tool: ['a'] })).toBe('tool: must be a string, got an array');
    expect(reason({ ...request, bytes_in: true })).toBe(
      'bytes_in: must be an integer, got a value of type boolean',
    );
  });

  it('requires integers to be whole, finite and exact', () => {
    expect(reason({ ...request, latency_us: 1.5 })).toBe('latency_us: must be an integer, got 1.5');
    expect(reason({ ...request, latency_us: Number.NaN })).toBe(
      'latency_us: must be an integer, got NaN',
    );
    expect(reason({ ...request, ts: Number.POSITIVE_INFINITY })).toBe(
      'ts: must be an integer, got Infinity',
    );
    expect(reason({ ...request, ts: 2 ** 60 })).toMatch(/^ts: out of range/);
    expect(reason({ ...request, ts: 2n ** 63n })).toMatch(/^ts: out of range/);
  });

  it('accepts bigint integers inside the exact range', () => {
    const result = validateEvent({ ...request, bytes_out: 10n });
    expect(result.ok && result.event.kind === 'request' && result.event.bytes_out).toBe(10);
  });

  it('rejects negative latency and byte counts', () => {
    expect(reason({ ...request, latency_us: -1 })).toBe('latency_us: must be at least 0, got -1');
    expect(reason({ ...request, bytes_in: -5 })).toBe('bytes_in: must be at least 0, got -5');
    expect(reason({ ...request, bytes_out: -5 })).toBe('bytes_out: must be at least 0, got -5');
  });

  it('accepts only ok, error and timeout as status', () => {
    expect(reason({ ...request, status: 'failed' })).toBe(
      'status: must be one of ok, error, timeout, got "failed"',
    );
    for (const status of ['ok', 'error', 'timeout']) {
      expect(validateEvent({ ...request, status }).ok).toBe(true);
    }
  });

  it('truncates error_msg to 512 characters instead of rejecting', () => {
    const result = validateEvent({ ...request, status: 'error', error_msg: 'x'.repeat(2000) });
    expect(result.ok && result.event.kind === 'request' && result.event.error_msg?.length).toBe(
      ERROR_MSG_MAX_CHARS,
    );
  });

  it('rejects every other string over its documented cap', () => {
    expect(reason({ ...request, tool: 'x'.repeat(STRING_MAX_CHARS.tool + 1) })).toBe(
      `tool: longer than ${STRING_MAX_CHARS.tool} characters (${STRING_MAX_CHARS.tool + 1})`,
    );
    expect(reason({ ...request, proxy: 'p'.repeat(STRING_MAX_CHARS.proxy + 1) })).toMatch(
      /^proxy: longer than 256 characters/,
    );
  });

  it('rejects empty required strings', () => {
    expect(reason({ ...request, method: '' })).toBe('method: must not be empty');
  });

  it('requires schema payloads to be JSON text and hashes to be SHA-256 hex', () => {
    const schema = { kind: 'schema_version', ts: 1, proxy: 'p', upstream_url: 'u', method: 'm' };
    expect(reason({ ...schema, payload: '{not json' })).toBe('payload: must be JSON text');
    expect(reason({ ...schema, payload: '{}', schema_hash: 'abc' })).toBe(
      'schema_hash: must be 64 lowercase hex characters (SHA-256)',
    );
    expect(validateEvent({ ...schema, payload: '{}', schema_hash: 'a'.repeat(64) }).ok).toBe(true);
  });

  it('requires the fields of session and session_closed events', () => {
    expect(reason({ kind: 'session', proxy: 'p', started_at: 1 })).toBe('session_id: is required');
    expect(reason({ kind: 'session', session_id: 's', proxy: 'p' })).toBe(
      'started_at: is required',
    );
    expect(reason({ kind: 'session_closed', session_id: 's' })).toBe('ended_at: is required');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', async () => {
    const { canonicalJson } = await import('../src/index.js');
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: undefined, y: 'q' })).toBe('{"y":"q"}');
    expect(JSON.parse(canonicalJson({ s: 'a"b\n' }))).toEqual({ s: 'a"b\n' });
  });
});

describe('validateEvent in place', () => {
  it('normalises the raw object itself and leaves a rejected one untouched', () => {
    const raw: Record<string, unknown> = { ...request, error_msg: 'y'.repeat(600), extra: 1 };
    const result = validateEvent(raw, { inPlace: true });
    expect(result.ok && result.event).toBe(raw);
    expect(raw).toMatchObject({ session_id: null, bytes_in: null, extra: 1 });
    expect((raw.error_msg as string).length).toBe(512);
    const bad: Record<string, unknown> = { ...request, latency_us: -1 };
    const before = { ...bad };
    expect(validateEvent(bad, { inPlace: true }).ok).toBe(false);
    expect(bad).toEqual(before);
  });
});

describe('validateEvent with positional requests (protocol version 2)', () => {
  const full = {
    ...request,
    session_id: 's-1',
    status: 'error',
    error_code: '-32603',
    error_msg: 'boom',
    bytes_in: 10,
    bytes_out: 20,
  };
  const positional = (e: Record<string, unknown>) => [
    'request',
    ...REQUEST_POSITIONS.map((field) => e[field] ?? null),
  ];

  it('reads an array by position into the event its map form gives', () => {
    expect(validateEvent(positional(full), { positional: true })).toEqual(validateEvent(full));
    // Trailing fields left out are nil.
    const short = positional(request).slice(0, 1 + REQUEST_POSITIONS.indexOf('tool') + 1);
    expect(validateEvent(short, { positional: true })).toEqual(validateEvent(request));
    expect(eventAsMap(positional(full))).toEqual(full);
    expect(eventAsMap(full)).toBe(full);
    expect(eventAsMap(['session'])).toEqual(['session']);
  });

  it('names the field in its place that is wrong, as for a map', () => {
    const wrong = positional({ ...full, latency_us: 'slow' });
    expect(validateEvent(wrong, { positional: true })).toEqual({
      ok: false,
      reason: 'latency_us: must be an integer, got "slow"',
    });
    expect(validateEvent(['request'], { positional: true })).toEqual({
      ok: false,
      reason: 'request_id: is required',
    });
  });

  it('takes arrays of requests only, of 13 elements at most, and only when asked to', () => {
    expect(validateEvent(['session', 's', 'p', 1], { positional: true })).toEqual({
      ok: false,
      reason: 'event: an event sent as an array must be a request (its first element "request")',
    });
    expect(validateEvent([...positional(full), null], { positional: true })).toEqual({
      ok: false,
      reason: 'event: a request sent as an array has at most 13 elements, got 14',
    });
    expect(validateEvent(positional(full))).toEqual({
      ok: false,
      reason: 'event: must be a map, got an array',
    });
  });
});
