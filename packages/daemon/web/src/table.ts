// Tables: a sortable one for lists of tens to thousands of rows, and a
// virtual list that keeps the page responsive with 50,000 rows and more
// (only the rows in view exist in the DOM). Every cell carries its raw
// value in data-value, so what a cell shows can be traced to the JSON.

import { h } from './dom.js';

export interface Column<T> {
  header: string;
  /** The key each cell is marked with (data-key), and the sort's. */
  key: string;
  /** The raw value: sorted by, and kept in data-value. */
  value: (row: T) => string | number | null;
  /** What the cell shows; the raw value when absent. */
  show?: (row: T) => Node | string;
  numeric?: boolean;
}

export function sortableTable<T>(
  rows: T[],
  columns: Column<T>[],
  options: { onRowClick?: (row: T) => void; sortKey?: string; descending?: boolean } = {},
): HTMLTableElement {
  let sortKey = options.sortKey ?? null;
  let descending = options.descending ?? true;
  const body = h('tbody');
  const headerCells = columns.map((column) =>
    h(
      'th',
      {
        className: column.numeric ? 'num sortable' : 'sortable',
        'data-key': column.key,
        onclick: () => {
          descending = sortKey === column.key ? !descending : Boolean(column.numeric);
          sortKey = column.key;
          render();
        },
      },
      column.header,
    ),
  );
  const render = () => {
    const column = columns.find((c) => c.key === sortKey);
    const sorted = column
      ? [...rows].sort((a, b) => compare(column.value(a), column.value(b)))
      : rows;
    if (column && descending) sorted.reverse();
    for (const cell of headerCells) {
      cell.classList.toggle('sorted', cell.dataset.key === sortKey);
      cell.classList.toggle('desc', cell.dataset.key === sortKey && descending);
    }
    body.replaceChildren(
      ...sorted.map((row) =>
        h(
          'tr',
          {
            className: options.onRowClick ? 'clickable' : undefined,
            onclick: options.onRowClick ? () => options.onRowClick?.(row) : undefined,
          },
          ...columns.map((c) => {
            const value = c.value(row);
            return h(
              'td',
              {
                className: c.numeric ? 'num' : undefined,
                'data-key': c.key,
                'data-value': value ?? '',
              },
              c.show ? c.show(row) : value === null ? '-' : String(value),
            );
          }),
        ),
      ),
    );
  };
  render();
  return h('table', { className: 'table' }, h('thead', null, h('tr', null, ...headerCells)), body);
}

function compare(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return typeof a === 'number' && typeof b === 'number'
    ? a - b
    : String(a).localeCompare(String(b));
}

/**
 * A list of many rows of one height: a spacer as tall as all of them, and
 * only the rows in view (and a few around them) drawn. `set` replaces the
 * rows; drawing waits for the next frame, so bursts of updates cost one.
 */
export class VirtualList<T> {
  readonly element: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly window: HTMLDivElement;
  private rows: T[] = [];
  private scheduled = false;

  constructor(
    private readonly rowHeightPx: number,
    private readonly drawRow: (row: T, index: number) => HTMLElement,
    className = 'virtual-list',
  ) {
    this.window = h('div', { className: 'virtual-window' });
    this.spacer = h('div', { className: 'virtual-spacer' }, this.window);
    this.element = h('div', { className }, this.spacer);
    this.element.addEventListener('scroll', () => this.schedule(), { passive: true });
  }

  get length(): number {
    return this.rows.length;
  }

  set(rows: T[]): void {
    this.rows = rows;
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.draw();
    });
  }

  private draw(): void {
    const height = this.rowHeightPx;
    this.spacer.style.height = `${this.rows.length * height}px`;
    const first = Math.max(0, Math.floor(this.element.scrollTop / height) - 10);
    const visible = Math.ceil((this.element.clientHeight || 600) / height) + 20;
    const last = Math.min(this.rows.length, first + visible);
    this.window.style.transform = `translateY(${first * height}px)`;
    const drawn: HTMLElement[] = [];
    for (let i = first; i < last; i += 1) drawn.push(this.drawRow(this.rows[i] as T, i));
    this.window.replaceChildren(...drawn);
  }
}
