// The CLI as a good Unix tool: a closed pipe ends it quietly, tables keep
// ids apart and columns straight, help helps (per command, with examples,
// suggestions for typos, the environment and the exit codes), sizes take
// units, and a bad --db or a failed start says which file and leaves
// nothing behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildStore,
  CLI,
  FIXTURE_NOW,
  fixtureRequest,
  REPO_ROOT,
  runCli,
  tempDir,
} from '@mcpr-store/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';

let db: string;
beforeAll(() => {
  // Ids that differ only at their end, and enough rows to fill a pipe.
  db = buildStore(
    Array.from({ length: 3000 }, (_, i) =>
      fixtureRequest({
        session_id: `follow-test-s${i % 3}`,
        ts: FIXTURE_NOW - 60_000 + i,
        error_msg: i % 7 === 0 ? 'x'.repeat(200) : null,
        status: i % 7 === 0 ? 'error' : 'ok',
      }),
    ),
  );
});

/** Runs the CLI into `head -n 3` in a shell pipeline, the way a person pipes it. */
function intoHead(args: string[]): Promise<{ code: number; stderr: string }> {
  const errFile = path.join(tempDir(), 'stderr');
  return new Promise((resolve) => {
    const pipeline = spawn(
      'bash',
      [
        '-c',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash script, not a template.
        '"$0" "$@" 2>"$ERR_FILE" | head -n 3 >/dev/null; echo "${PIPESTATUS[0]}"',
        process.execPath,
        CLI,
        ...args,
      ],
      { env: { ...process.env, ERR_FILE: errFile }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    pipeline.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    pipeline.on('exit', () =>
      resolve({ code: Number(out.trim()), stderr: fs.readFileSync(errFile, 'utf8') }),
    );
  });
}

describe('a closed stdout', () => {
  it.each([
    [['logs', '--tail', '3000']],
    [['logs', '--tail', '3000', '--json']],
    [['slow', '--threshold', '0us', '--limit', '3000']],
    [['sessions', '--json']],
    [['session', 'follow-test-s1']],
  ])('ends %o quietly with status 0', async (args) => {
    const run = await intoHead([...args, '--db', db]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('tables', () => {
  it('shows the shortest session id prefix that tells them apart', async () => {
    const out = await runCli(['logs', '--db', db, '--tail', '6']);
    expect(out.stdout).toMatch(/follow-test-s0/);
    expect(out.stdout).toMatch(/follow-test-s1/);
    expect(out.stdout).toMatch(/follow-test-s2/);
  });

  it('logs -f keeps later, wider rows in the columns of its header', async () => {
    const store = buildStore([fixtureRequest({ tool: 'a', session_id: 's' })]);
    const follow = spawn(process.execPath, [CLI, 'logs', '-f', '--db', store], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    follow.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise((resolve) => setTimeout(resolve, 800));
    buildStore(
      [
        fixtureRequest({
          tool: 'a-tool-whose-name-is-far-longer-than-any-before-it',
          session_id: 's',
        }),
        fixtureRequest({
          tool: 'b',
          session_id: 'a-session-id-much-longer-than-the-first',
          status: 'error',
        }),
      ],
      store,
    );
    await new Promise((resolve) => setTimeout(resolve, 1500));
    follow.kill('SIGINT');
    await new Promise((resolve) => follow.on('exit', resolve));
    const [header, ...rows] = out.trim().split('\n');
    expect(rows).toHaveLength(3);
    const statusAt = (header as string).indexOf('STATUS');
    for (const row of rows) expect(row.slice(statusAt)).toMatch(/^(ok|error) /);
    expect(rows[1]).toContain('…');
  });

  it('names the time zone of its times in the header', async () => {
    const out = await runCli(['logs', '--db', db, '--tail', '1'], { TZ: 'Asia/Kolkata' });
    expect(out.stdout.split('\n')[0]).toMatch(/^TIME \(UTC\+05:30\)/);
    const utc = await runCli(['logs', '--db', db, '--tail', '1'], { TZ: 'UTC' });
    expect(utc.stdout.split('\n')[0]).toMatch(/^TIME \(UTC\)/);
  });

  it('schema --unused gives STATUS its own column', async () => {
    const store = buildStore([
      {
        kind: 'schema_version',
        ts: FIXTURE_NOW,
        proxy: 'p1',
        upstream_url: 'http://up',
        method: 'tools/list',
        payload: JSON.stringify({ tools: [{ name: 'never_called' }, { name: 'search' }] }),
      },
      fixtureRequest({ tool: 'search' }),
    ]);
    const out = await runCli(['schema', '--unused', '--db', store]);
    const [header, ...rows] = out.stdout.trim().split('\n');
    const at = (line: string | undefined, word: string) => line?.indexOf(word) ?? -1;
    expect(at(header, 'STATUS')).toBeGreaterThan(0);
    const unused = rows.find((r) => r.includes('never_called')) as string;
    // The CALLS column's right edge is the same in every row.
    const callsEnd = at(header, 'CALLS') + 'CALLS'.length;
    expect(unused.slice(at(header, 'STATUS'))).toMatch(/^unused in 7d/);
    expect(unused[callsEnd - 1]).toBe('0');
  });
});

describe('help', () => {
  it('help COMMAND prints that command help, with examples', async () => {
    for (const command of ['logs', 'slow', 'sessions', 'status', 'schema', 'store', 'daemon']) {
      const out = await runCli(['help', command]);
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(new RegExp(`^Usage: mcpr-store ${command}`));
      expect(out.stdout).toMatch(/Examples:\n {2}mcpr-store /);
    }
  });

  it('suggests the command or flag that was meant', async () => {
    const command = await runCli(['sesions']);
    expect(command.code).toBe(1);
    expect(command.stderr).toMatch(/unknown command "sesions"; did you mean "sessions"\?/);
    const flag = await runCli(['logs', '--sinse', '1h', '--db', db]);
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/did you mean --since\?/);
  });

  it('lists the environment and the exit codes', async () => {
    const out = await runCli(['--help']);
    for (const text of [
      'MCPR_DB',
      'MCPR_STORE_SOCKET',
      'NO_COLOR',
      'Exit status:',
      '2  health: no daemon answers; daemon: a bad flag',
    ]) {
      expect(out.stdout).toContain(text);
    }
  });
});

describe('npx mcpr-store daemon', () => {
  it('stops the daemon, gracefully, when npx is told to stop', async () => {
    const dir = tempDir();
    const socketPath = path.join(dir, 'store.sock');
    const npx = spawn(
      'npx',
      [
        '--no-install',
        'mcpr-store',
        'daemon',
        '--db',
        path.join(dir, 'store.db'),
        '--socket',
        socketPath,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let daemonPid = 0;
    for (let i = 0; i < 200 && daemonPid === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const health = await runCli(['health', '--socket', socketPath, '--json']);
      if (health.code === 0) daemonPid = JSON.parse(health.stdout).pid;
    }
    expect(daemonPid).toBeGreaterThan(0);
    expect(daemonPid).not.toBe(npx.pid);
    npx.kill('SIGTERM');
    const alive = () => {
      try {
        process.kill(daemonPid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(alive()).toBe(false);
    // It stopped the graceful way: the socket file is gone.
    expect(fs.existsSync(socketPath)).toBe(false);
  });
});

describe('flags and files', () => {
  it('takes sizes with units where a flag takes bytes, and says what a bad one is', async () => {
    const bad = await runCli([
      'daemon',
      '--max-held-bytes',
      '64MiBs',
      '--db',
      path.join(tempDir(), 'x.db'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--max-held-bytes: "64MiBs" is not a size/);
    const help = await runCli(['daemon', '--help']);
    expect(help.stdout).toMatch(/--max-held-bytes SIZE/);
  });

  it('names the file and the problem for a --db that is not a database or is a folder', async () => {
    const dir = tempDir();
    const notDb = path.join(dir, 'notes.txt');
    fs.writeFileSync(notDb, 'hello, this is no database\n'.repeat(100));
    const text = await runCli(['logs', '--db', notDb]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe(
      `mcpr-store: cannot read the database ${notDb}: it is not an SQLite database\n`,
    );
    const folder = await runCli(['status', '--db', dir]);
    expect(folder.stderr).toBe(
      `mcpr-store: cannot read the database ${dir}: it is a directory, not a file\n`,
    );
  });

  it('a daemon that cannot start says which file and leaves nothing it created', async () => {
    const dir = tempDir();
    const notDb = path.join(dir, 'store.db');
    fs.writeFileSync(notDb, 'not a database at all\n'.repeat(100));
    const out = await runCli(['daemon', '--db', notDb, '--socket', path.join(dir, 's.sock')]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`cannot open the database ${notDb}: it is not an SQLite database`);
    expect(fs.readdirSync(dir).sort()).toEqual(['store.db']);
    const folder = path.join(dir, 'a-folder');
    fs.mkdirSync(folder);
    const again = await runCli(['daemon', '--db', folder, '--socket', path.join(dir, 's.sock')]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`cannot open the database ${folder}: it is a directory`);
    expect(fs.readdirSync(dir).sort()).toEqual(['a-folder', 'store.db']);
  });

  it('store stats prints the size names health uses beside mcpr`s', async () => {
    const out = await runCli(['store', 'stats', '--db', db, '--json']);
    const stats = JSON.parse(out.stdout);
    expect(stats.db_size_bytes).toBe(stats.db_file_size);
    expect(stats.wal_size_bytes).toBe(stats.wal_file_size);
    expect(stats.db_size_bytes).toBeGreaterThan(0);
  });
});
