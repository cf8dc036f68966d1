// Entry point of the `mcpr-store` CLI: dispatches to one module per command,
// loaded only when that command runs so a query does not pay for the daemon.
// Usage errors print one line and exit 1; nothing else prints a stack
// unless MCPR_DEBUG is set.

import { DatabaseMissingError, QueryError } from '@mcpr-store/query';
import { DAEMON_VERSION } from '../version.js';
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
  status        per-tool latency percentiles, errors and traffic
  schema        upstream schemas, --changes, --unused
  store         store stats | store vacuum --before CUTOFF

Run "mcpr-store <command> --help" for a command's options.
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  daemon: async (argv) => (await import('./daemon-command.js')).runDaemon(argv),
  health: async (argv) => (await import('./health-command.js')).runHealth(argv),
  logs: async (argv) => (await import('./logs-command.js')).runLogs(argv),
  slow: async (argv) => (await import('./logs-command.js')).runSlow(argv),
  sessions: async (argv) => (await import('./sessions-command.js')).runSessions(argv),
  session: async (argv) => (await import('./sessions-command.js')).runSession(argv),
  clients: async (argv) => (await import('./sessions-command.js')).runClients(argv),
  status: async (argv) => (await import('./status-command.js')).runStatus(argv),
  schema: async (argv) => (await import('./schema-command.js')).runSchema(argv),
  store: async (argv) => (await import('./store-command.js')).runStore(argv),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(HELP);
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${DAEMON_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}" (run mcpr-store --help)`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof QueryError) {
      process.stderr.write(`mcpr-store: ${error.message}\n`);
    } else if (error instanceof DatabaseMissingError) {
      process.stderr.write(
        `mcpr-store: ${error.message} (start the daemon, or pass --db PATH or set MCPR_DB)\n`,
      );
    } else {
      const detail = process.env.MCPR_DEBUG ? (error as Error).stack : (error as Error).message;
      process.stderr.write(`mcpr-store: ${detail}\n`);
    }
    process.exitCode = 1;
  },
);
