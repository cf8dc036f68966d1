// `status`: per-tool latency percentiles, errors and traffic over a window,
// with the totals an operator checks first.

import { queryStatus } from '@mcpr-store/query';
import { stringFlag } from './flags.js';
import { formatBytes, formatLatency, formatPct, renderTable } from './format.js';
import { ask, printJson, queryFlags, sinceMs, write } from './query-command.js';

export const STATUS_HELP = `Usage: mcpr-store status [--since WINDOW] [--proxy NAME] [--json] [--db PATH]

Per tool (or <method>): calls, latency avg/min/max/p50/p95/p99, error %, bytes; totals,
calls per minute and sessions (default window 1h).

Examples:
  mcpr-store status
  mcpr-store status --since 24h --proxy edge
  mcpr-store status --since 7d --json | jq '.tools[0]'
`;

export async function runStatus(argv: string[]): Promise<number> {
  const flags = queryFlags('status', argv, { since: { type: 'string' } }, STATUS_HELP);
  if (!flags) return 0;
  const nowMs = Date.now();
  const window = stringFlag(flags, 'since') ?? '1h';
  const filter = { proxy: stringFlag(flags, 'proxy'), sinceMs: sinceMs(flags, '1h', nowMs) };
  const report = ask(flags, (db) => queryStatus(db, filter, nowMs));
  if (printJson(flags, report)) return 0;
  write(
    `last ${window}: ${report.total_calls} calls (${report.calls_per_minute}/min), ${formatPct(report.error_pct)} errors, ` +
      `${report.total_sessions} sessions (${report.active_sessions} active)\n`,
  );
  if (report.tools.length === 0) {
    process.stderr.write(`no requests in the last ${window}; widen --since\n`);
    return 0;
  }
  write('\n');
  write(
    renderTable(
      [
        { header: 'TOOL' },
        { header: 'CALLS', align: 'right' },
        { header: 'AVG', align: 'right' },
        { header: 'MIN', align: 'right' },
        { header: 'P50', align: 'right' },
        { header: 'P95', align: 'right' },
        { header: 'P99', align: 'right' },
        { header: 'MAX', align: 'right' },
        { header: 'ERROR %', align: 'right' },
        { header: 'IN', align: 'right' },
        { header: 'OUT', align: 'right' },
      ],
      report.tools.map((t) => [
        t.tool,
        String(t.calls),
        formatLatency(t.avg_us),
        formatLatency(t.min_us),
        formatLatency(t.p50_us),
        formatLatency(t.p95_us),
        formatLatency(t.p99_us),
        formatLatency(t.max_us),
        formatPct(t.error_pct),
        formatBytes(t.total_bytes_in),
        formatBytes(t.total_bytes_out),
      ]),
    ),
  );
  return 0;
}
