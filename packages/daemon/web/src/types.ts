// The shapes of the API's answers the page reads: the CLI's --json, typed
// by the query layer that makes them (type-only: nothing of the server's
// code reaches the page's bundle).

import type { HealthReport } from '@mcpr-store/protocol/fields';
import type { StatusReport } from '@mcpr-store/query';

export type {
  ChangeRow,
  ClientRow,
  RequestRow,
  SeriesRow,
  SessionDetail,
  SessionRow,
  SnapshotRow as Snapshot,
  StatusToolRow as ToolRow,
  StoreStats,
  ToolUsageRow as ToolUsage,
} from '@mcpr-store/query';

export type StatusAnswer = StatusReport;

/** `health --json`: the daemon's report, or that nothing answers. */
export type Health = HealthReport | { status: 'unreachable'; reasons: string[] };
