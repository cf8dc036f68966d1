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
      /"1y" is not a duration; use a number and us, ms, s, m, h, d or w/,
    );
    expect(() => parseThresholdUs('fast')).toThrow(UsageError);
    expect(() => parseCutoffMs('yesterday', 0)).toThrow(/neither a duration/);
  });

  it('takes everything mcpr takes: every unit for both, both micro signs, spaces, a plus', () => {
    expect(
      ['500us', '500\u03bcs', '500\u00b5s', '500 ms', '+2s', '5 m', '1.5h', '1d', '1w'].map((t) =>
        parseThresholdUs(t),
      ),
    ).toEqual([
      500, 500, 500, 500_000, 2_000_000, 300_000_000, 5_400_000_000, 86_400_000_000,
      604_800_000_000,
    ]);
    expect(['30s', '+15m', '1 h', '500ms', '2500us', '1.5d'].map((w) => parseWindowMs(w))).toEqual([
      30_000, 900_000, 3_600_000, 500, 3, 129_600_000,
    ]);
  });

  it('refuses negative values with a clear error', () => {
    expect(() => parseWindowMs('-1h')).toThrow(
      '--since: "-1h" is negative; give a duration of zero or more',
    );
    expect(() => parseThresholdUs('-5ms')).toThrow('--threshold: "-5ms" is negative');
    expect(() => parseCutoffMs('-3d', 0)).toThrow(/negative/);
  });
});
