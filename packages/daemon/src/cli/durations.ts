// Time windows (`30s`, `15m`, `1h`, `7d`, `2w`) and latency thresholds
// (`200us`, `500ms`, `1s`), as mcpr's CLI takes them. Parsing is strict: a
// typo is an error that says what is accepted, never a silent default.

import { UsageError } from './usage-error.js';

const WINDOW_UNITS_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const THRESHOLD_UNITS_US: Record<string, number> = {
  us: 1,
  µs: 1,
  ms: 1000,
  s: 1_000_000,
};

/** A window such as `1h` in milliseconds. */
export function parseWindowMs(text: string, flag = '--since'): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `${flag}: "${text}" is not a duration; use a number and s, m, h, d or w (e.g. 30s, 15m, 1h, 7d, 2w)`,
    );
  }
  return Math.round(Number(match[1]) * (WINDOW_UNITS_MS[match[2] as string] as number));
}

/** A latency threshold such as `500ms` in microseconds. */
export function parseThresholdUs(text: string, flag = '--threshold'): number {
  const match = /^(\d+(?:\.\d+)?)(us|µs|ms|s)$/.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `${flag}: "${text}" is not a latency; use a number and us, ms or s (e.g. 200us, 500ms, 1s)`,
    );
  }
  return Math.round(Number(match[1]) * (THRESHOLD_UNITS_US[match[2] as string] as number));
}

/**
 * A cutoff for `store vacuum --before`: a window back from now (`30d`) or
 * an ISO date or date-time (`2026-01-31`, `2026-01-31T12:00:00Z`).
 */
export function parseCutoffMs(text: string, nowMs: number, flag = '--before'): number {
  if (/^\d+(?:\.\d+)?[smhdw]$/.test(text.trim())) return nowMs - parseWindowMs(text, flag);
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `${flag}: "${text}" is neither a duration (e.g. 30d) nor a date (e.g. 2026-01-31)`,
  );
}
