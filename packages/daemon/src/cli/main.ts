// Entry point of the `mcpr-store` CLI: dispatches to one module per command,
// loaded only when that command runs so a query does not pay for the daemon.
// Usage errors print one line and exit 1; nothing else prints a stack
// unless MCPR_DEBUG is set. A closed stdout (`mcpr-store logs | head`) ends
// the command quietly with status 0, as a Unix tool does.

import { DAEMON_VERSION } from '../version.js';
import { printable } from './printable.js';
import { closest } from './suggest.js';
import { UsageError } from './usage-error.js';

const HELP = `Usage: mcpr-store <command> [options]

Commands:
  daemon        run the store (foreground, until SIGTERM/SIGINT)
  health        ask the daemon whether it is healthy
  logs          recent requests (-f to follow)
  slow          requests above a latency threshold (-f to follow)
  sessions      sessions, most recently seen first
  session ID    one session with all its requests
  clients       sessions grouped by client
  status        per-tool latency percentiles, errors and traffic (--compare: the window before)
  series        traffic over time, bucket by bucket, with a small chart
  schema        upstream schemas, --changes, --unused
  store         store stats | store vacuum --before CUTOFF
  ui            a web dashboard of the store (read-only), on 127.0.0.1:7357

Run "mcpr-store <command> --help" (or "mcpr-store help <command>") for a
command's options and examples.

Environment:
  MCPR_DB              the database when --db is not given (default ~/.mcpr/store.db);
                       query commands and ui also read a postgres:// URL (see daemon --replicate-to)
  MCPR_STORE_SOCKET    the daemon's socket when --socket is not given (default ~/.mcpr/store.sock)
  NO_COLOR             set to print no colour
  MCPR_DEBUG           set to print stack traces of unexpected errors

Times are printed in the local time zone, named in each table's header;
--json prints Unix milliseconds.

Exit status:
  0  success (health: the daemon is ok)
  1  bad usage, a missing database, or an error (health: degraded or failing;
     daemon: it could not start)
  2  health: no daemon answers; daemon: a bad flag (nothing was created)
`;

type Command = (argv: string[]) => Promise<number>;

/** Each command's module, loaded only when it runs. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  daemon: async () => (await import('./daemon-command.js')).runDaemon,
  health: async () => (await import('./health-command.js')).runHealth,
  logs: async () => (await import('./logs-command.js')).runLogs,
  slow: async () => (await import('./logs-command.js')).runSlow,
  sessions: async () => (await import('./sessions-command.js')).runSessions,
  session: async () => (await import('./sessions-command.js')).runSession,
  clients: async () => (await import('./sessions-command.js')).runClients,
  status: async () => (await import('./status-command.js')).runStatus,
  series: async () => (await import('./series-command.js')).runSeries,
  schema: async () => (await import('./schema-command.js')).runSchema,
  store: async () => (await import('./store-command.js')).runStore,
  ui: async () => (await import('./ui-command.js')).runUi,
};

/** The commands the daemon may answer (daemon-query.ts): asked before their module loads. */
const ANSWERED_BY_DAEMON = new Set(['status', 'series', 'schema']);

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === 'help' && rest[0] !== undefined) return main([...rest, '--help']);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${DAEMON_VERSION}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    const meant = closest(name, Object.keys(COMMANDS));
    throw new UsageError(
      `unknown command "${name}"${meant ? `; did you mean "${meant}"?` : ''} (run mcpr-store --help)`,
    );
  }
  if (!ANSWERED_BY_DAEMON.has(name)) return (await load())(rest);
  // The question goes out first; the command's module loads while the
  // daemon works on it.
  const daemonQuery = await import('./daemon-query.js');
  try {
    await daemonQuery.askFirst(name, rest);
    return await (await load())(rest);
  } finally {
    daemonQuery.withdrawUntaken();
  }
}

/**
 * Errors that are the user's input or the user's files, printed as one line.
 * Matched by name: the CLI's entry does not load the query layer (and its
 * native SQLite module) just to recognise them.
 */
const ONE_LINE_ERRORS = new Set([UsageError.name, 'QueryError', 'DatabaseUnreadableError']);

// A reader that went away (a pipe into head, a closed terminal) is not an
// error of the command: stop at once, successfully, without a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const name = (error as Error).name;
    if (ONE_LINE_ERRORS.has(name)) {
      process.stderr.write(`mcpr-store: ${printable((error as Error).message)}\n`);
    } else if (name === 'DatabaseMissingError') {
      process.stderr.write(
        `mcpr-store: ${printable((error as Error).message)} (start the daemon, or pass --db PATH or set MCPR_DB)\n`,
      );
    } else {
      const detail = process.env.MCPR_DEBUG
        ? (error as Error).stack
        : printable((error as Error).message);
      process.stderr.write(`mcpr-store: ${detail}\n`);
    }
    process.exitCode = 1;
  },
);
