// Turns what a proxy hands to record() into a wire event: a shallow copy
// (the caller may reuse its object) with request_id, timestamps and proxy
// filled in. Validation is left to the daemon, which answers with a reason;
// the proxy's hot path does only what cannot be done later.

import { canonicalJson, type EventInput } from '@mcpr-store/protocol';
import { v7 as uuidv7 } from 'uuid';

export type WireEvent = Record<string, unknown>;

export function fillEvent(input: EventInput, proxy: string, nowMs: number): WireEvent {
  const event: WireEvent = { ...(input as object) };
  if (event.proxy === undefined || event.proxy === null) event.proxy = proxy;
  switch (event.kind) {
    case 'request':
      if (event.request_id === undefined || event.request_id === null) event.request_id = uuidv7();
      if (event.ts === undefined || event.ts === null) event.ts = nowMs;
      break;
    case 'session':
      if (event.started_at === undefined || event.started_at === null) event.started_at = nowMs;
      break;
    case 'session_closed':
      if (event.ended_at === undefined || event.ended_at === null) event.ended_at = nowMs;
      break;
    case 'schema_version':
      if (event.ts === undefined || event.ts === null) event.ts = nowMs;
      if (event.payload !== null && typeof event.payload === 'object') {
        event.payload = canonicalJson(event.payload);
      }
      break;
  }
  return event;
}
