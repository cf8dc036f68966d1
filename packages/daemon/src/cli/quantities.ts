// Quantities as people read them, the same in the terminal and in the web
// page (which bundles this file): latencies in the unit that reads best,
// sizes in KB/MB, percentages, local times, changes between two windows.
// Nothing here may touch Node's APIs.

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

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** The local zone's offset from UTC now, as `UTC`, `UTC+01:00` or `UTC-05:30`: named once in a header. */
export function timeZoneLabel(atMs = Date.now()): string {
  const offsetMin = -new Date(atMs).getTimezoneOffset();
  if (offsetMin === 0) return 'UTC';
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `UTC${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** Local time, `YYYY-MM-DD HH:MM:SS` (the zone is named once, by timeZoneLabel). */
export function formatLocalTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export function formatPct(pct: number): string {
  return `${pct.toFixed(1)}%`;
}

/** `+12%`, `-3%`: the change from `before` to `now`; `new` when there was nothing before. */
export function change(now: number, before: number): string {
  if (before === 0) return now === 0 ? '0%' : 'new';
  const pct = Math.round((100 * (now - before)) / before);
  return `${pct >= 0 ? '+' : ''}${pct}%`;
}
