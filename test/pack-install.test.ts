// The release files work where a proxy team would use them: `npm run pack`
// writes the tarballs, they install into an empty project of their own (no
// workspace links, no registry holding @mcpr-store packages), the daemon
// runs from that install, and an ES module and a CommonJS script each
// record through it. The CommonJS one runs with require(esm) switched off,
// as on the Node 20 releases that lack it, so it must get the CJS build.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type DaemonProcess, REPO_ROOT, startDaemon, tempDir } from '@mcpr-store/test-utils';
import { afterAll, expect, it } from 'vitest';

const daemons: DaemonProcess[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

const RECORD = (proxy: string) => `
  const store = new StoreClient({ socketPath: process.env.SOCKET, proxy: '${proxy}' });
  for (let i = 0; i < 25; i += 1) {
    store.record(requestEvent({
      request: { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: 'search' } },
      response: { jsonrpc: '2.0', id: i, result: { content: [] } },
      latency_us: 1000 + i,
      session_id: '${proxy}-session',
    }));
  }
  store.close(10000).then(() => console.log(JSON.stringify(store.stats())));
`;

it('installs from the packed tarballs and records from ESM and CommonJS', {
  timeout: 600_000,
}, async () => {
  const work = tempDir('mcpr-pack-');
  const release = path.join(work, 'release');
  const packed = execFileSync(process.execPath, ['scripts/pack.mjs', '--out', release], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .trim()
    .split('\n');
  expect(packed.map((file) => path.basename(file)).sort()).toEqual([
    'mcpr-store-client-0.1.0.tgz',
    'mcpr-store-daemon-0.1.0.tgz',
    'mcpr-store-protocol-0.1.0.tgz',
    'mcpr-store-query-0.1.0.tgz',
  ]);

  const project = path.join(work, 'proxy');
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'a-proxy', version: '1.0.0', private: true }),
  );
  const install = spawnSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packed],
    { cwd: project, encoding: 'utf8' },
  );
  expect(install.status, install.stderr).toBe(0);
  // Real copies, not links into this checkout.
  for (const name of ['protocol', 'client', 'query', 'daemon']) {
    const installed = path.join(project, 'node_modules/@mcpr-store', name);
    expect(fs.lstatSync(installed).isSymbolicLink()).toBe(false);
  }

  const cli = path.join(project, 'node_modules/.bin/mcpr-store');
  const daemon = await startDaemon({ cli });
  daemons.push(daemon);

  fs.writeFileSync(
    path.join(project, 'record.mjs'),
    `import { requestEvent, StoreClient } from '@mcpr-store/client';\n${RECORD('esm-proxy')}`,
  );
  fs.writeFileSync(
    path.join(project, 'record.cjs'),
    `const { requestEvent, StoreClient } = require('@mcpr-store/client');\n${RECORD('cjs-proxy')}`,
  );
  const env = { ...process.env, SOCKET: daemon.socketPath };
  const esm = spawnSync(process.execPath, ['record.mjs'], { cwd: project, env, encoding: 'utf8' });
  expect(esm.status, esm.stderr).toBe(0);
  const cjs = spawnSync(process.execPath, ['--no-experimental-require-module', 'record.cjs'], {
    cwd: project,
    env,
    encoding: 'utf8',
  });
  expect(cjs.status, cjs.stderr).toBe(0);
  for (const run of [esm, cjs]) {
    expect(JSON.parse(run.stdout)).toMatchObject({ committed: 25, rejected: 0, dropped: 0 });
  }

  const status = spawnSync(cli, ['status', '--db', daemon.dbPath, '--json'], { encoding: 'utf8' });
  expect(status.status, status.stderr).toBe(0);
  const logs = spawnSync(cli, ['logs', '--db', daemon.dbPath, '--json', '--tail', '100'], {
    encoding: 'utf8',
  });
  const rows = logs.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const of = (proxy: string) => rows.filter((row: { proxy: string }) => row.proxy === proxy);
  expect(of('esm-proxy')).toHaveLength(25);
  expect(of('cjs-proxy')).toHaveLength(25);
});
