// The four event kinds a proxy reports. Field names are the table columns
// (snake_case) so that an event reads the same in the client, on the wire, on
// disk and in the CLI's JSON; there is no mapping layer to get wrong.

export const EVENT_KINDS = ['request', 'session', 'session_closed', 'schema_version'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const REQUEST_STATUSES = ['ok', 'error', 'timeout'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** One MCP request that went through a proxy: one `requests` row. */
export interface RequestEvent {
  kind: 'request';
  /** UUIDv7 text; the key that makes resends idempotent. */
  request_id: string;
  /** Unix milliseconds (UTC) when the request arrived. */
  ts: number;
  proxy: string;
  session_id: string | null;
  method: string;
  /** Tool name for `tools/call`, else null. */
  tool: string | null;
  latency_us: number;
  status: RequestStatus;
  error_code: string | null;
  /** Truncated to 512 characters. */
  error_msg: string | null;
  bytes_in: number | null;
  bytes_out: number | null;
}

/** An MCP session opened by `initialize`: one `sessions` row. */
export interface SessionEvent {
  kind: 'session';
  session_id: string;
  proxy: string;
  /** Unix milliseconds of the `initialize` request. */
  started_at: number;
  client_name: string | null;
  client_version: string | null;
  client_platform: string | null;
}

/** A session's transport closed cleanly. */
export interface SessionClosedEvent {
  kind: 'session_closed';
  session_id: string;
  /** Unix milliseconds. */
  ended_at: number;
  /** The proxy the session belongs to; lets the daemon keep a close that arrives before its session. */
  proxy: string | null;
}

/** A snapshot of what an upstream server answered to a discovery method. */
export interface SchemaVersionEvent {
  kind: 'schema_version';
  /** Unix milliseconds when the snapshot was captured. */
  ts: number;
  proxy: string;
  upstream_url: string;
  /** `initialize`, `tools/list`, `resources/list`, `resources/templates/list`, `prompts/list`, ... */
  method: string;
  /** JSON text of the response's `result`. */
  payload: string;
  /** SHA-256 hex of `payload`; computed by the daemon when null. */
  schema_hash: string | null;
}

export type StoreEvent = RequestEvent | SessionEvent | SessionClosedEvent | SchemaVersionEvent;

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type NullableOptional<T> = {
  [K in keyof T]: null extends T[K] ? T[K] | undefined : T[K];
};

/**
 * What a proxy hands to `StoreClient.record()`: nullable fields may be left
 * out, `request_id` and `ts` are filled in when missing, `proxy` defaults to
 * the client's, and a schema payload may be an object the client serialises.
 */
export type RequestInput = Optional<
  NullableOptional<RequestEvent>,
  | 'request_id'
  | 'ts'
  | 'proxy'
  | 'session_id'
  | 'tool'
  | 'error_code'
  | 'error_msg'
  | 'bytes_in'
  | 'bytes_out'
>;
export type SessionInput = Optional<
  NullableOptional<SessionEvent>,
  'proxy' | 'started_at' | 'client_name' | 'client_version' | 'client_platform'
>;
export type SessionClosedInput = Optional<
  NullableOptional<SessionClosedEvent>,
  'ended_at' | 'proxy'
>;
export type SchemaVersionInput = Optional<
  Omit<NullableOptional<SchemaVersionEvent>, 'payload'>,
  'ts' | 'proxy' | 'schema_hash'
> & { payload: string | object };

export type EventInput = RequestInput | SessionInput | SessionClosedInput | SchemaVersionInput;
