// Text in the order SQLite's BINARY collation gives it (UTF-8 bytes, that
// is code points), for rows this layer sorts itself so that they come out
// as an ORDER BY would. Not localeCompare: that order depends on the
// locale, and its first call loads ICU's collation data, which costs a
// short query command more than its query.

/** Compares two strings by their UTF-8 bytes, as SQLite's BINARY collation does. */
export function byUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate starts a code point past U+FFFF, which UTF-8 orders after
    // every code point a single UTF-16 unit holds (U+E000-U+FFFF included).
    const xPast = x >= 0xd800 && x <= 0xdfff;
    const yPast = y >= 0xd800 && y <= 0xdfff;
    if (xPast !== yPast) return xPast ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
