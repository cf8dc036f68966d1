// Version 2 of the protocol lets a request, the event sent for every call a
// proxy handles, travel as an array of its values in a fixed order instead
// of a map. A map repeats its thirteen field names in every event (about a
// third of its bytes), and decoding a map builds an object key by key:
// msgpackr took 1.5 to 2.3 µs per request map and 0.3 to 0.5 µs per array
// on this machine, on the one daemon thread that reads every socket.
//
// The order puts the fields whose encoded size never varies first, so a
// client can keep them as one template and fill in its holes. Trailing
// fields may be left out and read as nil. The array is turned back into the
// event map here, and from then on validated like any other event: a field
// in the wrong place is rejected with the same reason as in a map.

/** The fields of a positional request, after its first element (the kind), in wire order. */
export const REQUEST_POSITIONS = [
  'request_id',
  'ts',
  'proxy',
  'latency_us',
  'status',
  'bytes_in',
  'bytes_out',
  'session_id',
  'method',
  'tool',
  'error_code',
  'error_msg',
] as const;

/** Elements of a positional request at most: the kind and every field. */
export const POSITIONAL_REQUEST_MAX_ITEMS = 1 + REQUEST_POSITIONS.length;

/** The reason a positional event cannot be read, or null when it can. */
export function positionalProblem(value: readonly unknown[]): string | null {
  if (value[0] !== 'request') {
    return 'event: an event sent as an array must be a request (its first element "request")';
  }
  if (value.length > POSITIONAL_REQUEST_MAX_ITEMS) {
    return `event: a request sent as an array has at most ${POSITIONAL_REQUEST_MAX_ITEMS} elements, got ${value.length}`;
  }
  return null;
}

/**
 * The map form of a positional request that `positionalProblem` accepts:
 * every field present, nil where the array has nil or ends early.
 */
export function requestFromPositional(value: readonly unknown[]): Record<string, unknown> {
  return {
    kind: 'request',
    request_id: value[1] ?? null,
    ts: value[2] ?? null,
    proxy: value[3] ?? null,
    latency_us: value[4] ?? null,
    status: value[5] ?? null,
    bytes_in: value[6] ?? null,
    bytes_out: value[7] ?? null,
    session_id: value[8] ?? null,
    method: value[9] ?? null,
    tool: value[10] ?? null,
    error_code: value[11] ?? null,
    error_msg: value[12] ?? null,
  };
}

/** Any wire event in map form: a positional request is turned into its map, anything else is returned as it is. */
export function eventAsMap(value: unknown): unknown {
  if (Array.isArray(value) && positionalProblem(value) === null) {
    return requestFromPositional(value);
  }
  return value;
}
