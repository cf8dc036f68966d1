// Rows for hand-made query fixtures: a request and a session with sensible
// defaults around one fixed "now", each field overridable, request ids
// numbered in the order they were made. The query tests and the vacuum
// tests build their stores from these.

export const FIXTURE_NOW = Date.now();
export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

let made = 0;

/** A request a minute before FIXTURE_NOW: p1, session alpha-1, tools/call search, 1 ms, ok. */
export function fixtureRequest(fields: Record<string, unknown> = {}): Record<string, unknown> {
  made += 1;
  return {
    kind: 'request',
    request_id: `r-${String(made).padStart(4, '0')}`,
    ts: FIXTURE_NOW - MINUTE_MS,
    proxy: 'p1',
    session_id: 'alpha-1',
    method: 'tools/call',
    tool: 'search',
    latency_us: 1000,
    status: 'ok',
    ...fields,
  };
}

/** A session of p1 started ten minutes before FIXTURE_NOW by claude-ai 1. */
export function fixtureSession(
  id: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'session',
    session_id: id,
    proxy: 'p1',
    started_at: FIXTURE_NOW - 10 * MINUTE_MS,
    client_name: 'claude-ai',
    client_version: '1',
    client_platform: 'claude',
    ...fields,
  };
}
