// Limits on strings are stated in characters (Unicode code points), the
// unit a person and every other language count in; JavaScript's `length`
// counts UTF-16 code units, two for a character outside the Basic
// Multilingual Plane. Cutting a string must never split such a pair: a
// lone surrogate is not valid UTF-8 once stored.

/** Characters (code points) in `value`. */
export function characterCount(value: string): number {
  let count = 0;
  for (let i = 0; i < value.length; i += 1) {
    const unit = value.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i += 1;
    }
    count += 1;
  }
  return count;
}

/** `value` cut to at most `maxChars` characters, on a character boundary. */
export function truncateCharacters(value: string, maxChars: number): string {
  // At most maxChars code units: no counting needed, nothing is cut.
  if (value.length <= maxChars) return value;
  let chars = 0;
  let i = 0;
  while (i < value.length && chars < maxChars) {
    const unit = value.charCodeAt(i);
    const pair =
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      i + 1 < value.length &&
      (value.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    i += pair ? 2 : 1;
    chars += 1;
  }
  return value.slice(0, i);
}
