// `store stats` and `store vacuum`: how big the store is, and retention.

import type { HealthReport } from '@mcpr-store/protocol/fields';
import { isPostgresUrl, queryStoreStats, redactPostgresUrl, type Store } from '@mcpr-store/query';
import { vacuumStore } from '../db/maintenance.js';
import { resolveDbPath } from '../paths.js';
import { askDaemon } from './daemon-answer.js';
import { parseCutoffMs } from './durations.js';
import { booleanFlag, type FlagSpec, type ParsedFlags, stringFlag } from './flags.js';
import { formatBytes, formatLocalTime, formatTime } from './format.js';
import {
  type AnswerContext,
  cliContext,
  printJson,
  type QueryAnswer,
  queryFlags,
  write,
} from './query-command.js';
import { ask, openQueryDb } from './query-store.js';
import { UsageError } from './usage-error.js';

export const STORE_HELP = `Usage: mcpr-store store <stats|vacuum> [options]

  store stats [--proxy NAME] [--json] [--db PATH] [--socket PATH]
      requests, sessions, time span, proxies, file sizes, and the retention policy of the
      daemon writing this database when it answers on --socket
  store vacuum --before CUTOFF [--proxy NAME] [--dry-run] [--json] [--db PATH]
      delete requests older than CUTOFF (a window such as 30d, or a date such as 2026-01-31),
      then sessions no request refers to and last seen before it; reclaim the space.
      --dry-run reports exactly what would be deleted and changes nothing. A cutoff in the
      future, or one that would delete every request, asks first (and, without a terminal,
      refuses) unless --yes is given. A running daemon deletes old rows by itself: see
      its --retain and --retain-bytes.

Examples:
  mcpr-store store stats
  mcpr-store store vacuum --before 30d --dry-run
  mcpr-store store vacuum --before 2026-01-31
`;

export async function runStore(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'stats') return runStats(rest);
  if (sub === 'vacuum') return runVacuum(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    write(STORE_HELP);
    return sub === undefined ? 1 : 0;
  }
  throw new UsageError(`store: unknown subcommand "${sub}" (stats or vacuum)`);
}

const STATS_FLAGS: FlagSpec = { socket: { type: 'string' } };

/** Store stats, and the retention policy of the daemon writing this very file when it answers. */
async function storeStats(flags: ParsedFlags, db: Store, context: AnswerContext) {
  const { dbPath } = context;
  const stats = queryStoreStats(db, dbPath, stringFlag(flags, 'proxy'));
  const daemon = await askDaemon(context, 'mcpr-store store stats');
  const retention = daemon?.db_path === dbPath ? (daemon.retention ?? null) : null;
  return { ...stats, retention };
}

export const STORE_STATS: QueryAnswer<ReturnType<typeof storeStats>> = {
  flags: STATS_FLAGS,
  answer: storeStats,
};

async function runStats(argv: string[]): Promise<number> {
  const flags = queryFlags('store stats', argv, STATS_FLAGS, STORE_HELP);
  if (!flags) return 0;
  const context = cliContext(flags);
  const { db } = openQueryDb(flags);
  const stats = await storeStats(flags, db, context).finally(() => db.close());
  if (printJson(flags, stats)) return 0;
  const { dbPath } = context;
  const nowMs = Date.now();
  write(
    [
      `database   ${redactPostgresUrl(dbPath)}`,
      `requests   ${stats.total_requests}`,
      `sessions   ${stats.total_sessions}`,
      `proxies    ${stats.proxy_count}`,
      `oldest     ${formatTime(stats.oldest_ts, nowMs)}`,
      `newest     ${formatTime(stats.newest_ts, nowMs)}`,
      `db file    ${formatBytes(stats.db_file_size)}`,
      `wal file   ${formatBytes(stats.wal_file_size)}`,
      `retention  ${describeRetention(stats.retention)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

/**
 * A vacuum that would delete everything, or whose cutoff is in the future,
 * is more likely a slip than a wish: it says how much it would delete and
 * asks (on a terminal) or refuses (otherwise); --yes skips the question.
 * Returns why it will not go on, or null to go on.
 */
async function confirmSweeping(
  dbPath: string,
  cutoffMs: number,
  nowMs: number,
  proxy: string | undefined,
): Promise<string | null> {
  const would = vacuumStore(dbPath, { cutoffMs, proxy, dryRun: true });
  const stats = ask({ values: { db: dbPath }, positionals: [] }, (db) =>
    queryStoreStats(db, dbPath, proxy),
  );
  const everything = would.deleted_requests > 0 && would.deleted_requests === stats.total_requests;
  const future = cutoffMs > nowMs;
  if (!everything && !future) return null;
  const what = `${would.deleted_requests} requests and ${would.deleted_sessions} sessions`;
  const why = future
    ? `the cutoff ${formatLocalTime(cutoffMs)} is in the future; this would delete ${what}`
    : `this would delete every request (${what})`;
  if (!process.stdin.isTTY) return `${why}; run again with --yes to do it`;
  const readline = await import('node:readline/promises');
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`${why}. Delete them? [y/N] `);
  prompt.close();
  return /^y(es)?$/i.test(answer.trim()) ? null : 'nothing deleted';
}

function describeRetention(retention: HealthReport['retention'] | null): string {
  if (retention === null) return '- (no daemon answers for this database)';
  if (retention.retain_ms === 0 && retention.retain_bytes === 0) return 'keeps everything';
  const parts = [];
  if (retention.retain_ms > 0) parts.push(`requests older than ${formatAge(retention.retain_ms)}`);
  if (retention.retain_bytes > 0)
    parts.push(`the oldest past ${formatBytes(retention.retain_bytes)}`);
  return `deletes ${parts.join(' and ')}; ${retention.deleted_requests} requests deleted since the daemon started`;
}

/** A duration in its largest whole unit (`30d`, `12h`). */
function formatAge(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms / 1000}s`;
}

async function runVacuum(argv: string[]): Promise<number> {
  const flags = queryFlags(
    'store vacuum',
    argv,
    {
      before: { type: 'string' },
      'dry-run': { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
    },
    STORE_HELP,
  );
  if (!flags) return 0;
  const before = stringFlag(flags, 'before');
  if (before === undefined) {
    throw new UsageError(
      'store vacuum: --before is required (e.g. --before 30d or --before 2026-01-31)',
    );
  }
  const nowMs = Date.now();
  const cutoffMs = parseCutoffMs(before, nowMs);
  const dbPath = resolveDbPath(stringFlag(flags, 'db'));
  if (isPostgresUrl(dbPath)) {
    throw new UsageError(
      "store vacuum: --db names PostgreSQL; vacuum deletes from a daemon's SQLite file (PostgreSQL keeps what it was sent)",
    );
  }
  const proxy = stringFlag(flags, 'proxy');
  const dryRun = booleanFlag(flags, 'dry-run');
  if (!dryRun && !booleanFlag(flags, 'yes')) {
    const refusal = await confirmSweeping(dbPath, cutoffMs, nowMs, proxy);
    if (refusal !== null) {
      process.stderr.write(`mcpr-store store vacuum: ${refusal}\n`);
      return 1;
    }
  }
  const result = vacuumStore(dbPath, { cutoffMs, proxy, dryRun });
  if (printJson(flags, result)) return 0;
  const verb = result.dry_run ? 'would delete' : 'deleted';
  write(
    `${verb} ${result.deleted_requests} requests and ${result.deleted_sessions} sessions older than ${formatLocalTime(cutoffMs)}` +
      (result.dry_run
        ? ' (dry run: nothing changed)\n'
        : `; reclaimed ${formatBytes(result.reclaimed_bytes)}\n`),
  );
  return 0;
}
