// The shapes of the API's answers the page reads: the CLI's --json, typed
// by the query layer that makes them (type-only imports: nothing of the
// server's code reaches the page's bundle).

import type { HealthReport } from '@mcpr-store/protocol/fields';
import type {
  ChangeRow,
  ClientRow,
  RequestRow,
  SeriesRow,
  SessionDetail,
  SessionRow,
  StatusReport,
  StoreStats,
  ToolStatsRow,
  ToolUsageRow,
} from '@mcpr-store/query';

export type {
  ChangeRow,
  ClientRow,
  RequestRow,
  SeriesRow,
  SessionDetail,
  SessionRow,
  StoreStats,
  ToolUsageRow as ToolUsage,
};

/** A row of `status` with `--compare`'s figures. */
export type ToolRow = ToolStatsRow & {
  calls_prev?: number | null;
  error_pct_prev?: number | null;
  p95_us_prev?: number | null;
};

export type StatusAnswer = StatusReport;

/** `health --json`: the daemon's report, or that nothing answers. */
export type Health = HealthReport | { status: 'unreachable'; reasons: string[] };

/** A snapshot line of `schema --json`. */
export type { SnapshotRow as Snapshot } from '@mcpr-store/query';
