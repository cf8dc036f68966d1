// The CLI's durations: windows, thresholds and cutoffs as mcpr takes them.
import { describe, expect, it } from 'vitest';
import { parseCutoffMs, parseThresholdUs, parseWindowMs } from '../src/cli/durations.js';
import { UsageError } from '../src/cli/usage-error.js';

describe('durations', () => {
  it('parses windows, thresholds and cutoffs and explains bad ones', () => {
    expect(['30s', '15m', '1h', '7d', '2w'].map((w) => parseWindowMs(w))).toEqual([
      30_000, 900_000, 3_600_000, 604_800_000, 1_209_600_000,
    ]);
    expect(['200us', '500ms', '1s', '1.5ms'].map((t) => parseThresholdUs(t))).toEqual([
      200, 500_000, 1_000_000, 1500,
    ]);
    expect(parseCutoffMs('1d', 100_000_000)).toBe(100_000_000 - 86_400_000);
    expect(parseCutoffMs('2026-01-31T00:00:00Z', 0)).toBe(Date.UTC(2026, 0, 31));
    expect(() => parseWindowMs('1y')).toThrow(
      /"1y" is not a duration; use a number and s, m, h, d or w/,
    );
    expect(() => parseThresholdUs('fast')).toThrow(UsageError);
    expect(() => parseCutoffMs('yesterday', 0)).toThrow(/neither a duration/);
  });
});
