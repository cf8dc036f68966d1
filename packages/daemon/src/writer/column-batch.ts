// The form a client batch takes to cross from the main thread to the writer
// thread. Posting an array of event objects makes the writer thread rebuild
// every object and every string from a structured clone, on the one thread
// that bounds ingest. Requests, nearly all of the traffic, cross as columns
// instead: their integer fields in one Float64Array, their repeated strings
// (proxy, session, method, tool, status, error fields) as codes into one
// table of the batch's distinct strings, and only the request ids as
// strings of their own. The rare other kinds cross as objects, with their
// positions, so the writer sees every event in the order it came. Each
// client batch is packed as soon as it is validated: the decoded objects
// then die young, and what waits for the writer is a few arrays instead of
// thousands of objects.
//
// Which field goes in which column is derived from the protocol's one list
// of request fields (REQUEST_FIELDS): integers are numbers, the request id
// is its own column, every other field is a coded string.

import {
  REQUEST_FIELDS,
  type RequestEvent,
  type RequestField,
  type StoreEvent,
} from '@mcpr-store/protocol';

/** The request fields held as numbers, in column order. */
export const NUMBER_FIELDS: readonly RequestField[] = REQUEST_FIELDS.filter(
  (f) => f.type === 'integer',
).map((f) => f.name);
/** The request fields held as codes into the batch's strings, in column order. */
export const CODE_FIELDS: readonly RequestField[] = REQUEST_FIELDS.filter(
  (f) => f.type !== 'integer' && f.name !== 'request_id',
).map((f) => f.name);

/** Numbers per request in `numbers`. */
export const REQUEST_NUMBERS = NUMBER_FIELDS.length;
/** Codes per request in `codes`. */
export const REQUEST_CODES = CODE_FIELDS.length;
/** The code of a null string. */
export const NULL_CODE = -1;

function offsets(fields: readonly RequestField[]): Partial<Record<RequestField, number>> {
  return Object.fromEntries(fields.map((name, i) => [name, i]));
}
/** Offset of each number field within a request's numbers. */
export const NUMBER_AT = offsets(NUMBER_FIELDS) as Record<
  'ts' | 'latency_us' | 'bytes_in' | 'bytes_out',
  number
>;
/** Offset of each coded field within a request's codes. */
export const CODE_AT = offsets(CODE_FIELDS) as Record<
  'proxy' | 'session_id' | 'method' | 'tool' | 'status' | 'error_code' | 'error_msg',
  number
>;

export interface ColumnBatch {
  /** Events in the batch, of every kind. */
  count: number;
  /** Each request's request_id, in batch order. */
  request_ids: string[];
  /** REQUEST_NUMBERS per request, NUMBER_FIELDS order; NaN for null. */
  numbers: Float64Array;
  /** REQUEST_CODES per request, CODE_FIELDS order; NULL_CODE for null. */
  codes: Int32Array;
  /** The distinct strings the codes point at. */
  strings: string[];
  /** The events that are not requests, and their positions in the batch (ascending). */
  others: StoreEvent[];
  other_positions: number[];
}

/** Packs validated events (in order) into columns. */
export function packColumns(events: readonly StoreEvent[]): ColumnBatch {
  let requests = 0;
  for (const event of events) if (event.kind === 'request') requests += 1;
  const request_ids: string[] = new Array(requests);
  const numbers = new Float64Array(requests * REQUEST_NUMBERS);
  const codes = new Int32Array(requests * REQUEST_CODES);
  const strings: string[] = [];
  const codeOf = new Map<string, number>();
  const others: StoreEvent[] = [];
  const other_positions: number[] = [];
  let r = 0;
  for (let position = 0; position < events.length; position += 1) {
    const event = events[position] as StoreEvent;
    if (event.kind !== 'request') {
      others.push(event);
      other_positions.push(position);
      continue;
    }
    const fields = event as unknown as Record<RequestField, string | number | null>;
    request_ids[r] = (event as RequestEvent).request_id;
    const n = r * REQUEST_NUMBERS;
    for (let i = 0; i < REQUEST_NUMBERS; i += 1) {
      numbers[n + i] = (fields[NUMBER_FIELDS[i] as RequestField] as number | null) ?? Number.NaN;
    }
    const c = r * REQUEST_CODES;
    for (let i = 0; i < REQUEST_CODES; i += 1) {
      const text = fields[CODE_FIELDS[i] as RequestField] as string | null;
      let code = NULL_CODE;
      if (text !== null) {
        const found = codeOf.get(text);
        if (found === undefined) {
          code = strings.length;
          strings.push(text);
          codeOf.set(text, code);
        } else code = found;
      }
      codes[c + i] = code;
    }
    r += 1;
  }
  return { count: events.length, request_ids, numbers, codes, strings, others, other_positions };
}

/** The string a code stands for. */
export function textOf(batch: ColumnBatch, code: number): string | null {
  return code === NULL_CODE ? null : (batch.strings[code] as string);
}

/** A number column's value; NaN stands for null. */
export function numberOf(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

/** Where each field of REQUEST_FIELDS is read from: a number offset (>= 0), a code offset (-1 - offset), or the id column. */
const REQUEST_ID_SOURCE = Number.MIN_SAFE_INTEGER;
const VALUE_SOURCES: readonly number[] = REQUEST_FIELDS.map((f) =>
  f.name === 'request_id'
    ? REQUEST_ID_SOURCE
    : f.type === 'integer'
      ? NUMBER_FIELDS.indexOf(f.name)
      : -1 - CODE_FIELDS.indexOf(f.name),
);

/**
 * The value of every field of request `r`, in REQUEST_FIELDS order, written
 * into `out` (the writer binds them to its INSERT in that order).
 */
export function requestValues(batch: ColumnBatch, r: number, out: unknown[]): unknown[] {
  const n = r * REQUEST_NUMBERS;
  const c = r * REQUEST_CODES;
  for (let i = 0; i < REQUEST_FIELDS.length; i += 1) {
    const source = VALUE_SOURCES[i] as number;
    out[i] =
      source === REQUEST_ID_SOURCE
        ? batch.request_ids[r]
        : source >= 0
          ? numberOf(batch.numbers[n + source] as number)
          : textOf(batch, batch.codes[c + (-source - 1)] as number);
  }
  return out;
}
