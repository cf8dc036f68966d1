// Logs: requests newest first, filtered as `logs` filters them, in a
// virtual list (50,000 rows stay smooth), with a live tail that polls for
// rows it has not shown yet.

import { api } from '../api.js';
import { h } from '../dom.js';
import { formatLatency, formatTime } from '../format.js';
import type { PageState } from '../state.js';
import { VirtualList } from '../table.js';
import type { RequestRow } from '../types.js';
import { message, section, statusBadge } from './parts.js';

const ROW_HEIGHT_PX = 26;
const TAIL_POLL_MS = 1000;
/** Rows kept in the page; the oldest go past this. */
const MAX_ROWS = 100_000;

const FILTERS = ['tool', 'method', 'status', 'session', 'error-code'] as const;

function drawRow(r: RequestRow): HTMLElement {
  return h(
    'div',
    { className: `log-row ${r.status}`, 'data-request-id': r.request_id },
    h('span', null, formatTime(r.ts)),
    h('span', null, r.proxy),
    h('span', { className: 'log-tool' }, r.tool ?? `<${r.method}>`),
    h('span', null, statusBadge(r.status)),
    h('span', { className: 'num' }, formatLatency(r.latency_us)),
    h('span', null, r.error_code ?? ''),
    h('span', { className: 'log-message' }, r.error_msg ?? ''),
    h('span', { className: 'log-session' }, r.session_id ?? ''),
  );
}

/** Returns the function that stops the live tail. */
export function logs(root: HTMLElement, state: PageState): () => void {
  const inputs = new Map<string, HTMLInputElement | HTMLSelectElement>();
  for (const name of FILTERS) {
    const input =
      name === 'status'
        ? h(
            'select',
            { name },
            h('option', { value: '' }, 'any status'),
            h('option', null, 'ok'),
            h('option', null, 'error'),
            h('option', null, 'timeout'),
          )
        : h('input', { name, placeholder: name, size: 14 });
    inputs.set(name, input);
  }
  const tail = h('input', { name: 'tail', value: '1000', size: 6, title: 'rows to load' });
  const live = h('input', { type: 'checkbox', name: 'live' });
  const count = h('span', { className: 'count', 'data-count': '0' }, '');
  const list = new VirtualList<RequestRow>(ROW_HEIGHT_PX, drawRow, 'virtual-list logs');
  const problem = h('div');
  const header = h(
    'div',
    { className: 'log-row log-header' },
    ...['Time', 'Proxy', 'Tool / method', 'Status', 'Latency', 'Code', 'Message', 'Session'].map(
      (t) => h('span', null, t),
    ),
  );
  const form = h(
    'form',
    {
      className: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void load();
      },
    },
    ...inputs.values(),
    h('label', null, 'rows ', tail),
    h('button', { type: 'submit' }, 'Apply'),
    h('label', { className: 'live' }, live, ' live tail'),
    count,
  );
  root.replaceChildren(section(`Logs — last ${state.since}`, form, problem, header, list.element));

  let rows: RequestRow[] = [];
  const seen = new Set<string>();
  let timer: number | undefined;
  let lastPollMs = 0;
  let generation = 0;

  const params = (since: string, limit: string) => {
    const p: Record<string, string | undefined> = { since, proxy: state.proxy, tail: limit };
    for (const [name, input] of inputs) p[name] = input.value.trim() || undefined;
    return p;
  };
  const show = () => {
    list.set(rows);
    count.dataset.count = String(rows.length);
    count.textContent = `${rows.length.toLocaleString('en-US')} rows`;
  };
  async function load(): Promise<void> {
    const mine = ++generation;
    problem.replaceChildren(message('loading…'));
    try {
      const started = Date.now();
      const loaded = await api<RequestRow[]>(
        'logs',
        params(state.since, tail.value.trim() || '1000'),
      );
      if (mine !== generation) return;
      rows = loaded;
      seen.clear();
      for (const r of rows) seen.add(r.request_id);
      lastPollMs = started;
      problem.replaceChildren();
      show();
    } catch (error) {
      problem.replaceChildren(message((error as Error).message, 'error'));
    }
  }
  let polling = false;
  async function poll(): Promise<void> {
    if (polling) return;
    polling = true;
    try {
      await pollOnce();
    } finally {
      polling = false;
    }
  }
  async function pollOnce(): Promise<void> {
    // Ask for a little more than the time since the last answer, so nothing falls between.
    const started = Date.now();
    const windowS = Math.ceil((started - lastPollMs) / 1000) + 2;
    try {
      const fresh = await api<RequestRow[]>('logs', params(`${windowS}s`, '5000'));
      const added = fresh.filter((r) => !seen.has(r.request_id));
      lastPollMs = started;
      if (added.length === 0) return;
      for (const r of added) seen.add(r.request_id);
      rows = added.concat(rows);
      if (rows.length > MAX_ROWS) {
        for (const r of rows.splice(MAX_ROWS)) seen.delete(r.request_id);
      }
      show();
    } catch (error) {
      problem.replaceChildren(message((error as Error).message, 'error'));
    }
  }
  live.addEventListener('change', () => {
    window.clearInterval(timer);
    timer = live.checked ? window.setInterval(() => void poll(), TAIL_POLL_MS) : undefined;
  });
  void load();
  return () => window.clearInterval(timer);
}
