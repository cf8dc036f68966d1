// The README's Quick start and CLI examples, run as written: the daemon
// started the way Quick start says (npx, on the embedded default under
// ~/.mcpr/), a proxy recording through it, then every `$ mcpr-store ...`
// line of "Query the store" against what it stored. Each must succeed, and
// where the README shows a table, the real table's header must be the one
// shown, so the examples cannot drift from the product.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { StoreClient } from '@mcpr-store/client';
import { REPO_ROOT, runCli, tempDir } from '@mcpr-store/test-utils';
import { afterAll, expect, it } from 'vitest';

const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const home = tempDir('mcpr-home-');
const env = { HOME: home, TZ: 'UTC', MCPR_DB: '', MCPR_STORE_SOCKET: '' };
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops) await stop();
});

/** The body of the first fenced block of `kind` after `heading`. */
function block(heading: string, kind: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const found = new RegExp(`\`\`\`${kind}\\n([\\s\\S]*?)\`\`\``).exec(section)?.[1];
  if (!found) throw new Error(`no ${kind} block after ${heading}`);
  return found;
}

/** Each `$ command` of a console block, its comment cut off, with the first line the README shows after it. */
function examples(console: string): { argv: string[]; firstLine: string }[] {
  const lines = console.split('\n');
  return lines.flatMap((line, i) => {
    if (!line.startsWith('$ mcpr-store ')) return [];
    const command = (line.slice('$ mcpr-store '.length).split('#')[0] as string).trim();
    return [{ argv: command.split(/\s+/), firstLine: lines[i + 1] ?? '' }];
  });
}

const words = (line: string) => line.trim().split(/\s{2,}/);

async function record(socketPath: string): Promise<void> {
  const now = Date.now();
  const store = new StoreClient({ socketPath, proxy: 'proxy-2' });
  const session = 'sess-001999-cnvxkl';
  store.record({
    kind: 'session',
    session_id: session,
    started_at: now - 5 * 60_000,
    client_name: 'windsurf-client',
    client_version: '2.1',
    client_platform: 'windsurf',
  });
  for (const [proxy, upstream] of [
    ['proxy-1', 'https://proxy-1.upstream.example/mcp'],
    ['proxy-2', 'https://proxy-2.upstream.example/mcp'],
  ] as const) {
    store.record({
      kind: 'schema_version',
      proxy,
      upstream_url: upstream,
      method: 'initialize',
      payload: {
        protocolVersion: '2025-06-18',
        serverInfo: { name: `${proxy}-server`, version: '1.0.0' },
        capabilities: { tools: {} },
      },
    });
    store.record({
      kind: 'schema_version',
      proxy,
      upstream_url: upstream,
      method: 'tools/list',
      payload: { tools: [{ name: 'summarize' }, { name: 'never_called' }] },
    });
  }
  for (let i = 0; i < 30; i += 1) {
    store.record({
      kind: 'request',
      proxy: i % 2 ? 'proxy-1' : 'proxy-2',
      session_id: session,
      method: 'tools/call',
      tool: 'summarize',
      latency_us: i % 5 === 0 ? 1_500_000 : 20_000 + i,
      status: i % 4 ? 'ok' : 'error',
      bytes_in: 300,
      bytes_out: 20_000,
      ts: now - i * 1000,
    });
  }
  await store.close(10_000);
  expect(store.stats()).toMatchObject({ committed: 35, rejected: 0 });
}

it('runs the Quick start and every CLI example of the README', { timeout: 120_000 }, async () => {
  const quickStart = block('## Quick start', 'sh');
  const start = quickStart
    .split('\n')
    .find((line) => line.includes('npx mcpr-store daemon')) as string;
  const daemonCommand = (start.split('&&').pop() as string).split('#')[0]?.trim() as string;
  expect(daemonCommand).toBe('npx mcpr-store daemon');
  const daemon = spawn('npx', daemonCommand.split(' ').slice(1), {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  stops.push(async () => {
    daemon.kill('SIGTERM');
    await new Promise((resolve) => daemon.once('exit', resolve));
  });
  const socketPath = path.join(home, '.mcpr', 'store.sock');
  for (let i = 0; i < 300 && !fs.existsSync(socketPath); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect((await runCli(['health'], env)).code).toBe(0);
  await record(socketPath);

  const all = examples(block('## Query the store', 'console'));
  // The README shows at least these: logs, slow, sessions, status, schema, --unused, stats, vacuum.
  expect(all.length).toBeGreaterThanOrEqual(8);
  for (const { argv, firstLine } of all) {
    const out = await runCli(argv, env);
    expect([argv.join(' '), out.code, out.stderr]).toEqual([argv.join(' '), 0, '']);
    // A table's header is exactly the one the README shows.
    if (/^[A-Z][A-Z /%()+:0-9-]*\s{2,}[A-Z]/.test(firstLine)) {
      expect([argv.join(' '), words(out.stdout.split('\n')[0] as string)]).toEqual([
        argv.join(' '),
        words(firstLine),
      ]);
    }
  }
});
