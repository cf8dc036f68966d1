// The daemon's health report: what `health_result.health` carries, what
// StoreClient.health() resolves to and what `mcpr-store health --json`
// prints. Its one definition is here; the daemon fills it in, the CLI
// prints it, and monitors in other languages read PROTOCOL.md, which lists
// the same fields. Times are Unix milliseconds; sizes are bytes; counts are
// integers since the daemon started.

export const HEALTH_STATUSES = ['ok', 'degraded', 'failing'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];

export interface HealthReport {
  /** `failing` while writes fail or the writer thread is gone; `degraded` under backpressure or after recent client drops. */
  status: HealthStatus;
  /** Why the status is not `ok`, one sentence each; empty when `ok`. */
  reasons: string[];
  /** The daemon's package version. */
  version: string;
  /** The highest protocol version the daemon speaks. */
  protocol_version: number;
  pid: number;
  uptime_ms: number;
  db_path: string;
  /** Size of the database file (0 when missing). */
  db_size_bytes: number;
  /** Size of its write-ahead log. */
  wal_size_bytes: number;
  /** `meta.schema_version` of the database (mcpr's format version). */
  schema_version: number;
  socket_path: string;
  /** Client connections open now. */
  connections: number;
  /** Events received and not yet committed (waiting and being written). */
  events_waiting: number;
  /** Frame bytes of those events, the measure of the memory bound. */
  bytes_waiting: number;
  /** True while the daemon has stopped reading sockets for backpressure. */
  reading_paused: boolean;
  /** Events received in batches, valid or not. */
  received: number;
  /** Events stored (duplicates included). */
  committed: number;
  /** Events refused, by validation or by the database. */
  rejected: number;
  /** Requests whose request_id was already stored (resends), ignored. */
  duplicates_ignored: number;
  /** Events clients dropped because their own queues were full, summed over client instances. */
  dropped_by_clients: number;
  /** Transactions committed (the historical name of transactions_committed). */
  batches_committed: number;
  /** Transactions committed. */
  transactions_committed: number;
  /** Commit time percentiles over the last 1,024 transactions, in ms; null before the first. */
  commit_ms_p50: number | null;
  commit_ms_p99: number | null;
  last_commit_at: number | null;
  /** The last write failure, kept after recovery. */
  last_error: { at: number; message: string } | null;
  /** True while the writer thread exists. */
  writer_alive: boolean;
  /** Resident memory of the daemon process. */
  rss_bytes: number;
  /** The retention policy and what it has deleted since the daemon started. */
  retention: {
    /** Requests older than this are deleted; 0 keeps everything. */
    retain_ms: number;
    /** The oldest requests go while the pages in use exceed this; 0 for no bound. */
    retain_bytes: number;
    /** The oldest request kept, after the last retention step; null before the first or when empty. */
    oldest_ts: number | null;
    deleted_requests: number;
    deleted_sessions: number;
    /** When the last retention round ended; null before the first. */
    last_run_at: number | null;
  };
  /** The proxies connected now, one entry per connection that named its proxy in `hello`. */
  running_proxies: RunningProxyInfo[];
  /** Copying committed rows to PostgreSQL (`--replicate-to`); null when off. */
  replication: ReplicationStatus | null;
}

/** Health's `replication`: how far PostgreSQL is behind this store. */
export interface ReplicationStatus {
  /** The target, without its password. */
  target: string;
  /** Requests committed here and not yet committed in PostgreSQL. */
  lag_rows: number;
  /** Age of the oldest request not yet shipped; 0 when none waits. */
  lag_ms: number;
  /** When PostgreSQL last committed a shipment; null before the first. */
  last_shipped_at: number | null;
  /** The last failure (unreachable, refused, ...), kept after recovery; null before any. */
  last_error: { at: number; message: string } | null;
  /** Ours: true while the last attempt to reach PostgreSQL succeeded. */
  connected: boolean;
  /** Ours: failed attempts since the daemon started. */
  failures: number;
  /** Ours: rows PostgreSQL committed since the daemon started, by table. */
  shipped: { requests: number; sessions: number; server_schema: number; schema_changes: number };
  /** Ours: true while retention keeps rows it would delete because they are not shipped yet. */
  holding_retention: boolean;
}

/** A proxy connected to the daemon, as its client described itself in `hello` (unknown fields null). */
export interface RunningProxyInfo {
  name: string;
  port: number | null;
  pid: number | null;
  localhost_url: string | null;
  studio_url: string | null;
  tunnel_url: string | null;
  tunnel_studio_url: string | null;
}
