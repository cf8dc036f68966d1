// How results read for people: latencies in the unit that reads best, sizes
// in KB/MB, times as local time with "3m ago", aligned tables, and colour
// only for a terminal that wants it (stdout is a TTY and NO_COLOR is unset).

export {
  change,
  formatBytes,
  formatLatency,
  formatLocalTime,
  formatPct,
  timeZoneLabel,
} from './quantities.js';

import { formatLocalTime } from './quantities.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour codes is the point.
const ANSI = /\x1b\[[0-9;]*m/g;

export function colourEnabled(): boolean {
  return Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
}

function paint(code: number, text: string, enabled: boolean): string {
  return enabled ? `\x1b[${code}m${text}\x1b[0m` : text;
}

export function formatStatus(status: string, colour: boolean): string {
  if (status === 'ok') return paint(32, status, colour);
  if (status === 'error') return paint(31, status, colour);
  if (status === 'timeout') return paint(33, status, colour);
  return status;
}

export function formatAgo(ms: number, nowMs: number): string {
  const seconds = Math.round((nowMs - ms) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

export function formatTime(ms: number | null | undefined, nowMs: number): string {
  if (ms === null || ms === undefined) return '-';
  return `${formatLocalTime(ms)} (${formatAgo(ms, nowMs)})`;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * An aligned table; widths ignore colour codes. Each column is as wide as
 * its widest cell and at least `widths[i]`, and `widths` keeps the widths
 * used. With `fixed` (the later parts of a table printed in parts, as `-f`
 * does, whose header is out already) the widths hold: a longer cell is cut
 * with `…`, except in the last column, which nothing follows.
 */
export function renderTable(
  columns: Column[],
  rows: string[][],
  widths: number[] = [],
  fixed = false,
): string {
  if (!fixed) {
    columns.forEach((c, i) => {
      widths[i] = Math.max(
        widths[i] ?? 0,
        c.header.length,
        ...rows.map((r) => visibleLength(r[i] ?? '')),
      );
    });
  }
  const last = columns.length - 1;
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const width = widths[i] as number;
        const fitted = fixed && i < last && visibleLength(cell) > width ? cut(cell, width) : cell;
        const fill = ' '.repeat(Math.max(0, width - visibleLength(fitted)));
        return columns[i]?.align === 'right' ? fill + fitted : fitted + fill;
      })
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...rows.map(line)].join('\n')}\n`;
}

function visibleLength(cell: string): number {
  return cell.replace(ANSI, '').length;
}

/** A cell cut to `width` characters, its colour dropped, ending in `…`. */
function cut(cell: string, width: number): string {
  return `${cell.replace(ANSI, '').slice(0, Math.max(0, width - 1))}…`;
}

/**
 * The shortest prefix of each id, 8 characters at least, that no other id
 * of `ids` shares (the whole id when it needs all of it): ids that differ
 * only at their end (`follow-test-s0`, `-s1`) stay apart in a table.
 */
export function shortIds(ids: readonly string[], minChars = 8): Map<string, string> {
  const sorted = [...new Set(ids)].sort();
  const shown = new Map<string, string>();
  const common = (a: string | undefined, b: string | undefined) => {
    if (a === undefined || b === undefined) return 0;
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n += 1;
    return n;
  };
  sorted.forEach((id, i) => {
    const shared = Math.max(common(id, sorted[i - 1]), common(id, sorted[i + 1]));
    const length = Math.max(minChars, shared + 1);
    shown.set(id, length >= id.length ? id : id.slice(0, length));
  });
  return shown;
}

/** One JSON object per line. */
export function jsonLines(rows: readonly unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}
