// Turns what a proxy hands to record() into a wire event: a new object
// built field by field (the caller may reuse its own), with request_id,
// timestamps and proxy filled in. Built explicitly rather than by spreading:
// every event of a kind gets the same shape, which is several times cheaper
// to create here and to encode later. Anything that is not a known kind is
// passed on as it is, for the daemon to reject with a reason.

import { canonicalJson, type EventInput } from '@mcpr-store/protocol';
import { uuidv7 } from './uuidv7.js';

export type WireEvent = Record<string, unknown>;

type Loose = Record<string, unknown>;

export function fillEvent(input: EventInput, proxy: string, nowMs: number): WireEvent {
  const e = input as unknown as Loose;
  if (e === null || typeof e !== 'object') return e as unknown as WireEvent;
  switch (e.kind) {
    case 'request':
      return {
        kind: 'request',
        request_id: e.request_id ?? uuidv7(nowMs),
        ts: e.ts ?? nowMs,
        proxy: e.proxy ?? proxy,
        session_id: e.session_id ?? null,
        method: e.method,
        tool: e.tool ?? null,
        latency_us: e.latency_us,
        status: e.status,
        error_code: e.error_code ?? null,
        error_msg: e.error_msg ?? null,
        bytes_in: e.bytes_in ?? null,
        bytes_out: e.bytes_out ?? null,
      };
    case 'session':
      return {
        kind: 'session',
        session_id: e.session_id,
        proxy: e.proxy ?? proxy,
        started_at: e.started_at ?? nowMs,
        client_name: e.client_name ?? null,
        client_version: e.client_version ?? null,
        client_platform: e.client_platform ?? null,
      };
    case 'session_closed':
      return {
        kind: 'session_closed',
        session_id: e.session_id,
        ended_at: e.ended_at ?? nowMs,
        proxy: e.proxy ?? proxy,
      };
    case 'schema_version':
      return {
        kind: 'schema_version',
        ts: e.ts ?? nowMs,
        proxy: e.proxy ?? proxy,
        upstream_url: e.upstream_url,
        method: e.method,
        payload:
          e.payload !== null && typeof e.payload === 'object'
            ? canonicalJson(e.payload)
            : e.payload,
        schema_hash: e.schema_hash ?? null,
      };
    default:
      return Object.assign({}, e);
  }
}
