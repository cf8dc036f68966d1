// Pieces every screen uses: sections, number cards, messages, and the
// columns of a request row.

import { h } from '../dom.js';
import { formatLatency, formatTime } from '../format.js';
import type { Column } from '../table.js';
import type { RequestRow } from '../types.js';

export function section(title: string, ...children: (Node | string | null)[]): HTMLElement {
  return h('section', { className: 'panel' }, h('h2', null, title), ...children);
}

/** A headline number with its change against the window before; `worse` marks a regression. */
export function card(
  key: string,
  label: string,
  value: number | null,
  shown: string,
  delta: string,
  worse: boolean,
): HTMLElement {
  return h(
    'div',
    { className: 'card', 'data-card': key, 'data-value': value ?? '' },
    h('div', { className: 'card-label' }, label),
    h('div', { className: 'card-value' }, shown),
    h('div', { className: worse ? 'card-delta worse' : 'card-delta' }, delta || ' '),
  );
}

export function message(text: string, kind: 'empty' | 'error' = 'empty'): HTMLElement {
  return h('p', { className: `message ${kind}` }, text);
}

/** A promise's result into `slot`: a loading line first, the error's message if it fails. */
export async function into<T>(
  slot: HTMLElement,
  work: Promise<T>,
  draw: (value: T) => Node | Node[],
): Promise<void> {
  slot.replaceChildren(message('loading…'));
  try {
    const value = await work;
    const drawn = draw(value);
    slot.replaceChildren(...(Array.isArray(drawn) ? drawn : [drawn]));
  } catch (error) {
    slot.replaceChildren(message((error as Error).message, 'error'));
  }
}

/** A chart of `rows`, drawn once its box is on the page (uPlot needs its width). */
export function chart<T>(
  rows: T[],
  draw: (target: HTMLElement, rows: T[]) => unknown,
): HTMLElement {
  const target = h('div', { className: 'chart-box' });
  requestAnimationFrame(() => draw(target, rows));
  return target;
}

export function statusBadge(status: string): HTMLElement {
  return h('span', { className: `badge ${status}` }, status);
}

export const REQUEST_COLUMNS: Column<RequestRow>[] = [
  { header: 'Time', key: 'ts', value: (r) => r.ts, show: (r) => formatTime(r.ts) },
  { header: 'Proxy', key: 'proxy', value: (r) => r.proxy },
  { header: 'Tool / method', key: 'tool', value: (r) => r.tool ?? `<${r.method}>` },
  { header: 'Status', key: 'status', value: (r) => r.status, show: (r) => statusBadge(r.status) },
  {
    header: 'Latency',
    key: 'latency_us',
    value: (r) => r.latency_us,
    show: (r) => formatLatency(r.latency_us),
    numeric: true,
  },
  { header: 'Code', key: 'error_code', value: (r) => r.error_code },
  { header: 'Message', key: 'error_msg', value: (r) => r.error_msg },
  { header: 'Session', key: 'session_id', value: (r) => r.session_id },
];
