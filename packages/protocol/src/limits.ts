// Limits shared by every side of the wire. They live in one place so that the
// validator, the codec, the daemon and PROTOCOL.md cannot drift apart: a
// limit is a promise to other-language clients, not an implementation detail.

/** Length of the big-endian unsigned length prefix in front of every frame. */
export const FRAME_HEADER_BYTES = 4;

/** Largest msgpack body the daemon accepts by default (configurable). */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;

/** Most events one `batch` message may carry. */
export const MAX_BATCH_EVENTS = 10_000;

/** `error_msg` is truncated (not rejected) to this many characters, as the schema says. */
export const ERROR_MSG_MAX_CHARS = 512;

/**
 * Longest accepted value, in characters, of every other string field. A longer
 * value rejects the event with a reason naming the field; nothing is truncated
 * silently except `error_msg`.
 */
export const STRING_MAX_CHARS = {
  request_id: 64,
  proxy: 256,
  session_id: 256,
  method: 256,
  tool: 256,
  error_code: 64,
  client_name: 256,
  client_version: 128,
  client_platform: 64,
  upstream_url: 2048,
  schema_hash: 64,
  payload: 2 * 1024 * 1024,
} as const;

/**
 * Integers must be exact in IEEE doubles (every JSON and JS consumer reads
 * them that way), which also keeps them inside SQLite's 64-bit INTEGER.
 */
export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
