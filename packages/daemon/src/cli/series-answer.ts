// `series`' answer from the store: what the command asks when the daemon
// does not answer it (daemon-query.ts), and what the daemon's query thread
// and the web API answer with. Apart from the command's printing because
// it loads the query layer.

import { querySeries, type SeriesRow } from '@mcpr-store/query';
import type { ParsedFlags } from './flags.js';
import type { QueryAnswer } from './query-command.js';
import { ask } from './query-store.js';
import { SERIES_FLAGS, seriesFilter } from './series-command.js';

export const SERIES: QueryAnswer = {
  flags: SERIES_FLAGS,
  answer: (flags, db, { nowMs }) => querySeries(db, seriesFilter(flags, nowMs), nowMs),
};

/** The series asked of the store here. */
export function seriesHere(
  flags: ParsedFlags,
  filter: ReturnType<typeof seriesFilter>,
  nowMs: number,
): SeriesRow[] {
  return ask(flags, (db) => querySeries(db, filter, nowMs));
}
