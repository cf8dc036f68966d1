#!/usr/bin/env node
// Times the web dashboard on a large store: for each screen, the API calls
// the page makes for the 24h window, asked as the page asks them (at once,
// or after the answer they depend on), from the first request to the last
// answer; median of repeated loads on a warm server. Then, in Chromium when
// it is installed, the page itself with 50,000 log rows: how long they take
// to arrive and draw, and how long a frame takes while the list scrolls;
// and uPlot alone drawing 100,000 points.
//
//   node test/bench/ui-timings.mjs --db PATH [--runs 5]

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './median.mjs';

const CLI = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../packages/daemon/bin/mcpr-store.js',
);
const CHROMIUM = '/usr/bin/chromium';
const WINDOW = '24h';
/** As the page: error codes drawn over time. */
const TOP_CODES = 5;
/** Points in the chart library's own measurement (the 100,000). */
const CHART_POINTS = 100_000;
/** Log rows loaded into the page at once. */
const LOG_ROWS = 50_000;
/** As the page: sparklines for this many of the busiest tools. */
const SPARKLINE_TOOLS = 25;

/** Each screen's API calls for the 24h window; `after` asks what depends on the first answer. */
const SCREENS = {
  overview: {
    calls: [
      `status?since=${WINDOW}&compare=true`,
      `series?since=${WINDOW}`,
      'health',
      'store/stats',
    ],
  },
  tools: {
    calls: [`status?since=${WINDOW}&compare=true`, `schema/unused?since=${WINDOW}`],
    after: (status) =>
      status.tools
        .slice(0, SPARKLINE_TOOLS)
        .filter((t) => !t.label.startsWith('<'))
        .map((t) => `series?since=${WINDOW}&tool=${encodeURIComponent(t.label)}`),
  },
  errors: {
    calls: [
      `status?since=${WINDOW}`,
      `series?since=${WINDOW}`,
      `logs?since=${WINDOW}&status=error&tail=100`,
      `logs?since=${WINDOW}&status=timeout&tail=100`,
    ],
    after: (status) =>
      status.error_codes
        .slice(0, TOP_CODES)
        .map((c) => `series?since=${WINDOW}&error-code=${encodeURIComponent(c.error_code)}`),
  },
  sessions: { calls: [`sessions?since=${WINDOW}&limit=500`, `clients?since=${WINDOW}`] },
  logs: { calls: [`logs?since=${WINDOW}&tail=1000`] },
  schema: { calls: ['schema', 'schema/changes?limit=200'] },
};

function startUi(db) {
  const proc = spawn(process.execPath, [CLI, 'ui', '--db', db, '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    proc.stdout.on('data', (chunk) => {
      output += chunk;
      const url = /(http:\/\/\S+?)\/?(\s|$)/.exec(output)?.[1];
      if (url) resolve({ proc, url });
    });
    proc.once('exit', (code) => reject(new Error(`ui exited with ${code}: ${output}`)));
  });
}

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function loadScreen(base, screen) {
  const started = performance.now();
  const answers = await Promise.all(screen.calls.map((call) => getJson(`${base}/api/${call}`)));
  const more = screen.after ? screen.after(answers[0]) : [];
  await Promise.all(more.map((call) => getJson(`${base}/api/${call}`)));
  return { ms: performance.now() - started, requests: screen.calls.length + more.length };
}

/** 50,000 log rows in Chromium: arrival and drawing, then frame times while scrolling. */
async function pageTimings(base) {
  if (!fs.existsSync(CHROMIUM)) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    // As many rows as the store has, up to 50,000 (a quick run's store has fewer).
    const rows = (await getJson(`${base}/api/logs?since=30d&tail=${LOG_ROWS}`)).length;
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${base}/?view=logs&since=30d`);
    await page.locator('input[name="tail"]').fill(String(LOG_ROWS));
    const started = performance.now();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(
      (n) => document.querySelector('.count')?.getAttribute('data-count') === String(n),
      rows,
      { timeout: 120_000 },
    );
    const loadMs = performance.now() - started;
    const frames = await page.locator('.virtual-list').evaluate(async (list) => {
      const times = [];
      let last = performance.now();
      for (let i = 0; i < 120; i += 1) {
        list.scrollTop += 900;
        await new Promise((resolve) => requestAnimationFrame(resolve));
        const now = performance.now();
        times.push(now - last);
        last = now;
      }
      times.sort((a, b) => a - b);
      return {
        median: times[Math.floor(times.length / 2)],
        p95: times[Math.floor(times.length * 0.95)],
      };
    });
    const rowsInDom = await page.locator('.log-row[data-request-id]').count();
    const chart = await chartTimings(browser);
    return {
      rows,
      load_ms: Math.round(loadMs),
      frame_ms_median: Math.round(frames.median * 10) / 10,
      frame_ms_p95: Math.round(frames.p95 * 10) / 10,
      rows_in_dom: rowsInDom,
      ...chart,
    };
  } finally {
    await browser.close();
  }
}

/**
 * uPlot, bundled as the page bundles it, drawing 100,000 points in three
 * series on a blank page: the chart library's own cost, apart from the data.
 */
async function chartTimings(browser) {
  const { build } = await import('esbuild');
  const bundled = await build({
    stdin: {
      contents: `import uPlot from 'uplot'; window.uPlot = uPlot;`,
      resolveDir: path.join(path.dirname(CLI), '..'),
    },
    bundle: true,
    write: false,
    format: 'iife',
    minify: true,
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    await page.setContent('<div id="chart"></div>');
    await page.addScriptTag({ content: bundled.outputFiles[0].text });
    return await page.evaluate(async (points) => {
      const xs = Array.from({ length: points }, (_, i) => 1_700_000_000 + i * 60);
      const ys = (k) => xs.map((_, i) => Math.abs(Math.sin(i / (50 + k * 10))) * 1000 + k);
      const data = [xs, ys(0), ys(1), ys(2)];
      const next = [xs, ys(3), ys(4), ys(5)];
      // Until the frame after: uPlot may finish drawing in the next frame.
      const painted = () =>
        new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      const started = performance.now();
      const chart = new window.uPlot(
        { width: 1200, height: 300, scales: { x: { time: true } }, series: [{}, {}, {}, {}] },
        data,
        document.getElementById('chart'),
      );
      await painted();
      const drawMs = performance.now() - started;
      const again = performance.now();
      chart.setData(next);
      await painted();
      return {
        chart_points: points,
        chart_draw_ms: Math.round(drawMs),
        chart_redraw_ms: Math.round(performance.now() - again),
      };
    }, CHART_POINTS);
  } finally {
    await page.close();
  }
}

export async function measureUi(db, runs = 5) {
  const { proc, url } = await startUi(db);
  try {
    const screens = [];
    for (const [name, screen] of Object.entries(SCREENS)) {
      await loadScreen(url, screen); // warm: the page cache and the server's statements
      const times = [];
      let requests = 0;
      for (let i = 0; i < runs; i += 1) {
        const load = await loadScreen(url, screen);
        times.push(load.ms);
        requests = load.requests;
      }
      screens.push({ screen: name, requests, ms: Math.round(median(times)) });
    }
    return { window: WINDOW, screens, page: await pageTimings(url) };
  } finally {
    proc.kill('SIGTERM');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { db: { type: 'string' }, runs: { type: 'string', default: '5' } },
  });
  if (!values.db) {
    console.error('usage: node test/bench/ui-timings.mjs --db PATH [--runs 5]');
    process.exit(1);
  }
  const result = await measureUi(values.db, Number(values.runs));
  console.log(`screen data for the ${result.window} window (median of ${values.runs}, warm):`);
  for (const s of result.screens)
    console.log(
      `  ${s.screen.padEnd(10)} ${String(s.ms).padStart(6)} ms  (${s.requests} requests)`,
    );
  if (result.page) console.log('50,000 log rows in Chromium:', JSON.stringify(result.page));
}
