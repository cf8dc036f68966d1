// Text from the store, shown in a terminal. Tool names, error messages,
// client names and server descriptions come from proxies, their clients and
// upstream servers, none of which the operator controls. Their control
// characters would act on the terminal: move the cursor over other rows,
// retitle the window, write the clipboard (OSC 52), or break a table's rows
// with a newline. Bidirectional overrides would show text in an order other
// than the one it has. Each of them is shown as an escape instead (`\n`,
// `\x1b`, `\u202e`), so what is there can be seen and nothing acts. --json
// prints the text as it is: JSON escapes it there. A web page has only the
// bidirectional controls to fear (the others do nothing in a text node, and
// its preformatted blocks keep their newlines): bidiShown.

/** The bidirectional marks, embeddings, overrides and isolates (a character class's body). */
const BIDI_CONTROLS = '\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
/** C0 controls, DEL, C1 controls and the bidirectional controls. */
const UNPRINTABLE = new RegExp(`[\\u0000-\\u001f\\u007f-\\u009f${BIDI_CONTROLS}]`, 'g');
const BIDI = new RegExp(`[${BIDI_CONTROLS}]`, 'g');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOf(character: string): string {
  const named = NAMED[character];
  if (named !== undefined) return named;
  const code = character.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with each control character shown as its escape. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOf);
}

/** `text` with each bidirectional control shown as its escape: for a web page. */
export function bidiShown(text: string): string {
  return text.replace(BIDI, escapeOf);
}

/**
 * A copy of `value` (an answer: objects, arrays, strings, numbers) with
 * every string made printable, keys included.
 */
export function printableAll<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T;
  if (Array.isArray(value)) return value.map(printableAll) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[printable(key)] = printableAll(field);
  return copy as T;
}
