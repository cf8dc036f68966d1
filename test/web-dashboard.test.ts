// The web dashboard in a real browser (Debian's Chromium, driven by
// playwright-core) against a real daemon fed by a real client: every screen
// loads without a console error, its numbers are the CLI's --json for the
// same window, hostile strings from clients show as text and run nothing,
// the live tail shows an event sent through the daemon within 3 seconds,
// and 50,000 log rows keep only a screenful in the DOM. The API answers
// exactly what the CLI prints, rejects bad parameters, never writes, and
// wants a token off loopback. Screenshots of every screen go to
// test-output/web/.
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { StoreClient } from '@mcpr-store/client';
import {
  buildStore,
  CLI,
  type DaemonProcess,
  fixtureRequest,
  REPO_ROOT,
  runCli,
  startDaemon,
} from '@mcpr-store/test-utils';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-output', 'web');
// Markup, and a right-to-left override that would show the name's end reversed.
const HOSTILE_TOOL = '<img src=x onerror=alert(1)>\u202egnp.exe';
/** As the page shows it: the override as its escape. */
const HOSTILE_TOOL_SHOWN = '<img src=x onerror=alert(1)>\\u202egnp.exe';
const HOSTILE_MESSAGE = '<script>alert("msg")</script>';
const HOSTILE_CLIENT = '"><svg onload=alert(2)>';
const TOKEN = 'a-token-of-sixteen-chars-or-more';

interface UiProcess {
  proc: ChildProcess;
  url: string;
  output: () => string;
}

const processes: ChildProcess[] = [];

/** Starts `mcpr-store ui` on a free port and resolves with the URL it prints. */
function startUi(args: string[], env: NodeJS.ProcessEnv = {}): Promise<UiProcess> {
  const proc = spawn(process.execPath, [CLI, 'ui', '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(proc);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /mcpr-store ui: (http:\/\/\S+?)\/?(\s|$)/.exec(output)?.[1];
      if (url) resolve({ proc, url, output: () => output });
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`ui exited with ${code}: ${output}`)));
    setTimeout(() => reject(new Error(`ui did not start: ${output}`)), 15_000);
  });
}

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  return { status: response.status, body: (await response.json()) as unknown };
}

/** The CLI's --json: one object, or JSON Lines as an array. */
async function cliJson(args: string[]): Promise<unknown> {
  const out = await runCli([...args, '--json']);
  expect(out.code, out.stderr).toBe(0);
  const lines = out.stdout.trim().split('\n').filter(Boolean);
  const parsed = lines.map((line) => JSON.parse(line) as unknown);
  return isObjectAnswer(args) ? parsed[0] : parsed;
}

/** Commands whose --json is one object rather than JSON Lines. */
function isObjectAnswer(args: string[]): boolean {
  return ['status', 'session', 'store', 'health'].includes(args[0] as string);
}

let daemon: DaemonProcess;
let ui: UiProcess;
let browser: Browser;
let client: StoreClient;
const consoleProblems: string[] = [];
const dialogs: string[] = [];

function sendMix(c: StoreClient): void {
  c.record({
    kind: 'session',
    session_id: 'sess-web-1',
    client_name: HOSTILE_CLIENT,
    client_version: '1.0',
    client_platform: 'claude',
  });
  c.record({ kind: 'session', session_id: 'sess-web-2', client_name: 'cursor' });
  c.record({
    kind: 'schema_version',
    upstream_url: 'http://upstream.example/mcp',
    method: 'tools/list',
    payload: JSON.stringify({ tools: [{ name: 'search' }, { name: 'idle_tool' }] }),
  });
  for (let i = 0; i < 60; i += 1) {
    c.record({
      kind: 'request',
      session_id: i % 3 === 0 ? 'sess-web-2' : 'sess-web-1',
      method: 'tools/call',
      tool: i % 4 === 0 ? HOSTILE_TOOL : 'search',
      latency_us: 1000 * (i + 1),
      status: i % 10 === 0 ? 'error' : i % 15 === 1 ? 'timeout' : 'ok',
      ...(i % 10 === 0 ? { error_code: '-32603', error_msg: HOSTILE_MESSAGE } : {}),
      bytes_in: 100,
      bytes_out: 1000 + i,
    });
  }
}

async function openPage(view: string, query = ''): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleProblems.push(`${view}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleProblems.push(`${view}: ${error.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(`${ui.url}/?view=${view}&since=24h${query}`);
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The raw values of one column of the first table under `scope`, by row. */
async function columnValues(page: Page, scope: string, key: string): Promise<string[]> {
  return page
    .locator(`${scope} td[data-key="${key}"]`)
    .evaluateAll((cells) => cells.map((cell) => cell.getAttribute('data-value') ?? ''));
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  daemon = await startDaemon();
  client = new StoreClient({ socketPath: daemon.socketPath, proxy: 'edge' });
  sendMix(client);
  await client.flush(10_000);
  ui = await startUi(['--db', daemon.dbPath, '--socket', daemon.socketPath]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await client?.close(5000);
  for (const p of processes) p.kill('SIGTERM');
  await daemon?.stop();
});

describe('the API', () => {
  it('answers exactly what the CLI prints with --json', async () => {
    const db = ['--db', daemon.dbPath];
    const socket = ['--socket', daemon.socketPath];
    const pairs: [string, string[]][] = [
      ['logs?since=24h&tail=20', ['logs', '--since', '24h', '--tail', '20', ...db]],
      ['logs?status=error&tool=search', ['logs', '--status', 'error', '--tool', 'search', ...db]],
      ['slow?threshold=30ms', ['slow', '--threshold', '30ms', ...db]],
      ['sessions?since=24h', ['sessions', '--since', '24h', ...db]],
      ['session/sess-web-2', ['session', 'sess-web-2', ...db]],
      ['clients', ['clients', ...db]],
      ['schema', ['schema', ...db]],
      ['schema/changes', ['schema', '--changes', ...db]],
      ['schema/unused', ['schema', '--unused', ...db]],
      ['series?since=1h&bucket=5m', ['series', '--since', '1h', '--bucket', '5m', ...db]],
      [
        'series?since=1h&error-code=-32603',
        ['series', '--since', '1h', '--error-code', '-32603', ...db],
      ],
    ];
    for (const [route, args] of pairs) {
      const api = await getJson(`${ui.url}/api/${route}`);
      expect(api.status, route).toBe(200);
      expect(api.body, route).toEqual(await cliJson(args));
    }
    // Answers that carry the time of asking or the daemon's live counters.
    const status = (await getJson(`${ui.url}/api/status?since=24h&compare=true`)).body as Record<
      string,
      unknown
    >;
    const cliStatus = (await cliJson([
      'status',
      '--since',
      '24h',
      '--compare',
      ...db,
      ...socket,
    ])) as Record<string, unknown>;
    for (const key of ['since_ms', 'running_proxies']) {
      delete status[key];
      delete cliStatus[key];
    }
    expect(status).toEqual(cliStatus);
    const stats = (await getJson(`${ui.url}/api/store/stats`)).body as Record<string, unknown>;
    const cliStats = (await cliJson(['store', 'stats', ...db, ...socket])) as Record<
      string,
      unknown
    >;
    expect(Object.keys(stats)).toEqual(Object.keys(cliStats));
    expect(stats.total_requests).toBe(cliStats.total_requests);
    expect(stats.proxies).toEqual(['edge']);
    const health = (await getJson(`${ui.url}/api/health`)).body as Record<string, unknown>;
    expect(health.status).toBe('ok');
    expect(health.db_path).toBe(daemon.dbPath);
  });

  it('rejects bad parameters with 400 and { error }, unknown APIs with 404', async () => {
    const cases: [string, number, RegExp][] = [
      ['logs?bogus=1', 400, /unknown parameter "bogus"/],
      ['logs?since=abc', 400, /--since/],
      ['logs?db=/etc/passwd', 400, /unknown parameter "db"/],
      ['status?socket=/tmp/x', 400, /unknown parameter "socket"/],
      ['status?compare=maybe', 400, /true or false/],
      ['slow?threshold=fast', 400, /threshold/],
      ['session/no-such-session', 404, /session/],
      ['nothing', 404, /no such API/],
    ];
    for (const [route, status, error] of cases) {
      const answer = await getJson(`${ui.url}/api/${route}`);
      expect(answer.status, route).toBe(status);
      expect((answer.body as { error: string }).error, route).toMatch(error);
    }
  });

  it('serves a Content-Security-Policy without inline scripts, and only GET', async () => {
    const page = await fetch(`${ui.url}/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("default-src 'none'");
    expect((await fetch(`${ui.url}/api/logs`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${ui.url}/../package.json`)).status).toBe(404);
  });

  it('never writes: a store served and asked every question is byte for byte the same', async () => {
    const file = buildStore([fixtureRequest(), fixtureRequest({ tool: 'other', status: 'error' })]);
    const digest = () => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    const before = digest();
    const own = await startUi([
      '--db',
      file,
      '--socket',
      path.join(path.dirname(file), 'none.sock'),
    ]);
    for (const route of [
      'logs',
      'slow',
      'sessions',
      'clients',
      'status?compare=true',
      'series',
      'schema',
      'schema/changes',
      'schema/unused',
      'store/stats',
      'health',
    ]) {
      expect((await fetch(`${own.url}/api/${route}`)).status, route).toBe(200);
    }
    own.proc.kill('SIGTERM');
    await new Promise((resolve) => own.proc.once('exit', resolve));
    expect(digest()).toBe(before);
    expect(fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0).toBe(0);
  });

  it('off loopback it refuses to start without a token; with one, every request needs it', async () => {
    const refused = await runCli(['ui', '--listen', '0.0.0.0:0', '--db', daemon.dbPath], {
      MCPR_UI_TOKEN: '',
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--token/);
    const short = await runCli(['ui', '--token', 'short', '--db', daemon.dbPath]);
    expect(short.stderr).toMatch(/at least 16 characters/);
    const guarded = await startUi(['--db', daemon.dbPath, '--socket', daemon.socketPath], {
      MCPR_UI_TOKEN: TOKEN,
    });
    expect((await fetch(`${guarded.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/`)).status).toBe(401);
    const wrong = await fetch(`${guarded.url}/api/status`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${guarded.url}/api/status`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(right.status).toBe(200);
    // Opening /?token=... once sets the cookie the page then sends.
    const page = await browser.newPage();
    await page.goto(`${guarded.url}/?token=${TOKEN}&view=overview`);
    expect(new URL(page.url()).search).not.toContain(TOKEN);
    await expect.poll(() => page.locator('[data-card="calls"]').count()).toBe(1);
    await page.close();
    // Without a token, a request addressed to another host name is refused (DNS rebinding).
    // (fetch will not set Host; node:http will.)
    const rebound = await new Promise<number>((resolve, reject) => {
      http
        .get(`${ui.url}/api/status`, { headers: { host: 'attacker.example' } }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
        .on('error', reject);
    });
    expect(rebound).toBe(403);
  });
});

describe('the page in Chromium', () => {
  it('overview: the cards are the CLI status --compare numbers; charts drawn', async () => {
    const page = await openPage('overview');
    await page.locator('[data-card="calls"]').waitFor();
    await page.locator('[data-chart="latency"] canvas').waitFor();
    await page.locator('[data-health]').waitFor();
    const status = (await cliJson([
      'status',
      '--since',
      '24h',
      '--compare',
      '--db',
      daemon.dbPath,
    ])) as {
      total_requests: number;
      error_pct: number;
      p95_us: number;
      active_sessions: number;
    };
    const card = (key: string) => page.locator(`[data-card="${key}"]`).getAttribute('data-value');
    expect(Number(await card('calls'))).toBe(status.total_requests);
    expect(Number(await card('error_pct'))).toBe(status.error_pct);
    expect(Number(await card('p95'))).toBe(status.p95_us);
    expect(Number(await card('active_sessions'))).toBe(status.active_sessions);
    expect(await page.locator('[data-health]').getAttribute('data-health')).toBe('ok');
    await screenshot(page, 'overview');
    await page.close();
  });

  it('tools: each row is the CLI status row; the hostile tool name is text, and a click shows its detail', async () => {
    const page = await openPage('tools');
    await page.locator('table td[data-key="label"]').first().waitFor();
    const status = (await cliJson(['status', '--since', '24h', '--db', daemon.dbPath])) as {
      tools: { label: string; calls: number; p95_us: number; error_pct: number }[];
    };
    const labels = await columnValues(page, 'section:first-of-type', 'label');
    const calls = await columnValues(page, 'section:first-of-type', 'calls');
    const p95 = await columnValues(page, 'section:first-of-type', 'p95_us');
    const shown = labels.map((label, i) => ({
      label,
      calls: Number(calls[i]),
      p95_us: Number(p95[i]),
    }));
    expect(new Set(shown.map((r) => JSON.stringify(r)))).toEqual(
      new Set(
        status.tools.map((t) =>
          JSON.stringify({ label: t.label, calls: t.calls, p95_us: t.p95_us }),
        ),
      ),
    );
    await expect
      .poll(() => page.getByText(HOSTILE_TOOL_SHOWN, { exact: true }).count())
      .toBeGreaterThan(0);
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(await page.locator('body').textContent()).not.toContain('\u202e');
    await page.getByText('search', { exact: true }).first().click();
    await page.locator('[data-tool="search"] canvas').first().waitFor();
    await screenshot(page, 'tools');
    await page.close();
  });

  it('errors: codes and recent errors; the hostile message is text', async () => {
    const page = await openPage('errors');
    await page.locator('td[data-key="error_code"]').first().waitFor();
    await page.locator('[data-chart="codes"] canvas').waitFor();
    await expect.poll(() => page.getByText(HOSTILE_MESSAGE).count()).toBeGreaterThan(0);
    expect(await page.locator('script:not([src])').count()).toBe(0);
    await screenshot(page, 'errors');
    await page.close();
  });

  it('sessions: the list, the hostile client name as text, and a waterfall on click', async () => {
    const page = await openPage('sessions');
    await page.locator('td[data-key="session_id"]').first().waitFor();
    await expect
      .poll(() => page.getByText(HOSTILE_CLIENT, { exact: false }).count())
      .toBeGreaterThan(0);
    expect(await page.locator('svg').count()).toBe(0);
    await page.getByText('sess-web-2', { exact: true }).first().click();
    await page.locator('.waterfall').waitFor();
    const session = (await cliJson(['session', 'sess-web-2', '--db', daemon.dbPath])) as {
      requests: unknown[];
    };
    expect(Number(await page.locator('.waterfall').getAttribute('data-calls'))).toBe(
      session.requests.length,
    );
    await screenshot(page, 'sessions');
    await page.close();
  });

  it('logs: the live tail shows an event sent through the daemon within 3 s', async () => {
    const page = await openPage('logs');
    await expect.poll(() => page.locator('.count').getAttribute('data-count')).toBe('60');
    await page.locator('input[name="live"]').check();
    const requestId = crypto.randomUUID();
    const sentAt = Date.now();
    client.record({
      kind: 'request',
      request_id: requestId,
      method: 'tools/call',
      tool: 'tailed_tool',
      latency_us: 1234,
      status: 'ok',
    });
    await client.flush(5000);
    await page
      .locator(`[data-request-id="${requestId}"]`)
      .waitFor({ timeout: 3000 - (Date.now() - sentAt) });
    await screenshot(page, 'logs');
    await page.close();
  });

  it('schema: capture status, items and changes', async () => {
    const page = await openPage('schema');
    await page.locator('[data-capture]').first().waitFor();
    expect(await page.locator('[data-capture]').first().getAttribute('data-capture')).toBe(
      'partial',
    );
    await expect
      .poll(() => page.getByText('idle_tool', { exact: true }).count())
      .toBeGreaterThan(0);
    await screenshot(page, 'schema');
    await page.close();
  });

  it('keeps a screenful of rows in the DOM with 50,000 log rows loaded, and scrolls to the last', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) =>
      fixtureRequest({ ts: Date.now() - 1000 - i * 10, latency_us: i + 1 }),
    );
    const file = buildStore(rows);
    const big = await startUi([
      '--db',
      file,
      '--socket',
      path.join(path.dirname(file), 'none.sock'),
    ]);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (error) => consoleProblems.push(`big logs: ${error.message}`));
    await page.goto(`${big.url}/?view=logs&since=24h`);
    await page.locator('input[name="tail"]').fill('50000');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => page.locator('.count').getAttribute('data-count'), { timeout: 30_000 })
      .toBe('50000');
    expect(await page.locator('.log-row[data-request-id]').count()).toBeLessThan(200);
    await page.locator('.virtual-list').evaluate((list) => {
      list.scrollTop = list.scrollHeight;
    });
    // The oldest row (the last, newest first) is drawn once scrolled to.
    const oldest = rows[rows.length - 1] as { request_id: string };
    await page.locator(`[data-request-id="${oldest.request_id}"]`).waitFor({ timeout: 5000 });
    await page.close();
    big.proc.kill('SIGTERM');
  });

  it('raised no console error and no dialog on any screen', () => {
    expect(consoleProblems).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
