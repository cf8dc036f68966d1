// `sessions`, `session ID` and `clients`: who is connected through the
// proxies, how much they call and how often they fail.

import { queryClients, querySession, querySessions } from '@mcpr-store/query';
import { booleanFlag, type FlagSpec, integerFlag, type ParsedFlags, stringFlag } from './flags.js';
import { formatLocalTime, formatPct, formatTime, renderTable, timeZoneLabel } from './format.js';
import { printableAll } from './printable.js';
import { printJson, type QueryAnswer, queryFlags, sinceMs, write } from './query-command.js';
import { ask } from './query-store.js';
import { renderRequests } from './request-table.js';
import { UsageError } from './usage-error.js';

export const SESSIONS_HELP = `Usage: mcpr-store sessions [options]

Sessions, most recently seen first.

  --active            only sessions not ended and seen in the last 5 minutes
  --client NAME       only this client name (clientInfo.name)
  --since WINDOW      started within the window (default 1h)
  --limit N           default 50
  --proxy NAME, --json, --db PATH

Examples:
  mcpr-store sessions --active
  mcpr-store sessions --client cursor --since 24h --json
`;

export const SESSION_HELP = `Usage: mcpr-store session ID [--json] [--proxy NAME] [--db PATH]

One session (ID may be any unambiguous prefix) with all its requests, oldest first.

Examples:
  mcpr-store session 0198c2a4
  mcpr-store session 0198c2a4-7d1e --json
`;

export const CLIENTS_HELP = `Usage: mcpr-store clients [--since WINDOW] [--proxy NAME] [--json] [--db PATH]

Sessions started in the window, grouped by client name, version and platform; most calls
first (default window 7d).

Examples:
  mcpr-store clients
  mcpr-store clients --since 30d --json
`;

const SESSIONS_FLAGS: FlagSpec = {
  active: { type: 'boolean' },
  client: { type: 'string' },
  since: { type: 'string' },
  limit: { type: 'string' },
};

function sessionsFilter(flags: ParsedFlags, nowMs: number) {
  return {
    proxy: stringFlag(flags, 'proxy'),
    active: booleanFlag(flags, 'active'),
    client: stringFlag(flags, 'client'),
    sinceMs: sinceMs(flags, '1h', nowMs),
  };
}

export const SESSIONS: QueryAnswer = {
  flags: SESSIONS_FLAGS,
  answer: (flags, db, { nowMs }) =>
    querySessions(db, sessionsFilter(flags, nowMs), integerFlag(flags, 'limit', 50, 0), nowMs),
};

/** The session ID argument: exactly one. */
function sessionId(flags: ParsedFlags): string {
  const id = flags.positionals[0];
  if (id === undefined || flags.positionals.length > 1) {
    throw new UsageError('session: give exactly one session id (or prefix)');
  }
  return id;
}

export const SESSION: QueryAnswer = {
  flags: {},
  positional: true,
  answer: (flags, db, { nowMs }) =>
    querySession(db, sessionId(flags), nowMs, stringFlag(flags, 'proxy')),
};

const CLIENTS_FLAGS: FlagSpec = { since: { type: 'string' } };

function clientsFilter(flags: ParsedFlags, nowMs: number) {
  return { proxy: stringFlag(flags, 'proxy'), sinceMs: sinceMs(flags, '7d', nowMs) };
}

export const CLIENTS: QueryAnswer = {
  flags: CLIENTS_FLAGS,
  answer: (flags, db, { nowMs }) => queryClients(db, clientsFilter(flags, nowMs)),
};

export async function runSessions(argv: string[]): Promise<number> {
  const flags = queryFlags('sessions', argv, SESSIONS_FLAGS, SESSIONS_HELP);
  if (!flags) return 0;
  const nowMs = Date.now();
  const filter = sessionsFilter(flags, nowMs);
  const limit = integerFlag(flags, 'limit', 50, 0);
  const answer = ask(flags, (db) => querySessions(db, filter, limit, nowMs));
  if (printJson(flags, answer) || limit === 0) return 0;
  const rows = printableAll(answer);
  if (rows.length === 0) {
    process.stderr.write(
      `no ${filter.active ? 'active ' : ''}sessions started in the last ${stringFlag(flags, 'since') ?? '1h'}; widen --since${filter.client || filter.proxy ? ' or drop a filter' : ''}\n`,
    );
    return 0;
  }
  write(
    renderTable(
      [
        { header: 'SESSION' },
        { header: 'PROXY' },
        { header: 'CLIENT' },
        { header: 'PLATFORM' },
        { header: `STARTED (${timeZoneLabel()})` },
        { header: 'LAST SEEN' },
        { header: 'CALLS', align: 'right' },
        { header: 'ERRORS', align: 'right' },
        { header: 'STATE' },
      ],
      rows.map((s) => [
        s.session_id,
        s.proxy,
        [s.client_name, s.client_version].filter(Boolean).join(' ') || '-',
        s.client_platform ?? '-',
        formatLocalTime(s.started_at),
        formatTime(s.last_seen_at, nowMs),
        String(s.total_calls),
        String(s.total_errors),
        s.is_active ? 'active' : s.ended_at !== null ? 'ended' : 'idle',
      ]),
    ),
  );
  write(`\n${rows.length} sessions total, ${rows.filter((s) => s.is_active).length} active\n`);
  return 0;
}

export async function runSession(argv: string[]): Promise<number> {
  const flags = queryFlags('session', argv, SESSION.flags, SESSION_HELP);
  if (!flags) return 0;
  const id = sessionId(flags);
  const nowMs = Date.now();
  const answer = ask(flags, (db) => querySession(db, id, nowMs, stringFlag(flags, 'proxy')));
  if (printJson(flags, answer)) return 0;
  const detail = printableAll(answer);
  const lines = [
    `session   ${detail.session_id}`,
    `proxy     ${detail.proxy}`,
    `client    ${[detail.client_name, detail.client_version].filter(Boolean).join(' ') || '-'} (${detail.client_platform ?? 'unknown'})`,
    `started   ${formatTime(detail.started_at, nowMs)}`,
    `last seen ${formatTime(detail.last_seen_at, nowMs)}`,
    `ended     ${formatTime(detail.ended_at, nowMs)}`,
    `state     ${detail.is_active ? 'active' : detail.ended_at !== null ? 'ended' : 'idle'}`,
    `calls     ${detail.total_calls} (${detail.total_errors} errors)`,
    '',
  ];
  write(lines.join('\n'));
  if (detail.requests.length === 0) {
    write('no requests recorded for this session\n');
    return 0;
  }
  write(renderRequests(detail.requests, { perSession: true }));
  return 0;
}

export async function runClients(argv: string[]): Promise<number> {
  const flags = queryFlags('clients', argv, CLIENTS_FLAGS, CLIENTS_HELP);
  if (!flags) return 0;
  const nowMs = Date.now();
  const answer = ask(flags, (db) => queryClients(db, clientsFilter(flags, nowMs)));
  if (printJson(flags, answer)) return 0;
  const rows = printableAll(answer);
  if (rows.length === 0) {
    process.stderr.write(
      `no sessions in the last ${stringFlag(flags, 'since') ?? '7d'}; widen --since\n`,
    );
    return 0;
  }
  write(
    renderTable(
      [
        { header: 'CLIENT' },
        { header: 'VERSION' },
        { header: 'PLATFORM' },
        { header: 'SESSIONS', align: 'right' },
        { header: 'CALLS', align: 'right' },
        { header: 'ERRORS', align: 'right' },
        { header: 'ERROR %', align: 'right' },
        { header: `FIRST SEEN (${timeZoneLabel()})` },
        { header: 'LAST SEEN' },
      ],
      rows.map((c) => [
        c.client_name ?? '-',
        c.client_version ?? '-',
        c.client_platform ?? '-',
        String(c.sessions),
        String(c.total_calls),
        String(c.total_errors),
        formatPct(c.error_pct),
        formatLocalTime(c.first_seen),
        formatTime(c.last_seen, nowMs),
      ]),
    ),
  );
  const sessions = rows.reduce((sum, c) => sum + c.sessions, 0);
  write(`\n${rows.length} unique clients, ${sessions} sessions total\n`);
  return 0;
}
