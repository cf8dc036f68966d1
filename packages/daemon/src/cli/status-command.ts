// `status`: per-tool latency percentiles, errors and traffic over a window,
// with the totals an operator checks first.

import type { RunningProxyInfo } from '@mcpr-store/protocol/fields';
import type { StatusReport } from '@mcpr-store/query';
import { answerFromDaemon } from './daemon-query.js';
import { type FlagSpec, stringFlag } from './flags.js';
import { change, formatBytes, formatLatency, formatPct, renderTable } from './format.js';
import { printableAll } from './printable.js';
import { cliContext, printJson, queryFlags, write } from './query-command.js';

export const STATUS_HELP = `Usage: mcpr-store status [--since WINDOW] [--compare] [--exact] [--proxy NAME] [--json] [--db PATH] [--socket PATH]

Per tool (or <method>): calls, latency avg/min/max/p50/p90/p95/p99, error %, sizes;
totals, calls per minute, sessions started and active (default window 1h), and the
proxies connected to the daemon now (asked over --socket; none when it does not answer),
the JSON-RPC error codes, and calls to tools the server never listed. --compare adds the
window before, of the same length, and marks tools whose p95 rose by half or more (!).
Windows over 6 hours, or of over 50,000 requests, are read from the store's rollups
and the rows of the part half-hour they start in: counts, sums and errors exact,
percentiles within 1/128 of the exact value (--json says p95_us_estimated: true);
--exact reads every row instead.

Examples:
  mcpr-store status
  mcpr-store status --since 24h --proxy edge
  mcpr-store status --since 7d --json | jq '.tools[0]'
`;

/** `p95 2.1x`, marked `!` when the latency rose by half or more. */
function markRegression(ratio: number): string {
  return `p95 ${ratio.toFixed(1)}x${ratio >= 1.5 ? ' !' : ''}`;
}

function describeProxy(p: RunningProxyInfo): string {
  const details = [
    p.pid === null ? null : `pid ${p.pid}`,
    p.port === null ? null : `port ${p.port}`,
    p.localhost_url,
  ].filter(Boolean);
  return details.length > 0 ? `${p.name} (${details.join(', ')})` : p.name;
}

export const STATUS_FLAGS: FlagSpec = {
  since: { type: 'string' },
  socket: { type: 'string' },
  compare: { type: 'boolean' },
  exact: { type: 'boolean' },
};

export async function runStatus(argv: string[]): Promise<number> {
  const flags = queryFlags('status', argv, STATUS_FLAGS, STATUS_HELP);
  if (!flags) return 0;
  const context = cliContext(flags);
  const window = stringFlag(flags, 'since') ?? '1h';
  const proxy = stringFlag(flags, 'proxy');
  const json = await answerFromDaemon('status', argv, context);
  // The proxies connected to the daemon: null when no daemon answers.
  let connected: RunningProxyInfo[] | null;
  let report: StatusReport;
  if (json !== null) {
    report = JSON.parse(json) as StatusReport;
    connected = report.running_proxies;
  } else {
    ({ report, connected } = await (await import('./status-answer.js')).statusHere(flags, context));
  }
  if (printJson(flags, report)) return 0;
  report = printableAll(report);
  connected = printableAll(connected);
  write(`STATUS — ${proxy ?? 'all proxies'} — last ${window}\n`);
  write(
    `${report.total_requests} requests (${report.calls_per_minute}/min), ${formatPct(report.error_pct)} errors; ` +
      `${report.total_sessions} sessions started, ${report.active_sessions} active\n`,
  );
  write(
    `running proxies: ${
      connected === null
        ? '- (no daemon answers)'
        : report.running_proxies.length === 0
          ? 'none connected'
          : report.running_proxies.map(describeProxy).join(', ')
    }\n`,
  );
  if (report.total_requests_prev !== undefined) {
    write(
      `the ${window} before: ${report.total_requests_prev} requests (${change(report.total_requests, report.total_requests_prev)}), ` +
        `${formatPct(report.error_pct_prev ?? 0)} errors\n`,
    );
  }
  if (report.error_codes.length > 0) {
    write(
      `error codes: ${firstOf(report.error_codes.map((e) => `${e.error_code} ×${e.calls}`))}\n`,
    );
  }
  if (report.unknown_tools.length > 0) {
    write(
      `tools the server never listed: ${firstOf(report.unknown_tools.map((t) => `${t.tool} ×${t.calls} (${t.proxy})`))}\n`,
    );
  }
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
        { header: 'P90', align: 'right' },
        { header: 'P95', align: 'right' },
        { header: 'P99', align: 'right' },
        { header: 'MAX', align: 'right' },
        { header: 'ERROR %', align: 'right' },
        { header: 'AVG SIZE', align: 'right' },
        { header: 'IN', align: 'right' },
        { header: 'OUT', align: 'right' },
        ...(report.total_requests_prev === undefined
          ? []
          : [{ header: 'CALLS Δ', align: 'right' as const }, { header: 'P95 Δ' }]),
      ],
      report.tools.map((t) => [
        t.label,
        String(t.calls),
        formatLatency(t.avg_us),
        formatLatency(t.min_us),
        formatLatency(t.p50_us),
        formatLatency(t.p90_us),
        formatLatency(t.p95_us),
        formatLatency(t.p99_us),
        formatLatency(t.max_us),
        formatPct(t.error_pct),
        formatBytes(Math.round((t.total_bytes_in + t.total_bytes_out) / t.calls)),
        formatBytes(t.total_bytes_in),
        formatBytes(t.total_bytes_out),
        ...(report.total_requests_prev === undefined
          ? []
          : [
              t.calls_prev == null ? 'new' : change(t.calls, t.calls_prev),
              t.p95_us_prev == null || t.p95_us_prev === 0
                ? '-'
                : markRegression(t.p95_us / t.p95_us_prev),
            ]),
      ]),
    ),
  );
  return 0;
}

/** How many error codes and unknown tools a summary line names (most first); --json has them all. */
const SUMMARY_ITEMS_MAX = 10;

/** `items` joined, the first SUMMARY_ITEMS_MAX of them and a count of the rest. */
function firstOf(items: string[]): string {
  if (items.length <= SUMMARY_ITEMS_MAX) return items.join(', ');
  const rest = items.length - SUMMARY_ITEMS_MAX;
  return `${items.slice(0, SUMMARY_ITEMS_MAX).join(', ')} and ${rest} more (--json lists them all)`;
}
