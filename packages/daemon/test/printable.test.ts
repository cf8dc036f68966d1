// Text from the store is shown in a terminal with its control characters
// escaped, and nothing else changed.
import { describe, expect, it } from 'vitest';
import { bidiShown, printable, printableAll } from '../src/cli/printable.js';

describe('printable', () => {
  it('shows each control character as its escape', () => {
    expect(printable('a\nb\rc\td')).toBe('a\\nb\\rc\\td');
    expect(printable('\x1b]52;c;cHduZWQ=\x07')).toBe('\\x1b]52;c;cHduZWQ=\\x07');
    expect(printable('\x1b[2J\x00\x7f')).toBe('\\x1b[2J\\x00\\x7f');
    // C1: a lone CSI moves the cursor on terminals that read 8-bit controls.
    expect(printable('x\u009b2Jy\u0085')).toBe('x\\x9b2Jy\\x85');
    // Bidirectional overrides and isolates: text shown in another order than it has.
    expect(printable('ab\u202ecd\u2066e\u2069\u200f\u061c')).toBe(
      'ab\\u202ecd\\u2066e\\u2069\\u200f\\u061c',
    );
  });

  it('leaves printable text as it is, whatever its script', () => {
    for (const text of ['search', 'read_file', 'Café ☕ 日本語 🚀', 'a\\nb', '', 'x\u00a0y']) {
      expect(printable(text)).toBe(text);
    }
    // Escaping twice changes nothing more: a backslash is printable.
    const once = printable('\x1b[31m\n');
    expect(printable(once)).toBe(once);
  });

  it('for a web page, shows the bidirectional controls only', () => {
    expect(bidiShown('a\nb\u202ec\u2067d\x1b')).toBe('a\nb\\u202ec\\u2067d\x1b');
  });

  it('makes every string of an answer printable, keys included, and copies the rest', () => {
    const answer = {
      total: 3,
      ok: true,
      none: null,
      tools: [{ tool: 'evil\x1b[2J', calls: 2 }],
      'key\n': ['a\tb', 7],
    };
    expect(printableAll(answer)).toEqual({
      total: 3,
      ok: true,
      none: null,
      tools: [{ tool: 'evil\\x1b[2J', calls: 2 }],
      'key\\n': ['a\\tb', 7],
    });
    // The answer itself is not changed.
    expect(answer.tools[0]?.tool).toBe('evil\x1b[2J');
  });
});
