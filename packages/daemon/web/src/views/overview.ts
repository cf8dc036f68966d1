// Overview: the four numbers an operator checks first, each against the
// window before; calls by outcome and latency percentiles over time; and
// the daemon's own health when its socket answers.

import { api } from '../api.js';
import { latencyChart, outcomeChart } from '../charts.js';
import { h } from '../dom.js';
import {
  change,
  formatBytes,
  formatCount,
  formatLatency,
  formatPct,
  formatTime,
} from '../format.js';
import type { PageState } from '../state.js';
import type { Health, SeriesRow, StatusAnswer } from '../types.js';
import { card, chart, into, message, section } from './parts.js';

function p95Change(now: number | null, before: number | null | undefined): string {
  if (now === null || before === null || before === undefined || before === 0) return '';
  return `${(now / before).toFixed(1)}x`;
}

export function overview(root: HTMLElement, state: PageState): void {
  const cards = h('div', { className: 'cards' });
  const calls = h('div', { className: 'chart', 'data-chart': 'outcomes' });
  const latency = h('div', { className: 'chart', 'data-chart': 'latency' });
  const health = h('div');
  root.replaceChildren(
    cards,
    section(`Calls by outcome — last ${state.since}`, calls),
    section(`Latency — last ${state.since}`, latency),
    section('Daemon', health),
  );
  const filter = { since: state.since, proxy: state.proxy };
  void into(cards, api<StatusAnswer>('status', { ...filter, compare: true }), (s) => [
    card(
      'calls',
      'Calls',
      s.total_requests,
      formatCount(s.total_requests),
      `${change(s.total_requests, s.total_requests_prev)} vs the ${state.since} before`,
      false,
    ),
    card(
      'error_pct',
      'Error %',
      s.error_pct,
      formatPct(s.error_pct),
      `${formatPct(s.error_pct_prev)} before`,
      s.error_pct > (s.error_pct_prev ?? 0) + 1,
    ),
    card(
      'p95',
      'p95 latency',
      s.p95_us,
      formatLatency(s.p95_us),
      s.p95_us_prev == null
        ? 'no calls before'
        : `${p95Change(s.p95_us, s.p95_us_prev)} of ${formatLatency(s.p95_us_prev)} before`,
      s.p95_us !== null && s.p95_us_prev != null && s.p95_us >= 1.5 * s.p95_us_prev,
    ),
    card(
      'active_sessions',
      'Active sessions',
      s.active_sessions,
      formatCount(s.active_sessions),
      `${formatCount(s.total_sessions)} started ${change(s.total_sessions, s.total_sessions_prev)} vs the ${state.since} before`,
      false,
    ),
  ]);
  const series = api<SeriesRow[]>('series', filter);
  void into(calls, series, (rows) => chart(rows, outcomeChart));
  void into(latency, series, (rows) => chart(rows, latencyChart));
  void into(health, api<Health>('health'), (report) => {
    if (report.status === 'unreachable') return message('No daemon answers on the socket.');
    const retention = report.retention;
    const rows: [string, string][] = [
      ['status', report.status],
      ['version', report.version ?? '-'],
      ['events waiting', formatCount(report.events_waiting ?? 0)],
      ['commit p99', report.commit_ms_p99 == null ? '-' : `${report.commit_ms_p99} ms`],
      ['database', formatBytes(report.db_size_bytes)],
      ['WAL', formatBytes(report.wal_size_bytes)],
      ['connections', formatCount(report.connections ?? 0)],
      [
        'retention',
        retention
          ? `${retention.retain_ms ? `${Math.round(retention.retain_ms / 86_400_000)}d` : 'keep all'}${retention.retain_bytes ? `, ${formatBytes(retention.retain_bytes)}` : ''}; oldest ${formatTime(retention.oldest_ts)}`
          : '-',
      ],
    ];
    return h(
      'div',
      null,
      h(
        'dl',
        { className: 'facts', 'data-health': report.status },
        ...rows.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      ),
      ...report.reasons.map((reason) => h('p', { className: 'message error' }, reason)),
    );
  });
}
