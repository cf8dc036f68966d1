// `logs` and `slow`: recent requests, newest (or slowest) first. With -f
// they keep printing new rows until Ctrl-C, following the row id rather
// than the timestamp so rows that share a millisecond are neither missed
// nor repeated.

import {
  countSlow,
  type LogsFilter,
  lastRequestId,
  publicRow,
  queryLogs,
  queryNewRequests,
  querySlow,
  type RequestRowWithId,
  type Store,
} from '@mcpr-store/query';
import { parseThresholdUs } from './durations.js';
import { booleanFlag, type FlagSpec, integerFlag, type ParsedFlags, stringFlag } from './flags.js';
import { formatLatency, jsonLines } from './format.js';
import { type QueryAnswer, queryFlags, sinceMs, write } from './query-command.js';
import { openQueryDb } from './query-store.js';
import { FOLLOW_MIN_WIDTHS, renderRequests, requestColumns } from './request-table.js';

const FOLLOW_POLL_MS = 500;

export const LOGS_HELP = `Usage: mcpr-store logs [options]

Recent requests, newest first.

  --tail N            how many rows (default 50)
  --since WINDOW      e.g. 30s, 15m, 1h, 7d, 2w (default 1h; all time with --session)
  --tool NAME         only this tool
  --method METHOD     only this MCP method (e.g. tools/call)
  --session PREFIX    only sessions whose id starts with PREFIX
  --status STATUS     ok, error or timeout
  --error-code CODE   only this error code
  --proxy NAME        only this proxy
  -f, --follow        keep printing new rows until Ctrl-C
  --json              one JSON object per line
  --db PATH|URL       database file, or postgres:// URL where daemons replicate
                      (default $MCPR_DB, else ~/.mcpr/store.db)

Times are local, in the zone the header names; --json prints Unix milliseconds.

Examples:
  mcpr-store logs --tail 20
  mcpr-store logs --status error --since 24h
  mcpr-store logs --tool search -f
  mcpr-store logs --session 0198c2a4 --json | jq .latency_us
`;

export const SLOW_HELP = `Usage: mcpr-store slow [options]

Requests at or above a latency threshold, slowest first.

  --threshold LATENCY e.g. 200us, 500ms, 1s (default 500ms)
  --since WINDOW      default 1h
  --tool NAME, --proxy NAME, --limit N (default 20), -f/--follow, --json, --db PATH

Examples:
  mcpr-store slow
  mcpr-store slow --threshold 2s --since 7d --proxy edge
`;

function print(rows: RequestRowWithId[], json: boolean, withSize = false): void {
  if (rows.length === 0) return;
  write(json ? jsonLines(rows.map(publicRow)) : renderRequests(rows, { withSize }));
}

/**
 * Prints the rows there are, then polls for new rows until
 * SIGINT/SIGTERM; resolves with exit code 0. The table's header comes once,
 * with the first rows, and its columns never narrow, so new rows line up.
 */
function follow(
  db: Store,
  filter: LogsFilter & { minLatencyUs?: number },
  rows: RequestRowWithId[],
  startAfterId: number,
  json: boolean,
): Promise<number> {
  let afterId = startAfterId;
  // Wide enough from the start for what usually comes; the first rows may
  // widen it further, and later rows are cut to fit, never misaligned.
  const widths = requestColumns().map(
    (c) => FOLLOW_MIN_WIDTHS[c.header.split(' ')[0] as keyof typeof FOLLOW_MIN_WIDTHS] ?? 0,
  );
  let headerShown = false;
  const show = (batch: RequestRowWithId[]) => {
    if (batch.length === 0) return;
    if (json) {
      write(jsonLines(batch.map(publicRow)));
      return;
    }
    const table = renderRequests(batch, { widths, fixed: headerShown });
    write(headerShown ? table.slice(table.indexOf('\n') + 1) : table);
    headerShown = true;
  };
  show(rows);
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const batch = queryNewRequests(db, filter, afterId);
      if (batch.length > 0) {
        afterId = (batch[batch.length - 1] as RequestRowWithId).id;
        show(batch);
      }
    }, FOLLOW_POLL_MS);
    const stop = () => {
      clearInterval(timer);
      db.close();
      resolve(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function emptyHint(what: string, window: string | undefined, filtered: boolean): string {
  const widen = window
    ? ` in the last ${window}; widen the window with --since (e.g. --since 24h)`
    : '';
  return `no ${what}${widen}${filtered ? ', or drop a filter' : ''}\n`;
}

const LOGS_FLAGS: FlagSpec = {
  tail: { type: 'string' },
  since: { type: 'string' },
  tool: { type: 'string' },
  method: { type: 'string' },
  session: { type: 'string' },
  status: { type: 'string' },
  'error-code': { type: 'string' },
};

/** The window logs looks back over: --since, else 1h, else all time for one session. */
function logsWindow(flags: ParsedFlags): string | undefined {
  return (
    stringFlag(flags, 'since') ?? (stringFlag(flags, 'session') === undefined ? '1h' : undefined)
  );
}

function logsFilter(flags: ParsedFlags, nowMs: number): LogsFilter {
  const window = logsWindow(flags);
  return {
    proxy: stringFlag(flags, 'proxy'),
    sinceMs: window === undefined ? undefined : sinceMs(flags, window, nowMs),
    tool: stringFlag(flags, 'tool'),
    method: stringFlag(flags, 'method'),
    session: stringFlag(flags, 'session'),
    status: stringFlag(flags, 'status'),
    errorCode: stringFlag(flags, 'error-code'),
  };
}

export const LOGS: QueryAnswer = {
  flags: LOGS_FLAGS,
  answer: (flags, db, { nowMs }) =>
    queryLogs(db, logsFilter(flags, nowMs), integerFlag(flags, 'tail', 50, 0)).map(publicRow),
};

export async function runLogs(argv: string[]): Promise<number> {
  const flags = queryFlags(
    'logs',
    argv,
    { ...LOGS_FLAGS, follow: { type: 'boolean', short: 'f' } },
    LOGS_HELP,
  );
  if (!flags) return 0;
  const window = logsWindow(flags);
  const filter = logsFilter(flags, Date.now());
  const tail = integerFlag(flags, 'tail', 50, 0);
  const json = booleanFlag(flags, 'json');
  const { db } = openQueryDb(flags);
  const startId = lastRequestId(db);
  const rows = queryLogs(db, filter, tail);
  if (booleanFlag(flags, 'follow')) {
    // The first batch newest first, as mcpr prints it; new rows then follow as they come.
    return follow(db, filter, rows, startId, json);
  }
  db.close();
  if (rows.length === 0 && !json && tail > 0) {
    const filtered = [
      filter.proxy,
      filter.tool,
      filter.method,
      filter.session,
      filter.status,
      filter.errorCode,
    ].some((f) => f !== undefined);
    process.stderr.write(emptyHint('requests', window, filtered));
  }
  print(rows, json);
  return 0;
}

const SLOW_FLAGS: FlagSpec = {
  threshold: { type: 'string' },
  since: { type: 'string' },
  tool: { type: 'string' },
  limit: { type: 'string' },
};

function slowFilter(flags: ParsedFlags, nowMs: number) {
  return {
    proxy: stringFlag(flags, 'proxy'),
    sinceMs: sinceMs(flags, '1h', nowMs),
    tool: stringFlag(flags, 'tool'),
    thresholdUs: parseThresholdUs(stringFlag(flags, 'threshold') ?? '500ms'),
  };
}

export const SLOW: QueryAnswer = {
  flags: SLOW_FLAGS,
  answer: (flags, db, { nowMs }) =>
    querySlow(db, slowFilter(flags, nowMs), integerFlag(flags, 'limit', 20, 0)).map(publicRow),
};

export async function runSlow(argv: string[]): Promise<number> {
  const flags = queryFlags(
    'slow',
    argv,
    { ...SLOW_FLAGS, follow: { type: 'boolean', short: 'f' } },
    SLOW_HELP,
  );
  if (!flags) return 0;
  const window = stringFlag(flags, 'since') ?? '1h';
  const filter = slowFilter(flags, Date.now());
  const thresholdUs = filter.thresholdUs;
  const limit = integerFlag(flags, 'limit', 20, 0);
  const json = booleanFlag(flags, 'json');
  const { db } = openQueryDb(flags);
  const startId = lastRequestId(db);
  const rows = querySlow(db, filter, limit);
  if (booleanFlag(flags, 'follow')) {
    return follow(db, { ...filter, minLatencyUs: thresholdUs }, rows, startId, json);
  }
  const above = json || limit === 0 ? null : countSlow(db, filter);
  db.close();
  if (json) {
    print(rows, json);
    return 0;
  }
  if (limit === 0) return 0;
  write(`TOP SLOW CALLS — ${filter.proxy ?? 'all proxies'} — last ${window}\n`);
  if (rows.length === 0) {
    process.stderr.write(
      `no requests at or above ${formatLatency(thresholdUs)} in the last ${window}; lower --threshold or widen --since\n`,
    );
  }
  print(rows, json, true);
  if (above !== null) {
    write(
      `${above.calls} calls above threshold${above.calls > 0 ? ` (avg ${formatLatency(above.avg_us)})` : ''}\n`,
    );
  }
  return 0;
}
