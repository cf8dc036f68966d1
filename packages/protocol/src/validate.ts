// Event validation returns a reason instead of throwing: one bad event in a
// batch must cost only itself, and the reason travels back to the proxy in
// the ack. Validation also normalises (missing optional fields become null,
// `error_msg` is truncated) so the writer never sees two shapes of one event.

import { EVENT_KINDS, REQUEST_STATUSES, type RequestStatus, type StoreEvent } from './events.js';
import { ERROR_MSG_MAX_CHARS, MAX_SAFE_INTEGER, STRING_MAX_CHARS } from './limits.js';
import { positionalProblem, requestFromPositional } from './positional.js';

export type ValidationResult = { ok: true; event: StoreEvent } | { ok: false; reason: string };

type StringField = keyof typeof STRING_MAX_CHARS;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Thrown only inside this module to unwind to `validateEvent`. */
class Invalid extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return `a value of type ${typeof value}`;
}

function requiredString(raw: Record<string, unknown>, field: StringField): string {
  const value = raw[field];
  if (value === undefined || value === null) throw new Invalid(`${field}: is required`);
  return checkString(field, value);
}

function optionalString(raw: Record<string, unknown>, field: StringField): string | null {
  const value = raw[field];
  if (value === undefined || value === null) return null;
  return checkString(field, value);
}

function checkString(field: StringField, value: unknown): string {
  if (typeof value !== 'string')
    throw new Invalid(`${field}: must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new Invalid(`${field}: must not be empty`);
  const max = STRING_MAX_CHARS[field];
  if (value.length > max) {
    throw new Invalid(`${field}: longer than ${max} characters (${value.length})`);
  }
  return value;
}

function toInteger(field: string, value: unknown, minimum: number): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') {
    if (value > BigInt(MAX_SAFE_INTEGER) || value < BigInt(-MAX_SAFE_INTEGER)) {
      throw new Invalid(`${field}: out of range (|n| must be at most ${MAX_SAFE_INTEGER})`);
    }
    n = Number(value);
  } else throw new Invalid(`${field}: must be an integer, got ${describe(value)}`);
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw new Invalid(`${field}: must be an integer, got ${describe(value)}`);
  }
  if (Math.abs(n) > MAX_SAFE_INTEGER) {
    throw new Invalid(`${field}: out of range (|n| must be at most ${MAX_SAFE_INTEGER})`);
  }
  if (n < minimum) throw new Invalid(`${field}: must be at least ${minimum}, got ${n}`);
  return n;
}

function requiredInteger(raw: Record<string, unknown>, field: string, minimum = 0): number {
  const value = raw[field];
  if (value === undefined || value === null) throw new Invalid(`${field}: is required`);
  return toInteger(field, value, minimum);
}

function optionalInteger(raw: Record<string, unknown>, field: string, minimum = 0): number | null {
  const value = raw[field];
  if (value === undefined || value === null) return null;
  return toInteger(field, value, minimum);
}

function status(raw: Record<string, unknown>): RequestStatus {
  const value = raw.status;
  if (value === undefined || value === null) throw new Invalid('status: is required');
  if (!(REQUEST_STATUSES as readonly unknown[]).includes(value)) {
    throw new Invalid(
      `status: must be one of ${REQUEST_STATUSES.join(', ')}, got ${describe(value)}`,
    );
  }
  return value as RequestStatus;
}

function errorMessage(raw: Record<string, unknown>): string | null {
  const value = raw.error_msg;
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string')
    throw new Invalid(`error_msg: must be a string, got ${describe(value)}`);
  return value.length > ERROR_MSG_MAX_CHARS ? value.slice(0, ERROR_MSG_MAX_CHARS) : value;
}

function payload(raw: Record<string, unknown>): string {
  const text = requiredString(raw, 'payload');
  try {
    JSON.parse(text);
  } catch {
    throw new Invalid('payload: must be JSON text');
  }
  return text;
}

function schemaHash(raw: Record<string, unknown>): string | null {
  const hash = optionalString(raw, 'schema_hash');
  if (hash !== null && !SHA256_HEX.test(hash)) {
    throw new Invalid('schema_hash: must be 64 lowercase hex characters (SHA-256)');
  }
  return hash;
}

/**
 * Reads and checks every field of the event's kind, then writes the
 * normalised values into `target`: a new object, or the raw one itself when
 * the caller owns it (the daemon, which saves an allocation per event).
 */
function build(raw: Record<string, unknown>, target: Record<string, unknown>): StoreEvent {
  switch (raw.kind) {
    case 'request': {
      const request_id = requiredString(raw, 'request_id');
      const ts = requiredInteger(raw, 'ts');
      const proxy = requiredString(raw, 'proxy');
      const session_id = optionalString(raw, 'session_id');
      const method = requiredString(raw, 'method');
      const tool = optionalString(raw, 'tool');
      const latency_us = requiredInteger(raw, 'latency_us');
      const checkedStatus = status(raw);
      const error_code = optionalString(raw, 'error_code');
      const error_msg = errorMessage(raw);
      const bytes_in = optionalInteger(raw, 'bytes_in');
      const bytes_out = optionalInteger(raw, 'bytes_out');
      target.kind = 'request';
      target.request_id = request_id;
      target.ts = ts;
      target.proxy = proxy;
      target.session_id = session_id;
      target.method = method;
      target.tool = tool;
      target.latency_us = latency_us;
      target.status = checkedStatus;
      target.error_code = error_code;
      target.error_msg = error_msg;
      target.bytes_in = bytes_in;
      target.bytes_out = bytes_out;
      return target as unknown as StoreEvent;
    }
    case 'session': {
      const session_id = requiredString(raw, 'session_id');
      const proxy = requiredString(raw, 'proxy');
      const started_at = requiredInteger(raw, 'started_at');
      const client_name = optionalString(raw, 'client_name');
      const client_version = optionalString(raw, 'client_version');
      const client_platform = optionalString(raw, 'client_platform');
      target.kind = 'session';
      target.session_id = session_id;
      target.proxy = proxy;
      target.started_at = started_at;
      target.client_name = client_name;
      target.client_version = client_version;
      target.client_platform = client_platform;
      return target as unknown as StoreEvent;
    }
    case 'session_closed': {
      const session_id = requiredString(raw, 'session_id');
      const ended_at = requiredInteger(raw, 'ended_at');
      const proxy = optionalString(raw, 'proxy');
      target.kind = 'session_closed';
      target.session_id = session_id;
      target.ended_at = ended_at;
      target.proxy = proxy;
      return target as unknown as StoreEvent;
    }
    case 'schema_version': {
      const ts = requiredInteger(raw, 'ts');
      const proxy = requiredString(raw, 'proxy');
      const upstream_url = requiredString(raw, 'upstream_url');
      const method = requiredString(raw, 'method');
      const text = payload(raw);
      const schema_hash = schemaHash(raw);
      target.kind = 'schema_version';
      target.ts = ts;
      target.proxy = proxy;
      target.upstream_url = upstream_url;
      target.method = method;
      target.payload = text;
      target.schema_hash = schema_hash;
      return target as unknown as StoreEvent;
    }
    default:
      if (raw.kind === undefined || raw.kind === null) throw new Invalid('kind: is required');
      throw new Invalid(
        `kind: unknown kind ${describe(raw.kind)} (expected one of ${EVENT_KINDS.join(', ')})`,
      );
  }
}

/**
 * Checks one event as it came off the wire (or from `record()`), never
 * throws. The event returned is a new object holding only the known fields.
 * With `inPlace`, the raw object itself is normalised and returned (unknown
 * fields stay on it); the raw object is left untouched when it is rejected.
 * With `positional` (protocol version 2), a request may also be an array of
 * its values in `REQUEST_POSITIONS` order (positional.ts).
 */
export function validateEvent(
  value: unknown,
  options: { inPlace?: boolean; positional?: boolean } = {},
): ValidationResult {
  if (options.positional && Array.isArray(value)) {
    const problem = positionalProblem(value);
    if (problem !== null) return { ok: false, reason: problem };
    const raw = requestFromPositional(value);
    return checked(raw, raw);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `event: must be a map, got ${describe(value)}` };
  }
  const raw = value as Record<string, unknown>;
  return checked(raw, options.inPlace ? raw : {});
}

function checked(raw: Record<string, unknown>, target: Record<string, unknown>): ValidationResult {
  try {
    return { ok: true, event: build(raw, target) };
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, reason: error.message };
    throw error;
  }
}
