// Tools: every tool (or <method>) of the window in a sortable table with a
// sparkline of its calls; a tool's own series and recent errors on click;
// tools the server never listed beside listed tools nobody called.

import { api } from '../api.js';
import { latencyChart, outcomeChart, sparkline } from '../charts.js';
import { h } from '../dom.js';
import { change, formatBytes, formatLatency, formatPct, formatTime } from '../format.js';
import type { PageState } from '../state.js';
import { sortableTable } from '../table.js';
import type { RequestRow, SeriesRow, StatusAnswer, ToolRow, ToolUsage } from '../types.js';
import { chart, into, message, REQUEST_COLUMNS, section } from './parts.js';

/** Sparklines are drawn for this many of the busiest tools (one series query each). */
const SPARKLINE_TOOLS = 25;

export function tools(
  root: HTMLElement,
  state: PageState,
  navigate: (patch: Partial<PageState>) => void,
): void {
  const table = h('div');
  const detail = h('div');
  const unknown = h('div');
  const unused = h('div');
  root.replaceChildren(
    section(`Tools — last ${state.since}`, table),
    detail,
    h(
      'div',
      { className: 'columns' },
      section('Called, never listed by the server', unknown),
      section(`Listed, not called in the last ${state.since}`, unused),
    ),
  );
  const filter = { since: state.since, proxy: state.proxy };
  const status = api<StatusAnswer>('status', { ...filter, compare: true });
  void into(table, status, (s) => {
    if (s.tools.length === 0) return message(`No calls in the last ${state.since}.`);
    const sparks = new Map<string, HTMLElement>();
    for (const row of s.tools.slice(0, SPARKLINE_TOOLS)) {
      if (row.label.startsWith('<')) continue;
      const slot = h('span', { className: 'spark-slot' });
      sparks.set(row.label, slot);
      api<SeriesRow[]>('series', { ...filter, tool: row.label }).then(
        (rows) => slot.replaceChildren(sparkline(rows.map((r) => r.calls))),
        () => slot.replaceChildren('-'),
      );
    }
    return sortableTable<ToolRow>(
      s.tools,
      [
        { header: 'Tool', key: 'label', value: (r) => r.label },
        {
          header: 'Calls',
          key: 'calls',
          value: (r) => r.calls,
          numeric: true,
          show: (r) => `${r.calls} ${change(r.calls, r.calls_prev)}`.trim(),
        },
        {
          header: 'Error %',
          key: 'error_pct',
          value: (r) => r.error_pct,
          numeric: true,
          show: (r) => formatPct(r.error_pct),
        },
        {
          header: 'p50',
          key: 'p50_us',
          value: (r) => r.p50_us,
          numeric: true,
          show: (r) => formatLatency(r.p50_us),
        },
        {
          header: 'p90',
          key: 'p90_us',
          value: (r) => r.p90_us,
          numeric: true,
          show: (r) => formatLatency(r.p90_us),
        },
        {
          header: 'p95',
          key: 'p95_us',
          value: (r) => r.p95_us,
          numeric: true,
          show: (r) => formatLatency(r.p95_us),
        },
        {
          header: 'p99',
          key: 'p99_us',
          value: (r) => r.p99_us,
          numeric: true,
          show: (r) => formatLatency(r.p99_us),
        },
        {
          header: 'Bytes in / out',
          key: 'bytes',
          value: (r) => r.total_bytes_in + r.total_bytes_out,
          numeric: true,
          show: (r) => `${formatBytes(r.total_bytes_in)} / ${formatBytes(r.total_bytes_out)}`,
        },
        {
          header: 'Calls over time',
          key: 'spark',
          value: () => null,
          show: (r) => sparks.get(r.label) ?? '',
        },
      ],
      { sortKey: 'calls', onRowClick: (r) => navigate({ tool: r.label }) },
    );
  });
  void into(unknown, status, (s) =>
    s.unknown_tools.length === 0
      ? message('None: every tool called is in its server’s tools/list (or none was captured).')
      : sortableTable(s.unknown_tools, [
          { header: 'Tool', key: 'tool', value: (r) => r.tool },
          { header: 'Proxy', key: 'proxy', value: (r) => r.proxy },
          { header: 'Calls', key: 'calls', value: (r) => r.calls, numeric: true },
          {
            header: 'Last called',
            key: 'last_called_at',
            value: (r) => r.last_called_at,
            show: (r) => formatTime(r.last_called_at),
          },
        ]),
  );
  void into(unused, api<ToolUsage[]>('schema/unused', filter), (rows) => {
    const idle = rows.filter((r) => r.calls === 0);
    if (rows.length === 0) return message('No tools/list captured yet.');
    if (idle.length === 0) return message('Every listed tool was called.');
    return sortableTable(idle, [
      { header: 'Tool', key: 'tool_name', value: (r) => r.tool_name },
      { header: 'Proxy', key: 'proxy', value: (r) => r.proxy },
      { header: 'Upstream', key: 'upstream_url', value: (r) => r.upstream_url },
    ]);
  });
  if (state.tool) toolDetail(detail, state, state.tool, () => navigate({ tool: undefined }));
}

function toolDetail(slot: HTMLElement, state: PageState, tool: string, close: () => void): void {
  const calls = h('div', { className: 'chart' });
  const latency = h('div', { className: 'chart' });
  const errors = h('div');
  slot.replaceChildren(
    h(
      'section',
      { className: 'panel detail', 'data-tool': tool },
      h(
        'h2',
        null,
        `Tool `,
        h('code', null, tool),
        h('button', { className: 'close', onclick: close }, 'close'),
      ),
      h('div', { className: 'columns' }, calls, latency),
      h('h3', null, 'Recent errors'),
      errors,
    ),
  );
  // `<method>` rows are requests without a tool: series filters by tool only.
  const method = /^<(.+)>$/.exec(tool)?.[1];
  const filter = { since: state.since, proxy: state.proxy };
  if (method === undefined) {
    const series = api<SeriesRow[]>('series', { ...filter, tool });
    void into(calls, series, (rows) => chart(rows, outcomeChart));
    void into(latency, series, (rows) => chart(rows, latencyChart));
  } else calls.replaceChildren(message('Charts are drawn per tool; this row is a method.'));
  const which = method === undefined ? { tool } : { method };
  void into(
    errors,
    api<RequestRow[]>('logs', { ...filter, ...which, status: 'error', tail: '50' }),
    (rows) =>
      rows.length === 0
        ? message('No errors in the window.')
        : sortableTable(rows, REQUEST_COLUMNS),
  );
}
