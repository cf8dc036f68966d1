// `mcpr-store daemon`: runs in the foreground until SIGTERM or SIGINT (the
// way systemd and every supervisor expect), then stops gracefully and exits
// 0. A second signal exits at once. A daemon that cannot start says why on
// one line and exits 1.

import { isPostgresUrl, postgresUrlProblem, redactPostgresUrl } from '@mcpr-store/query';
import { type ListenAddress, parseListenAddress } from '../listen-address.js';
import { createLogger, LOG_LEVELS, type LogLevel } from '../log.js';
import { resolveDbPath, resolveSocketPath } from '../paths.js';
import { Daemon, type DaemonOptions, DEFAULT_OPTIONS } from '../server/daemon.js';
import { parseWindowMs } from './durations.js';
import { booleanFlag, integerFlag, parseFlags, sizeFlag, stringFlag } from './flags.js';
import { hidePasswordFromPs } from './process-title.js';
import { UsageError } from './usage-error.js';

export const DAEMON_HELP = `Usage: mcpr-store daemon [options]

Runs the store in the foreground until SIGTERM or SIGINT.

  --db PATH                 database file (default $MCPR_DB, else ~/.mcpr/store.db)
  --socket PATH             Unix socket (default $MCPR_STORE_SOCKET, else ~/.mcpr/store.sock)
  --socket-mode MODE        octal mode of the socket file (default 660)
  --transaction-max-events N  a write transaction closes at N events (default ${DEFAULT_OPTIONS.transactionMaxEvents});
                            --batch-max-events is the same flag
  --transaction-delay-ms N  ...or when its oldest event waited N ms (default ${DEFAULT_OPTIONS.transactionDelayMs});
                            --batch-delay-ms is the same flag
  --max-held-events N       stop reading sockets above N events held (default ${DEFAULT_OPTIONS.maxHeldEvents})
  --max-held-bytes SIZE     stop reading sockets above SIZE held (default 64MiB)
  --max-frame-bytes SIZE    largest frame accepted (default 4MiB)
  --frame-timeout-ms N      close a peer that leaves a frame unfinished this long (default ${DEFAULT_OPTIONS.frameTimeoutMs})
  --retain DURATION         delete requests older than this (e.g. 7d, 30d, 12h; default 30d;
                            0 keeps everything), then sessions no request refers to and old
                            schema changes; never the latest schema snapshots
  --retain-bytes SIZE       once the data passes SIZE, delete the oldest requests until it is
                            back under (e.g. 10GiB; default 0, no bound); below --max-db-bytes
  --retention-interval-ms N how often retention runs (default 60000; with --retain-bytes at
                            most every second)
  --max-db-bytes SIZE       hard cap on the database size; past it writes fail as "disk full"
                            (default 0, no cap)
  --metrics-listen ADDR     serve GET /metrics for Prometheus at HOST:PORT (off by default;
                            a bare PORT is on 127.0.0.1; any other host only when named;
                            under systemd, see the unit's drop-in for AF_INET)
  --metrics-max-tools N     tool names labelled per proxy; the rest count as _other (default 200)
  --replicate-to URL        copy every committed row to PostgreSQL (postgres://USER@HOST:PORT/DB;
                            default $MCPR_REPLICATE_URL, else off). Give the password in
                            PGPASSWORD or ~/.pgpass rather than the URL; under systemd, see
                            the unit's drop-in for AF_INET
  --shutdown-timeout-ms N   on stop, wait this long for held batches to commit (default ${DEFAULT_OPTIONS.shutdownTimeoutMs})
  --log-level LEVEL         debug, info, warn or error (default info)

Sizes take units: 64MiB, 10GB, 512KiB, or plain bytes.

Examples:
  mcpr-store daemon
  mcpr-store daemon --db /var/lib/mcpr-store/store.db --socket /run/mcpr-store/store.sock
  mcpr-store daemon --max-db-bytes 20GiB --log-level warn
`;

/** `--metrics-listen`; null when not given (metrics are off). */
function listenFlag(text: string | undefined): ListenAddress | null {
  return text === undefined ? null : parseListenAddress(text, '--metrics-listen', 9464);
}

/** `--retain`: a duration, or 0 to keep everything. */
function retainFlag(text: string | undefined): number {
  if (text === undefined) return DEFAULT_OPTIONS.retainMs;
  if (/^\s*0+\s*$/.test(text)) return 0;
  return parseWindowMs(text, '--retain');
}

/** `--replicate-to`, else MCPR_REPLICATE_URL; null when neither (replication is off). */
function replicateFlag(text: string | undefined): string | null {
  const url = text ?? process.env.MCPR_REPLICATE_URL;
  if (url === undefined || url === '') return null;
  const problem = postgresUrlProblem(url);
  const source = text === undefined ? 'MCPR_REPLICATE_URL' : '--replicate-to';
  if (problem) throw new UsageError(`${source}: ${problem} (got ${redactPostgresUrl(url)})`);
  if (text !== undefined) hidePasswordFromPs(text);
  return url;
}

/** Flags renamed, with the old name still accepted: [flag, old name]. */
const FLAG_ALIASES = [
  ['transaction-max-events', 'batch-max-events'],
  ['transaction-delay-ms', 'batch-delay-ms'],
] as const;

/**
 * Runs the daemon. A bad flag exits 2 before anything is created (no file,
 * no socket, no lock), a start that fails exits 1, a stop exits 0.
 */
export async function runDaemon(argv: string[]): Promise<number> {
  let options: DaemonOptions | null;
  try {
    options = readOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`mcpr-store daemon: ${error.message}\n`);
    return 2;
  }
  if (options === null) return 0;
  return serve(options);
}

/** The daemon's options from its flags; null when --help was asked (and printed). */
function readOptions(argv: string[]): DaemonOptions | null {
  const flags = parseFlags('daemon', argv, {
    db: { type: 'string' },
    socket: { type: 'string' },
    'socket-mode': { type: 'string' },
    'transaction-max-events': { type: 'string' },
    'transaction-delay-ms': { type: 'string' },
    ...Object.fromEntries(FLAG_ALIASES.map(([, alias]) => [alias, { type: 'string' } as const])),
    'max-held-events': { type: 'string' },
    'max-held-bytes': { type: 'string' },
    'max-frame-bytes': { type: 'string' },
    'frame-timeout-ms': { type: 'string' },
    'max-db-bytes': { type: 'string' },
    retain: { type: 'string' },
    'retain-bytes': { type: 'string' },
    'retention-interval-ms': { type: 'string' },
    'metrics-listen': { type: 'string' },
    'metrics-max-tools': { type: 'string' },
    'replicate-to': { type: 'string' },
    'shutdown-timeout-ms': { type: 'string' },
    'log-level': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (booleanFlag(flags, 'help')) {
    process.stdout.write(DAEMON_HELP);
    return null;
  }
  const level = (stringFlag(flags, 'log-level') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(level)) {
    throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got "${level}"`);
  }
  const modeText = stringFlag(flags, 'socket-mode') ?? '660';
  if (!/^[0-7]{3,4}$/.test(modeText)) {
    throw new UsageError(`--socket-mode: expected an octal mode such as 660, got "${modeText}"`);
  }
  for (const [flag, alias] of FLAG_ALIASES) {
    if (flags.values[alias] === undefined) continue;
    if (flags.values[flag] !== undefined) {
      throw new UsageError(`--${alias} is the old name of --${flag}; give one of them`);
    }
    flags.values[flag] = flags.values[alias];
  }
  const logger = createLogger(level);
  const dbFlag = stringFlag(flags, 'db');
  if (isPostgresUrl(resolveDbPath(dbFlag))) {
    throw new UsageError(
      `${dbFlag === undefined ? 'MCPR_DB' : '--db'}: the daemon writes a SQLite file; to copy its rows to PostgreSQL, give --replicate-to URL`,
    );
  }
  const options = {
    dbPath: resolveDbPath(stringFlag(flags, 'db')),
    socketPath: resolveSocketPath(stringFlag(flags, 'socket')),
    socketMode: Number.parseInt(modeText, 8),
    transactionMaxEvents: integerFlag(
      flags,
      'transaction-max-events',
      DEFAULT_OPTIONS.transactionMaxEvents,
      1,
      100_000,
    ),
    transactionDelayMs: integerFlag(
      flags,
      'transaction-delay-ms',
      DEFAULT_OPTIONS.transactionDelayMs,
      0,
      60_000,
    ),
    maxHeldEvents: integerFlag(flags, 'max-held-events', DEFAULT_OPTIONS.maxHeldEvents, 1),
    maxHeldBytes: sizeFlag(flags, 'max-held-bytes', DEFAULT_OPTIONS.maxHeldBytes, 1),
    maxFrameBytes: sizeFlag(flags, 'max-frame-bytes', DEFAULT_OPTIONS.maxFrameBytes, 1024, 2 ** 31),
    maxBatchEvents: DEFAULT_OPTIONS.maxBatchEvents,
    frameTimeoutMs: integerFlag(flags, 'frame-timeout-ms', DEFAULT_OPTIONS.frameTimeoutMs, 1),
    maxDbBytes: sizeFlag(flags, 'max-db-bytes', DEFAULT_OPTIONS.maxDbBytes, 0),
    retainMs: retainFlag(stringFlag(flags, 'retain')),
    retainBytes: sizeFlag(flags, 'retain-bytes', DEFAULT_OPTIONS.retainBytes, 0),
    metricsListen: listenFlag(stringFlag(flags, 'metrics-listen')),
    metricsMaxTools: integerFlag(flags, 'metrics-max-tools', DEFAULT_OPTIONS.metricsMaxTools, 0),
    replicateTo: replicateFlag(stringFlag(flags, 'replicate-to')),
    retentionIntervalMs: integerFlag(
      flags,
      'retention-interval-ms',
      DEFAULT_OPTIONS.retentionIntervalMs,
      1,
    ),
    shutdownTimeoutMs: integerFlag(
      flags,
      'shutdown-timeout-ms',
      DEFAULT_OPTIONS.shutdownTimeoutMs,
      0,
    ),
    logger,
  };
  if (options.maxDbBytes > 0 && options.retainBytes >= options.maxDbBytes) {
    throw new UsageError(
      `--retain-bytes (${options.retainBytes}) must be below --max-db-bytes (${options.maxDbBytes}): ` +
        'the store sheds its oldest rows before it reaches the hard cap',
    );
  }
  return options;
}

async function serve(options: DaemonOptions): Promise<number> {
  const logger = options.logger;
  let daemon: Daemon;
  try {
    daemon = await Daemon.start(options);
  } catch (error) {
    logger.error('cannot start', { error: (error as Error).message });
    process.stderr.write(`mcpr-store daemon: ${(error as Error).message}\n`);
    return 1;
  }

  return new Promise<number>((resolve) => {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        logger.warn('second signal: exiting at once', { signal });
        process.exit(1);
      }
      signalled = true;
      logger.info('signal received', { signal });
      daemon.stop().then(
        () => resolve(0),
        (error: Error) => {
          logger.error('stop failed', { error: error.message });
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    stopWithNpmParent(() => {
      logger.warn('the npm process that started the daemon is gone; stopping');
      onSignal('SIGTERM');
    });
  });
}

/** How often a daemon started through npm checks that npm is still there. */
const PARENT_CHECK_MS = 500;

/**
 * `npx mcpr-store daemon` (and `npm exec`, `npm run`) runs the daemon under
 * `sh -c`; npm forwards SIGTERM to that shell, which dies without passing it
 * on, and the daemon would live on as an orphan. Started that way, the
 * daemon watches its parent and stops gracefully once it is gone. Started
 * any other way (systemd, a shell, nohup) it never looks: a daemon
 * deliberately left running must stay running.
 */
function stopWithNpmParent(stop: () => void): void {
  if (!process.env.npm_lifecycle_event && !process.env.npm_command) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    stop();
  }, PARENT_CHECK_MS);
  timer.unref();
}
