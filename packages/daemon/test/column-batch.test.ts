import { type StoreEvent, validateEvent } from '@mcpr-store/protocol';
import { requestEvent } from '@mcpr-store/test-utils';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packColumns } from '../src/writer/column-batch.js';
import { unpackColumns } from './unpack-columns.js';

/** Strings that repeat and that do not: empty, non-ASCII, long, alike. */
const text = fc.oneof(
  fc.constantFrom('', 'a', 'A', 'tools/call', 'séance 🚀', 'x'.repeat(600), 'session-1'),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const integer = fc.oneof(
  fc.constantFrom(0, 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0 }),
);
const nullable = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: null });

const request = fc.record({
  kind: fc.constant('request'),
  request_id: text,
  ts: integer,
  proxy: text,
  session_id: nullable(text),
  method: text,
  tool: nullable(text),
  latency_us: integer,
  status: fc.constantFrom('ok', 'error', 'timeout'),
  error_code: nullable(text.filter((t) => t.length > 0)),
  error_msg: nullable(text),
  bytes_in: nullable(integer),
  bytes_out: nullable(integer),
});
const other = fc.oneof(
  fc.record({
    kind: fc.constant('session'),
    session_id: text,
    proxy: text,
    started_at: integer,
    client_name: nullable(text),
    client_version: nullable(text),
    client_platform: nullable(text),
  }),
  fc.record({
    kind: fc.constant('session_closed'),
    session_id: text,
    ended_at: integer,
    proxy: nullable(text),
  }),
  fc.record({
    kind: fc.constant('schema_version'),
    ts: integer,
    proxy: text,
    upstream_url: text,
    method: text,
    payload: fc.json(),
    schema_hash: fc.constant(null),
  }),
);

/** The events the daemon would hand over: those its validation accepts, normalised. */
function validated(raw: Record<string, unknown>[]): StoreEvent[] {
  const events: StoreEvent[] = [];
  for (const value of raw) {
    const result = validateEvent(value);
    if (result.ok) events.push(result.event);
  }
  return events;
}

describe('writer batches', () => {
  it('cross the thread boundary and read back as the same events, in order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: request }, { weight: 1, arbitrary: other }), {
          maxLength: 40,
        }),
        (raw) => {
          const events = validated(raw as Record<string, unknown>[]);
          // structuredClone is what posting to the writer thread does.
          const crossed = structuredClone(packColumns(events));
          expect(unpackColumns(crossed)).toEqual(events);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hold each repeated string once', () => {
    const events = validated(
      Array.from({ length: 1000 }, (_, i) =>
        requestEvent({
          session_id: `session-${i % 3}`,
          tool: i % 2 === 0 ? 'search' : null,
          status: i % 10 === 0 ? 'error' : 'ok',
          error_code: i % 10 === 0 ? '-32000' : null,
        }),
      ),
    );
    const batch = packColumns(events);
    // proxy, three sessions, method, tool, two statuses, one error code.
    expect([...batch.strings].sort()).toEqual(
      [
        '-32000',
        'error',
        'ok',
        'search',
        'session-0',
        'session-1',
        'session-2',
        'test-proxy',
        'tools/call',
      ].sort(),
    );
    expect(batch.request_ids).toEqual(
      events.map((e) => (e.kind === 'request' ? e.request_id : '')),
    );
    expect(unpackColumns(batch)).toEqual(events);
  });

  it('keep an empty batch and one without requests', () => {
    expect(unpackColumns(structuredClone(packColumns([])))).toEqual([]);
    const closes = validated([
      { kind: 'session_closed', session_id: 's', ended_at: 1, proxy: null },
      { kind: 'session_closed', session_id: 't', ended_at: 2, proxy: 'p' },
    ]);
    expect(closes).toHaveLength(2);
    expect(unpackColumns(structuredClone(packColumns(closes)))).toEqual(closes);
  });
});
