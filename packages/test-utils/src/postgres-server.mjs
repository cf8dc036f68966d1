// A throwaway PostgreSQL server for tests and benchmarks: Debian's own
// binaries, initdb into a temporary directory, a free port on loopback, a
// password user (so authentication is real), stopped and removed at the end.
// PostgreSQL refuses to run as root, and CI runs as root: there, every
// server command runs as the `postgres` user the Debian package creates.
// Plain JavaScript (typed by postgres-server.d.mts) so that the benchmark
// scripts, which Node runs as they are, start their server the same way.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.mjs';

const DEBIAN_ROOT = '/usr/lib/postgresql';
const SERVER_USER = 'postgres';

export function postgresBinDir() {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return fs.existsSync(path.join(fromEnv, 'initdb')) ? fromEnv : null;
  if (!fs.existsSync(DEBIAN_ROOT)) return null;
  const versions = fs
    .readdirSync(DEBIAN_ROOT)
    .filter((v) => fs.existsSync(path.join(DEBIAN_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(DEBIAN_ROOT, versions[0], 'bin') : null;
}

export async function startPostgres(options = {}) {
  const bin = postgresBinDir();
  if (!bin)
    throw new Error(
      `no PostgreSQL server binaries under ${DEBIAN_ROOT} (apt-get install postgresql)`,
    );
  const asRoot = process.getuid?.() === 0;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpr-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  const pwFile = path.join(dir, 'pwfile');
  const user = 'mcpr';
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  fs.writeFileSync(pwFile, `${password}\n`);
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', SERVER_USER]).toString().trim());
    const gid = Number(execFileSync('id', ['-g', SERVER_USER]).toString().trim());
    for (const p of [dir, pwFile]) fs.chownSync(p, uid, gid);
  }
  const run = (program, args) => {
    const file = path.join(bin, program);
    if (asRoot)
      execFileSync('runuser', ['-u', SERVER_USER, '--', file, ...args], { stdio: 'pipe' });
    else execFileSync(file, args, { stdio: 'pipe' });
  };
  run('initdb', [
    '-D',
    data,
    '-U',
    user,
    `--pwfile=${pwFile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    ...(options.durable
      ? []
      : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', logFile, '-o', serverOptions, '-w', 'start']);
  const stopServer = () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
  start();
  let running = true;
  return {
    url: `postgres://${user}:${password}@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    user,
    password,
    database: 'postgres',
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    pause() {
      if (running) stopServer();
      running = false;
    },
    resume() {
      if (!running) start();
      running = true;
    },
    stop() {
      try {
        if (running) stopServer();
      } finally {
        running = false;
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
