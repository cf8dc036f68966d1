// The form a batch takes to cross from the main thread to the writer thread.
// Posting an array of event objects makes the writer thread rebuild every
// object and every string from a structured clone: about 2 µs per request,
// a tenth of what the writer spends storing it, on the one thread that
// bounds ingest. Requests, nearly all of the traffic, cross as columns
// instead: their numbers in one Float64Array, their repeated strings (proxy,
// session, method, tool, status, error fields) as indexes into one table of
// the batch's distinct strings, and only the request ids as strings of their
// own. The rare other kinds cross as objects, with their positions, so the
// writer sees every event in the order it came. Each client batch is packed
// as soon as it is validated: the decoded objects then die young, and what
// waits for the writer is a few arrays instead of thousands of objects.

import type { StoreEvent } from '@mcpr-store/protocol';

/** Per request in `numbers`: ts, latency_us, bytes_in, bytes_out (NaN for null). */
export const REQUEST_NUMBERS = 4;
/** Per request in `codes`: proxy, session_id, method, tool, status, error_code, error_msg. */
export const REQUEST_CODES = 7;
/** The code of a null string. */
export const NULL_CODE = -1;

export interface WriterBatch {
  /** Events in the batch, of every kind. */
  count: number;
  /** Each request's request_id, in batch order. */
  request_ids: string[];
  numbers: Float64Array;
  codes: Int32Array;
  /** The distinct strings the codes point at. */
  strings: string[];
  /** The events that are not requests, and their positions in the batch (ascending). */
  others: StoreEvent[];
  other_positions: number[];
}

/** Packs validated events (in order) into a writer batch. */
export function packBatch(events: readonly StoreEvent[]): WriterBatch {
  let requests = 0;
  for (const event of events) if (event.kind === 'request') requests += 1;
  const request_ids: string[] = new Array(requests);
  const numbers = new Float64Array(requests * REQUEST_NUMBERS);
  const codes = new Int32Array(requests * REQUEST_CODES);
  const strings: string[] = [];
  const codeOf = new Map<string, number>();
  const code = (text: string | null): number => {
    if (text === null) return NULL_CODE;
    let found = codeOf.get(text);
    if (found === undefined) {
      found = strings.length;
      strings.push(text);
      codeOf.set(text, found);
    }
    return found;
  };
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
    request_ids[r] = event.request_id;
    const n = r * REQUEST_NUMBERS;
    numbers[n] = event.ts;
    numbers[n + 1] = event.latency_us;
    numbers[n + 2] = event.bytes_in ?? Number.NaN;
    numbers[n + 3] = event.bytes_out ?? Number.NaN;
    const c = r * REQUEST_CODES;
    codes[c] = code(event.proxy);
    codes[c + 1] = code(event.session_id);
    codes[c + 2] = code(event.method);
    codes[c + 3] = code(event.tool);
    codes[c + 4] = code(event.status);
    codes[c + 5] = code(event.error_code);
    codes[c + 6] = code(event.error_msg);
    r += 1;
  }
  return { count: events.length, request_ids, numbers, codes, strings, others, other_positions };
}

/** The string a code stands for. */
export function textOf(batch: WriterBatch, code: number): string | null {
  return code === NULL_CODE ? null : (batch.strings[code] as string);
}

/** A number column's value; NaN stands for null. */
export function numberOf(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}
