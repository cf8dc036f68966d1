// The shapes of the API's answers the page reads: the CLI's --json.

import type { TimeRow } from './charts.js';

export type SeriesRow = TimeRow;

export interface ToolRow {
  label: string;
  calls: number;
  avg_us: number;
  errors: number;
  error_pct: number;
  p50_us: number;
  p90_us: number;
  p95_us: number;
  p99_us: number;
  total_bytes_in: number;
  total_bytes_out: number;
  calls_prev?: number | null;
  error_pct_prev?: number | null;
  p95_us_prev?: number | null;
}

export interface StatusAnswer {
  total_requests: number;
  error_pct: number;
  active_sessions: number;
  total_sessions: number;
  p95_us: number | null;
  total_requests_prev?: number;
  error_pct_prev?: number;
  p95_us_prev?: number | null;
  tools: ToolRow[];
  error_codes: { error_code: string; calls: number }[];
  unknown_tools: { tool: string; calls: number; last_called_at: number; proxy: string }[];
}

export interface RequestRow {
  request_id: string;
  ts: number;
  proxy: string;
  method: string;
  tool: string | null;
  latency_us: number;
  status: string;
  error_code: string | null;
  error_msg: string | null;
  session_id: string | null;
  bytes_in: number | null;
  bytes_out: number | null;
}

export interface SessionRow {
  session_id: string;
  proxy: string;
  client_name: string | null;
  client_version: string | null;
  client_platform: string | null;
  started_at: number;
  last_seen_at: number;
  ended_at: number | null;
  total_calls: number;
  total_errors: number;
  is_active: boolean;
}

export interface SessionDetail extends SessionRow {
  requests: RequestRow[];
}

export interface ClientRow {
  client_name: string | null;
  client_version: string | null;
  client_platform: string | null;
  sessions: number;
  total_calls: number;
  total_errors: number;
  error_pct: number;
  first_seen: number;
  last_seen: number;
}

export interface Health {
  status: string;
  reasons: string[];
  version?: string;
  events_waiting?: number;
  commit_ms_p99?: number;
  db_size_bytes?: number;
  wal_size_bytes?: number;
  connections?: number;
  retention?: {
    retain_ms: number;
    retain_bytes: number;
    oldest_ts: number | null;
    deleted_requests: number;
  };
}

export interface StoreStats {
  proxies: string[];
}

export interface Snapshot {
  upstream_url: string;
  method: string;
  payload: string;
  captured_at: number;
  schema_hash: string;
  proxy: string;
}

export interface ChangeRow {
  detected_at: number;
  proxy: string;
  upstream_url: string;
  method: string;
  change_type: string;
  item_name: string | null;
}

export interface ToolUsage {
  proxy: string;
  upstream_url: string;
  tool_name: string;
  calls: number;
  errors: number;
  last_called_at: number | null;
}
