// PROTOCOL.md is enough to write a client: a client in Python, written from
// the specification alone (fixtures/protocol_client.py), talks to a real
// daemon and checks every promise it read there. Any check that fails is a
// place where the daemon and its specification disagree.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { type DaemonProcess, REPO_ROOT, runCli, startDaemon } from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';

/** Debian's interpreter, which python3-msgpack (installed by .ci/run) serves. */
const PYTHON = '/usr/bin/python3';

const daemons: DaemonProcess[] = [];
afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
});

it('a Python client written from PROTOCOL.md finds the daemon as specified', async () => {
  const d = await startDaemon();
  daemons.push(d);
  const run = spawnSync(
    PYTHON,
    [path.join(REPO_ROOT, 'test/fixtures/protocol_client.py'), d.socketPath],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.status, `${PYTHON} failed (is python3-msgpack installed?): ${run.stderr}`).toBe(0);
  const { checks } = JSON.parse(run.stdout) as {
    checks: { name: string; ok: boolean; detail: string }[];
  };
  expect(checks.length).toBeGreaterThanOrEqual(25);
  expect(checks.filter((c) => !c.ok)).toEqual([]);

  // What the Python client stored reads back: a request's session that was
  // never announced got a row from its requests, and every string is valid
  // UTF-8 (the long astral error message was cut on a character boundary).
  const rows = (await runCli(['logs', '--db', d.dbPath, '--json', '--tail', '100'])).stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { error_msg: string | null });
  const astral = rows.find((r) => r.error_msg?.startsWith('a\u{1F600}'));
  expect(astral?.error_msg).toBe(`a${'\u{1F600}'.repeat(511)}`);
  const db = new Database(d.dbPath, { readonly: true });
  try {
    const stored = db
      .prepare('SELECT CAST(error_msg AS BLOB) AS bytes FROM requests WHERE error_msg IS NOT NULL')
      .all() as { bytes: Buffer }[];
    expect(stored.length).toBeGreaterThan(0);
    const strict = new TextDecoder('utf-8', { fatal: true });
    for (const { bytes } of stored) expect(() => strict.decode(bytes)).not.toThrow();
  } finally {
    db.close();
  }
});
