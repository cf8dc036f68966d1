// Entry point of the `mcpr-store` CLI: dispatches to one module per command.
// Usage errors print one line and exit 1; nothing else prints a stack
// unless MCPR_DEBUG is set.

import { DatabaseMissingError } from '../db/connection.js';
import { InputError } from '../query/durations.js';
import { DAEMON_VERSION } from '../version.js';
import { runDaemon } from './daemon-command.js';
import { runHealth } from './health-command.js';
import { runLogs, runSlow } from './logs-command.js';
import { runSchema } from './schema-command.js';
import { runClients, runSession, runSessions } from './sessions-command.js';
import { runStatus } from './status-command.js';
import { runStore } from './store-command.js';
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
  daemon: runDaemon,
  health: runHealth,
  logs: runLogs,
  slow: runSlow,
  sessions: runSessions,
  session: runSession,
  clients: runClients,
  status: runStatus,
  schema: runSchema,
  store: runStore,
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
    if (
      error instanceof UsageError ||
      error instanceof InputError ||
      error instanceof DatabaseMissingError
    ) {
      process.stderr.write(`mcpr-store: ${error.message}\n`);
    } else {
      const detail = process.env.MCPR_DEBUG ? (error as Error).stack : (error as Error).message;
      process.stderr.write(`mcpr-store: ${detail}\n`);
    }
    process.exitCode = 1;
  },
);
