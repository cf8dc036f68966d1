// Event factories for tests: valid by default, overridable field by field.

let counter = 0;

/** A unique, time-ordered-enough request id for tests. */
export function requestId(prefix = 't'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now()}-${counter}`;
}

export function requestEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'request',
    request_id: requestId(),
    ts: Date.now(),
    proxy: 'test-proxy',
    session_id: 'session-1',
    method: 'tools/call',
    tool: 'search',
    latency_us: 1200,
    status: 'ok',
    ...overrides,
  };
}

export function sessionEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'session',
    session_id: 'session-1',
    proxy: 'test-proxy',
    started_at: Date.now(),
    client_name: 'claude-desktop',
    client_version: '1.0.0',
    client_platform: 'claude',
    ...overrides,
  };
}
