// `status`'s answer from the store: what the command asks when the daemon
// does not answer it (daemon-query.ts), and what the daemon's query thread
// and the web API answer with. Apart from the command's printing because
// it loads the query layer.

import { queryStatus, type StatusReport } from '@mcpr-store/query';
import { askDaemon } from './daemon-answer.js';
import { booleanFlag, type ParsedFlags, stringFlag } from './flags.js';
import { type AnswerContext, type QueryAnswer, sinceMs } from './query-command.js';
import { ask } from './query-store.js';
import { STATUS_FLAGS } from './status-command.js';

/**
 * The status question the flags ask, and the proxies connected to the
 * daemon (null when no daemon answers: the table says so).
 */
async function statusFilter(flags: ParsedFlags, context: AnswerContext) {
  const { nowMs } = context;
  const proxy = stringFlag(flags, 'proxy');
  const window = stringFlag(flags, 'since') ?? '1h';
  const since = sinceMs(flags, '1h', nowMs);
  const daemon = await askDaemon(context, 'mcpr-store status');
  const connected = daemon === null ? null : (daemon.running_proxies ?? []);
  return {
    connected,
    filter: {
      proxy,
      sinceMs: since,
      since: window,
      runningProxies: (connected ?? []).filter((p) => proxy === undefined || p.name === proxy),
      compare: booleanFlag(flags, 'compare'),
      exact: booleanFlag(flags, 'exact'),
    },
  };
}

export const STATUS: QueryAnswer<Promise<StatusReport>> = {
  flags: STATUS_FLAGS,
  answer: async (flags, db, context) =>
    queryStatus(db, (await statusFilter(flags, context)).filter, context.nowMs),
};

/** The report asked of the store here, and the proxies connected to the daemon (null when none answers). */
export async function statusHere(flags: ParsedFlags, context: AnswerContext) {
  const { filter, connected } = await statusFilter(flags, context);
  return { report: ask(flags, (db) => queryStatus(db, filter, context.nowMs)), connected };
}
