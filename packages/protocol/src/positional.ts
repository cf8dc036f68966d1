// Version 2 of the protocol lets a request, the event sent for every call a
// proxy handles, travel as an array of its values in a fixed order instead
// of a map. A map repeats its thirteen field names in every event (about a
// third of its bytes), and decoding a map builds an object key by key, on
// the one daemon thread that reads every socket (docs/performance.md has
// the figures).
//
// The order is REQUEST_POSITIONS (event-fields.ts). Trailing fields may be
// left out and read as nil. The array is turned back into the event map
// here, and from then on validated like any other event: a field in the
// wrong place is rejected with the same reason as in a map.

import { REQUEST_POSITIONS } from './event-fields.js';

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
 *
 * Made once from REQUEST_POSITIONS as a function with an object literal:
 * V8 builds a literal of known keys in one step, where setting the same
 * keys one by one in a loop takes several times as long, on the thread
 * that reads every socket.
 */
export const requestFromPositional = new Function(
  'value',
  `return { kind: 'request', ${REQUEST_POSITIONS.map(
    (name, i) => `${JSON.stringify(name)}: value[${i + 1}] ?? null`,
  ).join(', ')} };`,
) as (value: readonly unknown[]) => Record<string, unknown>;

/** Any wire event in map form: a positional request is turned into its map, anything else is returned as it is. */
export function eventAsMap(value: unknown): unknown {
  if (Array.isArray(value) && positionalProblem(value) === null) {
    return requestFromPositional(value);
  }
  return value;
}
