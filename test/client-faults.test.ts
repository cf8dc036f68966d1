// Proxy processes using StoreClient while the daemon restarts, dies or never
// comes: after every client's flush the database holds each event once.
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  type DaemonProcess,
  RawClient,
  REPO_ROOT,
  rollupsAgainstRows,
  startDaemon,
  tempDir,
} from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';

const LOAD_CLIENT = path.join(REPO_ROOT, 'test/fixtures/load-client.mjs');
const daemons: DaemonProcess[] = [];

afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop('SIGKILL')));
});

interface ClientRun {
  code: number;
  stats: Record<string, number>;
  stderr: string;
  wallMs: number;
}

function loadClient(args: string[]): Promise<ClientRun> {
  const started = Date.now();
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [LOAD_CLIENT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    proc.on('exit', (code) => {
      let stats: Record<string, number> = {};
      try {
        stats = JSON.parse(stdout.trim());
      } catch {
        // Reported through code and stderr.
      }
      resolve({ code: code ?? -1, stats, stderr, wallMs: Date.now() - started });
    });
  });
}

/** Waits until `clients` load clients are connected and the daemon has committed some of their events. */
async function waitForLoad(daemon: DaemonProcess, clients: number): Promise<void> {
  const watcher = await RawClient.open(daemon.socketPath);
  try {
    for (let id = 1; ; id += 1) {
      const health = await watcher.health(id);
      if ((health.connections as number) > clients && (health.committed as number) >= 1000) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    watcher.close();
  }
}

function verifyExactlyOnce(dbPath: string, prefixes: string[], count: number): void {
  const db = new Database(dbPath, { readonly: true });
  try {
    for (const prefix of prefixes) {
      const row = db
        .prepare(
          "SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS distinct_ids FROM requests WHERE request_id LIKE ? || '-%'",
        )
        .get(prefix) as { n: number; distinct_ids: number };
      expect({ prefix, ...row }).toEqual({ prefix, n: count, distinct_ids: count });
      const session = db
        .prepare('SELECT total_calls, total_errors FROM sessions WHERE session_id = ?')
        .get(`session-${prefix}`);
      expect(session).toEqual({ total_calls: count, total_errors: count / 10 });
    }
  } finally {
    db.close();
  }
}

describe('StoreClient under daemon faults', () => {
  it('loses nothing when the daemon is restarted under load from several processes', async () => {
    const dir = tempDir();
    const first = await startDaemon({ dir });
    daemons.push(first);
    const prefixes = ['ra', 'rb', 'rc'];
    const count = 20_000;
    const runs = prefixes.map((p) => loadClient([first.socketPath, p, String(count), '200', '10']));
    await waitForLoad(first, prefixes.length);
    expect(await first.stop('SIGTERM')).toBe(0);
    const second = await startDaemon({ dir });
    daemons.push(second);
    const results = await Promise.all(runs);
    for (const run of results) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stats).toMatchObject({ committed: count, dropped: 0, rejected: 0 });
    }
    // The restart happened while the clients were connected and sending.
    expect(
      results.reduce((sum, run) => sum + (run.stats.reconnects ?? 0), 0),
    ).toBeGreaterThanOrEqual(1);
    verifyExactlyOnce(second.dbPath, prefixes, count);
  });

  it('stores every event exactly once after kill -9 under load and a restart', async () => {
    const dir = tempDir();
    const first = await startDaemon({ dir });
    daemons.push(first);
    const prefixes = ['ka', 'kb', 'kc', 'kd'];
    const count = 20_000;
    const runs = prefixes.map((p) => loadClient([first.socketPath, p, String(count), '200', '10']));
    await waitForLoad(first, prefixes.length);
    await first.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const second = await startDaemon({ dir });
    daemons.push(second);
    const results = await Promise.all(runs);
    for (const run of results) {
      expect(run.code).toBe(0);
      expect(run.stats).toMatchObject({ dropped: 0, rejected: 0 });
      // Batches committed before the kill but not acked come back as duplicates.
      expect(run.stats.committed).toBeGreaterThanOrEqual(count);
    }
    expect(
      results.reduce((sum, run) => sum + (run.stats.reconnects ?? 0), 0),
    ).toBeGreaterThanOrEqual(1);
    verifyExactlyOnce(second.dbPath, prefixes, count);
    // The rollups lost their last second to the kill; the restart caught them up.
    await second.stop();
    const { rolled, counted } = rollupsAgainstRows(second.dbPath);
    expect(counted.length).toBeGreaterThan(0);
    expect(rolled).toEqual(counted);
  });

  it('keeps memory bounded, counts drops and exits on time when the daemon never comes', async () => {
    const socketPath = path.join(tempDir(), 'nobody.sock');
    const run = await loadClient([socketPath, 'gone', '200000', '1000', '0', '500', '1000']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/flush timed out after 500 ms with 1000 events unanswered/);
    expect(run.stats.peak_queued).toBeLessThanOrEqual(1000);
    expect(run.stats.dropped).toBe(200_000);
    expect(run.stats.committed).toBe(0);
    expect(run.stats.peak_rss_bytes).toBeLessThan(200 * 1024 * 1024);
    expect(run.wallMs).toBeLessThan(20_000);
  });
});
