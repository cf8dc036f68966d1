// The README's "Record from your proxy" example, run exactly as written
// against a real daemon.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type DaemonProcess, REPO_ROOT, startDaemon } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';

const daemons: DaemonProcess[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

it('runs the README example as written and stores its events', async () => {
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Record from your proxy'));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeTruthy();
  const daemon = await startDaemon();
  daemons.push(daemon);
  // Inside the repository so that '@mcpr-store/client' resolves like an installed package.
  const script = path.join(REPO_ROOT, 'test', `.readme-example-${process.pid}.mjs`);
  fs.writeFileSync(script, code as string);
  try {
    const run = spawnSync(process.execPath, [script], {
      env: { ...process.env, MCPR_STORE_SOCKET: daemon.socketPath },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('committed: 2');
  } finally {
    fs.rmSync(script, { force: true });
  }
  const db = new Database(daemon.dbPath, { readonly: true });
  try {
    expect(db.prepare('SELECT proxy, method, tool, status FROM requests').all()).toEqual([
      { proxy: 'my-proxy', method: 'tools/call', tool: 'search', status: 'ok' },
    ]);
    expect(db.prepare('SELECT client_platform, total_calls FROM sessions').get()).toEqual({
      client_platform: 'claude',
      total_calls: 1,
    });
  } finally {
    db.close();
  }
});
