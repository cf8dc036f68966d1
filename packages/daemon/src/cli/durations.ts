// Time windows (`30s`, `15m`, `1h`, `7d`, `2w`) and latency thresholds
// (`200us`, `500ms`, `1s`), as mcpr's CLI takes them: any of us, ms, s, m,
// h, d, w for both, either micro sign, a space before the unit, a leading
// `+`, and decimals (`1.5h`) besides. Parsing is strict: a typo or a
// negative value is an error that says what is accepted, never a silent
// default.

import { UsageError } from './usage-error.js';

/** Microseconds per unit; both micro signs (Greek mu and the micro sign) read as micro. */
const UNIT_US: Record<string, number> = {
  us: 1,
  '\u03bcs': 1,
  '\u00b5s': 1,
  ms: 1000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
  d: 86_400_000_000,
  w: 604_800_000_000,
};

/** A number, optionally signed, a space or none, and a unit (`1.5h`, `+500 ms`, `200µs`). */
const DURATION = /^([+-]?)(\d+(?:\.\d+)?)\s*([a-zA-Z\u03bc\u00b5]+)$/;

/** A duration in any of mcpr's units, in microseconds; `what` names it in the error. */
function parseDurationUs(text: string, flag: string, what: string, examples: string): number {
  const match = DURATION.exec(text.trim());
  const perUnit = match ? UNIT_US[(match[3] as string).toLowerCase()] : undefined;
  if (!match || perUnit === undefined) {
    throw new UsageError(
      `${flag}: "${text}" is not ${what}; use a number and us, ms, s, m, h, d or w (e.g. ${examples})`,
    );
  }
  if (match[1] === '-') {
    throw new UsageError(`${flag}: "${text}" is negative; give ${what} of zero or more`);
  }
  return Number(match[2]) * perUnit;
}

/** A window such as `1h` in milliseconds. */
export function parseWindowMs(text: string, flag = '--since'): number {
  return Math.round(parseDurationUs(text, flag, 'a duration', '30s, 15m, 1h, 7d, 2w') / 1000);
}

/** A latency threshold such as `500ms` in microseconds. */
export function parseThresholdUs(text: string, flag = '--threshold'): number {
  return Math.round(parseDurationUs(text, flag, 'a latency', '200us, 500ms, 1s'));
}

/**
 * A cutoff for `store vacuum --before`: a window back from now (`30d`) or
 * an ISO date or date-time (`2026-01-31`, `2026-01-31T12:00:00Z`).
 */
export function parseCutoffMs(text: string, nowMs: number, flag = '--before'): number {
  if (DURATION.test(text.trim())) return nowMs - parseWindowMs(text, flag);
  if (/^\d{4}-\d{2}-\d{2}/.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `${flag}: "${text}" is neither a duration (e.g. 30d) nor a date (e.g. 2026-01-31)`,
  );
}
