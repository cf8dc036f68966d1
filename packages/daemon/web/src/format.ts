// Quantities on the page, as the CLI prints them (its quantities.ts is
// bundled in), with '-' or nothing where the API has no value.

import {
  change as changeBetween,
  formatLocalTime,
  formatPct as percent,
} from '../../src/cli/quantities.js';

export { formatBytes, formatLatency } from '../../src/cli/quantities.js';

export function formatPct(pct: number | null | undefined): string {
  return pct === null || pct === undefined ? '-' : percent(pct);
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : formatLocalTime(ms);
}

/** The change from the window before, or nothing when there is no figure for it. */
export function change(now: number, before: number | null | undefined): string {
  return before === null || before === undefined ? '' : changeBetween(now, before);
}
