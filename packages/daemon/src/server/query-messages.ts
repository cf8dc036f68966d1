// What the socket loop and the query thread (query-thread.ts) say to each other.

import type { HealthReport } from '@mcpr-store/protocol';

export interface QueryThreadSettings {
  db_path: string;
  socket_path: string;
}

export interface QueryThreadRequest {
  id: number;
  route: string;
  argv: string[];
  now_ms: number;
  /** The daemon's health report as the question came (status shows its running proxies). */
  health: HealthReport;
}

/** A query's answer as its command's --json (`json`), or why there is none (`error`). */
export type QueryOutcome =
  | { json: string; error?: undefined }
  | { error: string; json?: undefined };

export type QueryThreadReply = QueryOutcome & { id: number };
