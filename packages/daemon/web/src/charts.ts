// Charts: uPlot for time series (small, and fast with 100,000 points), and
// a canvas sparkline for table rows. Colours come from CSS variables so the
// stylesheet owns the palette.

import uPlot from 'uplot';
import { bidiShown } from '../../src/cli/printable.js';
import { formatLatency } from './format.js';
import type { SeriesRow } from './types.js';

type TimeRow = SeriesRow;

function color(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const charts = new Set<uPlot>();
let resizeListening = false;

/** A chart that follows its container's width. */
function mount(opts: uPlot.Options, data: uPlot.AlignedData, target: HTMLElement): uPlot {
  // Points only where there are few: at hundreds of buckets they hide the line.
  const points = { show: (data[0]?.length ?? 0) <= 60 };
  const series = opts.series.map((s, i) => (i === 0 ? s : { points, ...s }));
  const chart = new uPlot(
    { ...opts, series, width: Math.max(200, target.clientWidth) },
    data,
    target,
  );
  charts.add(chart);
  if (!resizeListening) {
    resizeListening = true;
    window.addEventListener('resize', () => {
      for (const c of charts) {
        if (!c.root.isConnected) {
          c.destroy();
          charts.delete(c);
        } else
          c.setSize({
            width: Math.max(200, c.root.parentElement?.clientWidth ?? 200),
            height: c.height,
          });
      }
    });
  }
  return chart;
}

/**
 * Calls per bucket stacked by outcome: each series is drawn from zero and
 * filled, ok (the total) first, then errors and timeouts, then timeouts, so
 * the bands read as a stack; the legend shows each outcome's own count.
 */
export function outcomeChart(target: HTMLElement, rows: TimeRow[], height = 220): uPlot {
  const xs = rows.map((r) => r.bucket_start / 1000);
  const ok = rows.map((r) => r.calls - r.errors - r.timeouts);
  const failed = rows.map((r) => r.errors + r.timeouts);
  const own = [ok, rows.map((r) => r.errors), rows.map((r) => r.timeouts)];
  const legendValue =
    (series: number) => (_u: uPlot, _v: number | null, _s: number, i: number | null) =>
      i === null ? '-' : String(own[series]?.[i] ?? '-');
  return mount(
    {
      width: 0,
      height,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'ok', stroke: color('--ok'), fill: color('--ok-fill'), value: legendValue(0) },
        {
          label: 'errors',
          stroke: color('--error'),
          fill: color('--error-fill'),
          value: legendValue(1),
        },
        {
          label: 'timeouts',
          stroke: color('--timeout'),
          fill: color('--timeout-fill'),
          value: legendValue(2),
        },
      ],
      axes: [{ stroke: color('--muted') }, { stroke: color('--muted') }],
    },
    [xs, rows.map((r) => r.calls), failed, rows.map((r) => r.timeouts)],
    target,
  );
}

/** p50, p95 and p99 latency per bucket; buckets without calls are gaps. */
export function latencyChart(target: HTMLElement, rows: TimeRow[], height = 220): uPlot {
  const xs = rows.map((r) => r.bucket_start / 1000);
  const of = (pick: (r: TimeRow) => number) => rows.map((r) => (r.calls === 0 ? null : pick(r)));
  const value = (_u: uPlot, v: number | null) => (v === null ? '-' : formatLatency(v));
  return mount(
    {
      width: 0,
      height,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'p50', stroke: color('--p50'), value },
        { label: 'p95', stroke: color('--p95'), value },
        { label: 'p99', stroke: color('--p99'), value },
      ],
      axes: [
        { stroke: color('--muted') },
        {
          stroke: color('--muted'),
          size: 70,
          values: (_u, ticks) => ticks.map((t) => formatLatency(t)),
        },
      ],
    },
    [xs, of((r) => r.p50_us), of((r) => r.p95_us), of((r) => r.p99_us)],
    target,
  );
}

/** Several counts per bucket as lines (calls per error code, say); `bucketStarts` in unix ms. */
export function linesChart(
  target: HTMLElement,
  bucketStarts: number[],
  lines: { label: string; values: number[] }[],
  height = 220,
): uPlot {
  return mount(
    {
      width: 0,
      height,
      scales: { x: { time: true } },
      series: [
        {},
        ...lines.map((line, i) => ({
          // A legend's label is text the store holds (an error code), set as text.
          label: bidiShown(line.label),
          stroke: color(`--series-${(i % 5) + 1}`),
        })),
      ],
      axes: [{ stroke: color('--muted') }, { stroke: color('--muted') }],
    },
    [bucketStarts.map((ms) => ms / 1000), ...lines.map((line) => line.values)],
    target,
  );
}

/** A small line of `values` scaled to its largest, for a table row. */
export function sparkline(values: number[], width = 120, height = 24): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.className = 'sparkline';
  const context = canvas.getContext('2d');
  if (!context || values.length === 0) return canvas;
  context.scale(ratio, ratio);
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? (width - 2) / (values.length - 1) : 0;
  context.strokeStyle = color('--accent');
  context.lineWidth = 1.5;
  context.beginPath();
  values.forEach((v, i) => {
    const x = 1 + i * step;
    const y = height - 2 - (v / max) * (height - 4);
    if (i === 0) context.moveTo(x, y);
    else context.lineTo(x, y);
  });
  context.stroke();
  return canvas;
}
