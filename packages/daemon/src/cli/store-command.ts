// `store stats` and `store vacuum`: how big the store is, and retention.

import { queryStoreStats } from '@mcpr-store/query';
import { vacuumStore } from '../db/maintenance.js';
import { resolveDbPath } from '../paths.js';
import { parseCutoffMs } from './durations.js';
import { booleanFlag, stringFlag } from './flags.js';
import { formatBytes, formatLocalTime, formatTime } from './format.js';
import { ask, printJson, queryFlags, write } from './query-command.js';
import { UsageError } from './usage-error.js';

export const STORE_HELP = `Usage: mcpr-store store <stats|vacuum> [options]

  store stats [--proxy NAME] [--json] [--db PATH]
      requests, sessions, time span, proxies, file sizes
  store vacuum --before CUTOFF [--proxy NAME] [--dry-run] [--json] [--db PATH]
      delete requests older than CUTOFF (a window such as 30d, or a date such as 2026-01-31),
      then sessions no request refers to and last seen before it; reclaim the space.
      --dry-run reports exactly what would be deleted and changes nothing.

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

async function runStats(argv: string[]): Promise<number> {
  const flags = queryFlags('store stats', argv, {}, STORE_HELP);
  if (!flags) return 0;
  const dbPath = resolveDbPath(stringFlag(flags, 'db'));
  const stats = ask(flags, (db) => queryStoreStats(db, dbPath, stringFlag(flags, 'proxy')));
  if (printJson(flags, stats)) return 0;
  const nowMs = Date.now();
  write(
    [
      `database   ${dbPath}`,
      `requests   ${stats.total_requests}`,
      `sessions   ${stats.total_sessions}`,
      `proxies    ${stats.proxy_count}`,
      `oldest     ${formatTime(stats.oldest_ts, nowMs)}`,
      `newest     ${formatTime(stats.newest_ts, nowMs)}`,
      `db file    ${formatBytes(stats.db_file_size)}`,
      `wal file   ${formatBytes(stats.wal_file_size)}`,
      '',
    ].join('\n'),
  );
  return 0;
}

async function runVacuum(argv: string[]): Promise<number> {
  const flags = queryFlags(
    'store vacuum',
    argv,
    { before: { type: 'string' }, 'dry-run': { type: 'boolean' } },
    STORE_HELP,
  );
  if (!flags) return 0;
  const before = stringFlag(flags, 'before');
  if (before === undefined) {
    throw new UsageError(
      'store vacuum: --before is required (e.g. --before 30d or --before 2026-01-31)',
    );
  }
  const cutoffMs = parseCutoffMs(before, Date.now());
  const result = vacuumStore(resolveDbPath(stringFlag(flags, 'db')), {
    cutoffMs,
    proxy: stringFlag(flags, 'proxy'),
    dryRun: booleanFlag(flags, 'dry-run'),
  });
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
