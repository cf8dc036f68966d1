// Errors: failures over time, each frequent JSON-RPC error code over time,
// the codes of the window, and the most recent failed and timed-out requests.

import { api } from '../api.js';
import { linesChart, outcomeChart } from '../charts.js';
import { h } from '../dom.js';
import type { PageState } from '../state.js';
import { sortableTable } from '../table.js';
import type { RequestRow, SeriesRow, StatusAnswer } from '../types.js';
import { chart, into, message, REQUEST_COLUMNS, section } from './parts.js';

/** Error codes drawn over time, the most frequent first. */
const TOP_CODES = 5;

export function errors(root: HTMLElement, state: PageState): void {
  const overTime = h('div', { className: 'chart' });
  const codesOverTime = h('div', { className: 'chart', 'data-chart': 'codes' });
  const codes = h('div');
  const recent = h('div');
  const timeouts = h('div');
  root.replaceChildren(
    section(`Failures over time — last ${state.since}`, overTime),
    section(`Error codes over time (the ${TOP_CODES} most frequent)`, codesOverTime),
    section('Error codes', codes),
    section('Recent errors', recent),
    section('Recent timeouts', timeouts),
  );
  const filter = { since: state.since, proxy: state.proxy };
  void into(overTime, api<SeriesRow[]>('series', filter), (rows) => chart(rows, outcomeChart));
  const status = api<StatusAnswer>('status', filter);
  const perCode = status.then((s) =>
    Promise.all(
      s.error_codes.slice(0, TOP_CODES).map(async (code) => ({
        label: code.error_code,
        rows: await api<SeriesRow[]>('series', { ...filter, 'error-code': code.error_code }),
      })),
    ),
  );
  void into(codesOverTime, perCode, (series) => {
    const first = series[0];
    if (!first) return message('No JSON-RPC error codes in the window.');
    return chart(first.rows, (target) =>
      linesChart(
        target,
        first.rows.map((r) => r.bucket_start),
        series.map((s) => ({ label: s.label, values: s.rows.map((r) => r.calls) })),
      ),
    );
  });
  void into(codes, status, (s) =>
    s.error_codes.length === 0
      ? message('No JSON-RPC error codes in the window.')
      : sortableTable(
          s.error_codes,
          [
            { header: 'Error code', key: 'error_code', value: (r) => r.error_code },
            { header: 'Calls', key: 'calls', value: (r) => r.calls, numeric: true },
          ],
          { sortKey: 'calls' },
        ),
  );
  const table = (rows: RequestRow[]) =>
    rows.length === 0 ? message('None in the window.') : sortableTable(rows, REQUEST_COLUMNS);
  void into(recent, api<RequestRow[]>('logs', { ...filter, status: 'error', tail: '100' }), table);
  void into(
    timeouts,
    api<RequestRow[]>('logs', { ...filter, status: 'timeout', tail: '100' }),
    table,
  );
}
