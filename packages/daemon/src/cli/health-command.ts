// `mcpr-store health`: asks the daemon over its socket, the same path the
// proxies use, so a green check means proxies can really report. Exit 0 when
// healthy, 1 when the daemon answers but is not, 2 when nothing answers.

import { requestHealth } from '@mcpr-store/client';
import type { HealthReport } from '@mcpr-store/protocol/fields';
import { resolveSocketPath } from '../paths.js';
import { booleanFlag, integerFlag, parseFlags, stringFlag } from './flags.js';
import { printableAll } from './printable.js';
import type { QueryAnswer } from './query-command.js';

export const HEALTH_HELP = `Usage: mcpr-store health [--socket PATH] [--json] [--timeout-ms N] [--wait-ms N] [--quiet]

Asks the daemon for its health. Exit 0: ok; 1: answers but degraded or failing; 2: no answer.

  --timeout-ms N   how long one answer may take (default 3000)
  --wait-ms N      ask again until a daemon answers or N ms have passed: a readiness
                   check for a daemon that is starting (the systemd unit's ExecStartPost)
  --quiet          print nothing; the exit status says it all

Examples:
  mcpr-store health
  mcpr-store health --socket /run/mcpr-store/store.sock --json
`;

/** Shown as times, not as the milliseconds they are. */
const TIME_FIELDS = new Set(['last_commit_at', 'last_run_at', 'last_shipped_at', 'oldest_ts']);

/** The status and its reasons first, then every other field of the report, one a line. */
function formatHealth(health: HealthReport): string {
  const lines = [`status: ${health.status}`];
  for (const reason of health.reasons ?? []) lines.push(`  - ${reason}`);
  for (const [key, raw] of Object.entries(health)) {
    if (key === 'status' || key === 'reasons') continue;
    let value: unknown = raw;
    if (TIME_FIELDS.has(key) && typeof raw === 'number') value = new Date(raw).toISOString();
    else if (key === 'last_error' && raw && typeof raw === 'object') {
      const error = raw as { at: number; message: string };
      value = `${new Date(error.at).toISOString()} ${error.message}`;
    } else if (raw !== null && typeof raw === 'object') value = JSON.stringify(raw);
    lines.push(`${key.padEnd(22)} ${value ?? '-'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What `health --json` prints when nothing answers on the socket. */
function unreachable(socketPath: string, error: unknown) {
  const message = `no daemon answers on ${socketPath}: ${(error as Error).message}`;
  return { status: 'unreachable' as const, reasons: [message] };
}

/** `health --json`'s answer (the web page's too): the report, or that nothing answers. */
export const HEALTH: QueryAnswer<Promise<HealthReport | ReturnType<typeof unreachable>>> = {
  flags: { 'timeout-ms': { type: 'string' } },
  answer: async (flags, _db, { socketPath }) => {
    const timeoutMs = integerFlag(flags, 'timeout-ms', 3000, 1);
    try {
      return await requestHealth(socketPath, { timeoutMs, client: 'mcpr-store health' });
    } catch (error) {
      return unreachable(socketPath, error);
    }
  },
};

export async function runHealth(argv: string[]): Promise<number> {
  const flags = parseFlags('health', argv, {
    socket: { type: 'string' },
    json: { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    'wait-ms': { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (booleanFlag(flags, 'help')) {
    process.stdout.write(HEALTH_HELP);
    return 0;
  }
  const socketPath = resolveSocketPath(stringFlag(flags, 'socket'));
  const timeoutMs = integerFlag(flags, 'timeout-ms', 3000, 1);
  const waitMs = integerFlag(flags, 'wait-ms', 0, 0);
  const quiet = booleanFlag(flags, 'quiet');
  let health: HealthReport;
  try {
    health = await askUntil(socketPath, timeoutMs, Date.now() + waitMs);
  } catch (error) {
    if (quiet) return 2;
    const answer = unreachable(socketPath, error);
    if (booleanFlag(flags, 'json')) process.stdout.write(`${JSON.stringify(answer)}\n`);
    else process.stderr.write(`mcpr-store health: ${answer.reasons[0]}\n`);
    return 2;
  }
  if (!quiet) {
    process.stdout.write(
      booleanFlag(flags, 'json')
        ? `${JSON.stringify(health)}\n`
        : formatHealth(printableAll(health)),
    );
  }
  return health.status === 'ok' ? 0 : 1;
}

/** Polling a starting daemon's socket: often enough to notice it at once, rarely enough to cost nothing. */
const WAIT_POLL_MS = 100;

/** The daemon's answer; asks again until `deadlineMs` while nothing answers. */
async function askUntil(
  socketPath: string,
  timeoutMs: number,
  deadlineMs: number,
): Promise<HealthReport> {
  for (;;) {
    try {
      return await requestHealth(socketPath, { timeoutMs, client: 'mcpr-store health' });
    } catch (error) {
      if (Date.now() + WAIT_POLL_MS > deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }
}
