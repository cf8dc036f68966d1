// Errors: failures over time, the JSON-RPC error codes of the window, and
// the most recent failed and timed-out requests.

import { api } from '../api.js';
import { outcomeChart } from '../charts.js';
import { h } from '../dom.js';
import type { PageState } from '../state.js';
import { sortableTable } from '../table.js';
import type { RequestRow, SeriesRow, StatusAnswer } from '../types.js';
import { chart, into, message, REQUEST_COLUMNS, section } from './parts.js';

export function errors(root: HTMLElement, state: PageState): void {
  const overTime = h('div', { className: 'chart' });
  const codes = h('div');
  const recent = h('div');
  const timeouts = h('div');
  root.replaceChildren(
    section(`Failures over time — last ${state.since}`, overTime),
    section('Error codes', codes),
    section('Recent errors', recent),
    section('Recent timeouts', timeouts),
  );
  const filter = { since: state.since, proxy: state.proxy };
  void into(overTime, api<SeriesRow[]>('series', filter), (rows) => chart(rows, outcomeChart));
  void into(codes, api<StatusAnswer>('status', filter), (s) =>
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
