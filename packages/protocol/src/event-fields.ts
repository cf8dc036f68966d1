// The fields of every event kind, in one place: their names, what each must
// hold, and, for the request, where it travels in the positional form. The
// validator walks these tables; the client's encoder, the daemon's column
// packing, the writer's INSERT and the query layer's SELECT all derive
// their order from REQUEST_FIELDS. Adding a field is one edit here plus its
// migration.
//
// REQUEST_FIELDS lists the request's fields in the order a stored row is
// printed (the `logs --json` keys); `position` is the field's place in the
// positional request (protocol version 2), counted after the kind. The
// positional order puts the fields whose encoded size never varies first,
// so a client can keep them as one template and fill in its holes; that
// order is part of the wire format and never changes.

import type { EventKind } from './events.js';

/**
 * What a field must hold:
 * - `text`: a non-empty string, at most STRING_MAX_CHARS characters;
 * - `integer`: a safe integer, 0 or more;
 * - `status`: one of REQUEST_STATUSES;
 * - `message`: any string, truncated to ERROR_MSG_MAX_CHARS characters;
 * - `json`: JSON text (or, from record(), an object the client serialises);
 * - `sha256`: 64 lowercase hex digits.
 */
export type FieldType = 'text' | 'integer' | 'status' | 'message' | 'json' | 'sha256';

export interface FieldSpec<Name extends string = string> {
  readonly name: Name;
  readonly type: FieldType;
  /** Missing or null rejects the event; an optional field reads as null. */
  readonly required: boolean;
}

export interface RequestFieldSpec<Name extends string = string> extends FieldSpec<Name> {
  /** Index in the positional request, after the kind (0 = right after it). */
  readonly position: number;
}

/** The request's fields, in the order a stored row prints. */
export const REQUEST_FIELDS = [
  { name: 'request_id', type: 'text', required: true, position: 0 },
  { name: 'ts', type: 'integer', required: true, position: 1 },
  { name: 'proxy', type: 'text', required: true, position: 2 },
  { name: 'method', type: 'text', required: true, position: 8 },
  { name: 'tool', type: 'text', required: false, position: 9 },
  { name: 'latency_us', type: 'integer', required: true, position: 3 },
  { name: 'status', type: 'status', required: true, position: 4 },
  { name: 'error_code', type: 'text', required: false, position: 10 },
  { name: 'error_msg', type: 'message', required: false, position: 11 },
  { name: 'session_id', type: 'text', required: false, position: 7 },
  { name: 'bytes_in', type: 'integer', required: false, position: 5 },
  { name: 'bytes_out', type: 'integer', required: false, position: 6 },
] as const satisfies readonly RequestFieldSpec[];

export type RequestField = (typeof REQUEST_FIELDS)[number]['name'];

/** The request's field names in the order a stored row prints. */
export const REQUEST_FIELD_NAMES: readonly RequestField[] = REQUEST_FIELDS.map((f) => f.name);

/** The request's field names in positional (wire) order. */
export const REQUEST_POSITIONS: readonly RequestField[] = [...REQUEST_FIELDS]
  .sort((a, b) => a.position - b.position)
  .map((f) => f.name);

/** Where each request field travels in the positional form, after the kind. */
export const REQUEST_POSITION = Object.fromEntries(
  REQUEST_FIELDS.map((f) => [f.name, f.position]),
) as Readonly<Record<RequestField, number>>;

export const SESSION_FIELDS = [
  { name: 'session_id', type: 'text', required: true },
  { name: 'proxy', type: 'text', required: true },
  { name: 'started_at', type: 'integer', required: true },
  { name: 'client_name', type: 'text', required: false },
  { name: 'client_version', type: 'text', required: false },
  { name: 'client_platform', type: 'text', required: false },
] as const satisfies readonly FieldSpec[];

export const SESSION_CLOSED_FIELDS = [
  { name: 'session_id', type: 'text', required: true },
  { name: 'ended_at', type: 'integer', required: true },
  { name: 'proxy', type: 'text', required: false },
] as const satisfies readonly FieldSpec[];

export const SCHEMA_VERSION_FIELDS = [
  { name: 'ts', type: 'integer', required: true },
  { name: 'proxy', type: 'text', required: true },
  { name: 'upstream_url', type: 'text', required: true },
  { name: 'method', type: 'text', required: true },
  { name: 'payload', type: 'json', required: true },
  { name: 'schema_hash', type: 'sha256', required: false },
] as const satisfies readonly FieldSpec[];

/** Every kind's fields, in the order validation checks them. */
export const EVENT_FIELDS: Readonly<Record<EventKind, readonly FieldSpec[]>> = {
  request: REQUEST_FIELDS,
  session: SESSION_FIELDS,
  session_closed: SESSION_CLOSED_FIELDS,
  schema_version: SCHEMA_VERSION_FIELDS,
};
