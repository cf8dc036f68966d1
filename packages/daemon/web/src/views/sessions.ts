// Sessions and clients: who connected and how their calls went; a
// session's calls as a waterfall (each bar starts at its time and is as
// long as its latency) on click.

import { api } from '../api.js';
import { h } from '../dom.js';
import { formatLatency, formatPct, formatTime } from '../format.js';
import type { PageState } from '../state.js';
import { sortableTable } from '../table.js';
import type { ClientRow, SessionDetail, SessionRow } from '../types.js';
import { into, message, REQUEST_COLUMNS, section, statusBadge } from './parts.js';

export function sessions(
  root: HTMLElement,
  state: PageState,
  navigate: (patch: Partial<PageState>) => void,
): void {
  const detail = h('div');
  const list = h('div');
  const clients = h('div');
  root.replaceChildren(
    detail,
    section(`Sessions started in the last ${state.since}`, list),
    section(`Clients — last ${state.since}`, clients),
  );
  const filter = { since: state.since, proxy: state.proxy };
  void into(list, api<SessionRow[]>('sessions', { ...filter, limit: '500' }), (rows) =>
    rows.length === 0
      ? message(`No sessions started in the last ${state.since}.`)
      : sortableTable(
          rows,
          [
            { header: 'Session', key: 'session_id', value: (r) => r.session_id },
            { header: 'Proxy', key: 'proxy', value: (r) => r.proxy },
            {
              header: 'Client',
              key: 'client_name',
              value: (r) => [r.client_name, r.client_version].filter(Boolean).join(' ') || null,
            },
            { header: 'Platform', key: 'client_platform', value: (r) => r.client_platform },
            {
              header: 'Started',
              key: 'started_at',
              value: (r) => r.started_at,
              show: (r) => formatTime(r.started_at),
            },
            {
              header: 'Last seen',
              key: 'last_seen_at',
              value: (r) => r.last_seen_at,
              show: (r) => formatTime(r.last_seen_at),
            },
            { header: 'Calls', key: 'total_calls', value: (r) => r.total_calls, numeric: true },
            { header: 'Errors', key: 'total_errors', value: (r) => r.total_errors, numeric: true },
            {
              header: 'State',
              key: 'state',
              value: (r) => (r.is_active ? 'active' : r.ended_at !== null ? 'ended' : 'idle'),
            },
          ],
          { onRowClick: (r) => navigate({ session: r.session_id }) },
        ),
  );
  void into(clients, api<ClientRow[]>('clients', filter), (rows) =>
    rows.length === 0
      ? message('No clients in the window.')
      : sortableTable(
          rows,
          [
            { header: 'Client', key: 'client_name', value: (r) => r.client_name },
            { header: 'Version', key: 'client_version', value: (r) => r.client_version },
            { header: 'Platform', key: 'client_platform', value: (r) => r.client_platform },
            { header: 'Sessions', key: 'sessions', value: (r) => r.sessions, numeric: true },
            { header: 'Calls', key: 'total_calls', value: (r) => r.total_calls, numeric: true },
            {
              header: 'Error %',
              key: 'error_pct',
              value: (r) => r.error_pct,
              numeric: true,
              show: (r) => formatPct(r.error_pct),
            },
            {
              header: 'Last seen',
              key: 'last_seen',
              value: (r) => r.last_seen,
              show: (r) => formatTime(r.last_seen),
            },
          ],
          { sortKey: 'total_calls' },
        ),
  );
  if (state.session) {
    void into(
      detail,
      api<SessionDetail>(`session/${encodeURIComponent(state.session)}`, { proxy: state.proxy }),
      (s) =>
        section(
          `Session ${s.session_id}`,
          h(
            'p',
            { className: 'facts-line' },
            `${[s.client_name, s.client_version].filter(Boolean).join(' ') || 'unknown client'} on ${s.proxy}; `,
            `${s.total_calls} calls, ${s.total_errors} errors; started ${formatTime(s.started_at)}`,
            h(
              'button',
              { className: 'close', onclick: () => navigate({ session: undefined }) },
              'close',
            ),
          ),
          waterfall(s),
          sortableTable(s.requests, REQUEST_COLUMNS),
        ),
    );
  }
}

/** Each call as a bar on the session's time line, as long as its latency. */
function waterfall(s: SessionDetail): HTMLElement {
  if (s.requests.length === 0) return message('No calls recorded in this session.');
  const start = Math.min(...s.requests.map((r) => r.ts));
  const end = Math.max(...s.requests.map((r) => r.ts + r.latency_us / 1000));
  const span = Math.max(1, end - start);
  return h(
    'div',
    { className: 'waterfall', 'data-calls': s.requests.length },
    ...s.requests.slice(0, 500).map((r) => {
      const bar = h('div', { className: `bar ${r.status}` });
      const left = (100 * (r.ts - start)) / span;
      bar.style.left = `${left}%`;
      bar.style.width = `${Math.max(0.3, (100 * r.latency_us) / 1000 / span)}%`;
      return h(
        'div',
        { className: 'waterfall-row', title: `${formatTime(r.ts)} ${formatLatency(r.latency_us)}` },
        h(
          'span',
          { className: 'waterfall-label' },
          r.tool ?? `<${r.method}>`,
          ' ',
          statusBadge(r.status),
        ),
        h('span', { className: 'waterfall-track' }, bar),
        h('span', { className: 'waterfall-latency' }, formatLatency(r.latency_us)),
      );
    }),
  );
}
