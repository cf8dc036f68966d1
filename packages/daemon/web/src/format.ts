// Numbers as people read them: latencies and percentages as the CLI's
// tables print them.

export function formatLatency(us: number | null | undefined): string {
  if (us === null || us === undefined) return '-';
  if (us < 1000) return `${Math.round(us)}µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)}ms`;
  return `${(us / 1_000_000).toFixed(2)}s`;
}

export function formatPct(pct: number | null | undefined): string {
  if (pct === null || pct === undefined) return '-';
  return `${pct.toFixed(1)}%`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `+12%` from `before` to `now`; `new` when there was nothing before. */
export function change(now: number, before: number | null | undefined): string {
  if (before === null || before === undefined) return '';
  if (before === 0) return now === 0 ? '±0%' : 'new';
  const pct = Math.round((100 * (now - before)) / before);
  return `${pct >= 0 ? '+' : ''}${pct}%`;
}
