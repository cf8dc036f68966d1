// How results read for people: latencies in the unit that reads best, sizes
// in KB/MB, times as local time with "3m ago", aligned tables, and colour
// only for a terminal that wants it (stdout is a TTY and NO_COLOR is unset).

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

export function formatLatency(us: number | null | undefined): string {
  if (us === null || us === undefined) return '-';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${(bytes / (1024 * 1024 * 1024)).toFixed(2)} GB`;
}

export function formatAgo(ms: number, nowMs: number): string {
  const seconds = Math.round((nowMs - ms) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86_400)}d ago`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time, `YYYY-MM-DD HH:MM:SS`. */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export function formatTime(ms: number | null | undefined, nowMs: number): string {
  if (ms === null || ms === undefined) return '-';
  return `${formatLocalTime(ms)} (${formatAgo(ms, nowMs)})`;
}

export function formatPct(pct: number): string {
  return `${pct.toFixed(1)}%`;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/**
 * An aligned table; widths ignore colour codes. Given `widths` (a table
 * printed in parts, as `-f` does), each column is at least as wide as
 * before, and `widths` keeps the widths used.
 */
export function renderTable(columns: Column[], rows: string[][], widths: number[] = []): string {
  columns.forEach((c, i) => {
    widths[i] = Math.max(
      widths[i] ?? 0,
      c.header.length,
      ...rows.map((r) => (r[i] ?? '').replace(ANSI, '').length),
    );
  });
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => {
        const visible = cell.replace(ANSI, '').length;
        const fill = ' '.repeat(Math.max(0, (widths[i] as number) - visible));
        return columns[i]?.align === 'right' ? fill + cell : cell + fill;
      })
      .join('  ')
      .trimEnd();
  return `${[line(columns.map((c) => c.header)), ...rows.map(line)].join('\n')}\n`;
}

/** One JSON object per line. */
export function jsonLines(rows: readonly unknown[]): string {
  return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
}
