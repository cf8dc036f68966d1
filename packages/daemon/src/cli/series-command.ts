// `series`: traffic over time, one row per bucket, oldest first, with a
// small terminal chart of calls, p95 and errors, so a trend reads at a
// glance where a table of sixty rows would not.

import type { SeriesRow } from '@mcpr-store/query';
import { defaultBucketMs } from '@mcpr-store/query/series-buckets';
import { answerOf } from './daemon-query.js';
import { parseWindowMs } from './durations.js';
import { booleanFlag, type FlagSpec, type ParsedFlags, stringFlag } from './flags.js';
import { formatLatency, formatLocalTime, timeZoneLabel } from './format.js';
import { cliContext, printJson, queryFlags, sinceMs, write } from './query-command.js';

export const SERIES_HELP = `Usage: mcpr-store series [--since WINDOW] [--bucket SIZE] [--tool NAME] [--error-code CODE] [--exact] [--proxy NAME] [--json] [--db PATH]

Traffic over time, one row per bucket, oldest first, empty buckets included:
calls, errors, timeouts and p50/p95/p99 latency. The window defaults to 24h and
the bucket to a size that gives about 60 buckets (5m, 30m, 1h, ...). Windows over
6 hours in buckets of whole half-hours are read from the rollups: counts exact,
percentiles within 1/128 (p95_us_estimated: true); --exact reads every row.

Examples:
  mcpr-store series
  mcpr-store series --since 7d --bucket 1h --tool search
  mcpr-store series --since 1h --json | jq .p95_us
`;

const BARS = '▁▂▃▄▅▆▇█';

/** One character per value, from the lowest bar to the highest, scaled to the largest. */
function sparkline(values: number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (max === 0 || v === 0 ? ' ' : BARS[Math.min(7, Math.floor((v / max) * 7.999))]))
    .join('');
}

export const SERIES_FLAGS: FlagSpec = {
  since: { type: 'string' },
  bucket: { type: 'string' },
  tool: { type: 'string' },
  'error-code': { type: 'string' },
  exact: { type: 'boolean' },
};

export function seriesFilter(flags: ParsedFlags, nowMs: number) {
  const since = sinceMs(flags, '24h', nowMs);
  const bucketText = stringFlag(flags, 'bucket');
  const bucketMs =
    bucketText === undefined
      ? defaultBucketMs(nowMs - since)
      : Math.max(1, parseWindowMs(bucketText, '--bucket'));
  return {
    proxy: stringFlag(flags, 'proxy'),
    tool: stringFlag(flags, 'tool'),
    errorCode: stringFlag(flags, 'error-code'),
    sinceMs: since,
    bucketMs,
    exact: booleanFlag(flags, 'exact'),
  };
}

export async function runSeries(argv: string[]): Promise<number> {
  const flags = queryFlags('series', argv, SERIES_FLAGS, SERIES_HELP);
  if (!flags) return 0;
  const context = cliContext(flags);
  const window = stringFlag(flags, 'since') ?? '24h';
  const filter = seriesFilter(flags, context.nowMs);
  const rows = await answerOf<SeriesRow[]>(
    'series',
    argv,
    flags,
    context,
    async () => (await import('./series-answer.js')).SERIES,
  );
  if (printJson(flags, rows)) return 0;
  const { proxy, tool } = filter;
  write(
    human(rows, `${proxy ?? 'all proxies'}${tool ? `, ${tool}` : ''}`, window, filter.bucketMs),
  );
  return 0;
}

function human(rows: SeriesRow[], what: string, window: string, bucketMs: number): string {
  const calls = rows.reduce((sum, r) => sum + r.calls, 0);
  const failed = rows.reduce((sum, r) => sum + r.errors + r.timeouts, 0);
  const first = rows[0];
  const last = rows[rows.length - 1];
  const maxCalls = Math.max(0, ...rows.map((r) => r.calls));
  const maxP95 = Math.max(0, ...rows.map((r) => r.p95_us));
  const maxFailed = Math.max(0, ...rows.map((r) => r.errors + r.timeouts));
  return [
    `SERIES — ${what} — last ${window}, ${rows.length} buckets of ${bucketMs / 1000}s`,
    `calls   ${sparkline(rows.map((r) => r.calls))}  max ${maxCalls} a bucket, ${calls} in all`,
    `p95     ${sparkline(rows.map((r) => r.p95_us))}  max ${formatLatency(maxP95)}`,
    `errors  ${sparkline(rows.map((r) => r.errors + r.timeouts))}  max ${maxFailed} a bucket, ${failed} in all`,
    // The span the buckets cover: the last one ends a bucket after its start.
    first && last
      ? `        from ${formatLocalTime(first.bucket_start)} to ${formatLocalTime(last.bucket_start + bucketMs)} (${timeZoneLabel()})`
      : '',
    '',
  ].join('\n');
}
