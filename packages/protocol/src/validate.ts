// Event validation returns a reason instead of throwing: one bad event in a
// batch must cost only itself, and the reason travels back to the proxy in
// the ack. Validation also normalises (missing optional fields become null,
// `error_msg` is truncated) so the writer never sees two shapes of one event.
// One loop serves every kind: it walks the kind's field table
// (event-fields.ts) and checks each field by its type.

import { EVENT_FIELDS, type FieldSpec } from './event-fields.js';
import { EVENT_KINDS, type EventKind, REQUEST_STATUSES, type StoreEvent } from './events.js';
import { ERROR_MSG_MAX_CHARS, MAX_SAFE_INTEGER, STRING_MAX_CHARS } from './limits.js';
import { positionalProblem, requestFromPositional } from './positional.js';
import { characterCount, truncateCharacters } from './text.js';

export type ValidationResult = { ok: true; event: StoreEvent } | { ok: false; reason: string };

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Thrown only inside this module to unwind to `validateEvent`. */
class Invalid extends Error {}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return value.length > 40
      ? `a string of ${characterCount(value)} characters`
      : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return `a value of type ${typeof value}`;
}

/** A string field's value as stored: lone surrogates (not valid UTF-8) become U+FFFD. */
function wellFormed(value: string): string {
  return value.isWellFormed() ? value : value.toWellFormed();
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string')
    throw new Invalid(`${field}: must be a string, got ${describe(value)}`);
  if (value.length === 0) throw new Invalid(`${field}: must not be empty`);
  const max = STRING_MAX_CHARS[field as keyof typeof STRING_MAX_CHARS];
  // A string's UTF-16 length is never below its character count: only a
  // long one needs counting.
  if (value.length > max) {
    const chars = characterCount(value);
    if (chars > max) throw new Invalid(`${field}: longer than ${max} characters (${chars})`);
  }
  return wellFormed(value);
}

function integer(field: string, value: unknown): number {
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
  if (n < 0) throw new Invalid(`${field}: must be at least 0, got ${n}`);
  return n;
}

function check(spec: FieldSpec, value: unknown): unknown {
  const field = spec.name;
  switch (spec.type) {
    case 'text':
      return text(field, value);
    case 'integer':
      return integer(field, value);
    case 'status':
      if (!(REQUEST_STATUSES as readonly unknown[]).includes(value)) {
        throw new Invalid(
          `${field}: must be one of ${REQUEST_STATUSES.join(', ')}, got ${describe(value)}`,
        );
      }
      return value;
    case 'message':
      if (typeof value !== 'string')
        throw new Invalid(`${field}: must be a string, got ${describe(value)}`);
      return wellFormed(truncateCharacters(value, ERROR_MSG_MAX_CHARS));
    case 'json': {
      const json = text(field, value);
      try {
        JSON.parse(json);
      } catch {
        throw new Invalid(`${field}: must be JSON text`);
      }
      return json;
    }
    case 'sha256': {
      const hash = text(field, value);
      if (!SHA256_HEX.test(hash)) {
        throw new Invalid(`${field}: must be 64 lowercase hex characters (SHA-256)`);
      }
      return hash;
    }
  }
}

/** Checked values of the event being validated, reused: nothing is written to the target until all pass. */
const checkedValues: unknown[] = [];

/**
 * Reads and checks every field of the event's kind, then writes the
 * normalised values into `target`: a new object, or the raw one itself when
 * the caller owns it (the daemon, which saves an allocation per event).
 */
function build(raw: Record<string, unknown>, target: Record<string, unknown>): StoreEvent {
  const kind = raw.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(EVENT_FIELDS, kind)) {
    if (kind === undefined || kind === null) throw new Invalid('kind: is required');
    throw new Invalid(
      `kind: unknown kind ${describe(kind)} (expected one of ${EVENT_KINDS.join(', ')})`,
    );
  }
  const fields = EVENT_FIELDS[kind as EventKind];
  for (let i = 0; i < fields.length; i += 1) {
    const spec = fields[i] as FieldSpec;
    const value = raw[spec.name];
    if (value === undefined || value === null) {
      if (spec.required) throw new Invalid(`${spec.name}: is required`);
      checkedValues[i] = null;
    } else checkedValues[i] = check(spec, value);
  }
  target.kind = kind;
  for (let i = 0; i < fields.length; i += 1) {
    target[(fields[i] as FieldSpec).name] = checkedValues[i];
  }
  return target as unknown as StoreEvent;
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
