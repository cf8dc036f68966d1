// `series`' answer from the store: what the command asks when the daemon
// does not answer it (daemon-query.ts), and what the daemon's query thread
// and the web API answer with. Apart from the command's printing because
// it loads the query layer.

import { querySeries, type SeriesRow } from '@mcpr-store/query';
import type { QueryAnswer } from './query-command.js';
import { SERIES_FLAGS, seriesFilter } from './series-command.js';

export const SERIES: QueryAnswer<SeriesRow[]> = {
  flags: SERIES_FLAGS,
  answer: (flags, db, { nowMs }) => querySeries(db, seriesFilter(flags, nowMs), nowMs),
};
