// The daemon's Prometheus metrics: its own health as `mcpr_store_*` and the
// MCP traffic it stored in OpenTelemetry's MCP conventions, Prometheus form
// (`mcp_server_operation_duration_seconds`). Counters grow from what the
// ingest path and the writer report per client batch and per transaction,
// never per event on the main thread; gauges are read from the daemon's
// state when scraped. Labels are bounded: no session or request ids, no
// messages, and at most `maxToolsPerProxy` tool names per proxy, the rest
// counted as `_other`.

import type { HealthReport } from '@mcpr-store/protocol';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DAEMON_VERSION } from '../version.js';
import {
  OPERATION_COUNT_AT,
  OPERATION_STRIDE,
  OPERATION_SUM_AT,
  type OperationTallies,
  operationLabels,
} from '../writer/operations.js';
import type { TransactionOutcome } from '../writer/transaction-writer.js';
import {
  type Exposition,
  labelBytes,
  type OperationSeries,
  OperationsWriter,
} from './operations-exposition.js';

/** Commit time buckets in seconds: a healthy commit takes milliseconds, a stalled one seconds. */
const COMMIT_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** The tool label of calls past a proxy's tool budget. */
export const OTHER_TOOL = '_other';

/** What the metrics read from the daemon. */
export interface MetricsSource {
  health: () => HealthReport;
  /** True while transactions fail and are retried. */
  writesFailing: () => boolean;
  maxToolsPerProxy: number;
  /** The --max-db-bytes cap (0: none). */
  maxDbBytes: number;
  /** Replication is on: its metrics are served. */
  replicating: boolean;
}

export class DaemonMetrics {
  private readonly registry = new Registry();
  private readonly received: Counter<'kind'>;
  private readonly committed: Counter<'kind'>;
  private readonly rejected: Counter<'reason'>;
  private readonly commitSeconds: Histogram;
  private readonly sessionsStarted: Counter<'proxy' | 'client_platform'>;
  /** The histogram's series, by their labels (the tool as labelled: `_other` past the budget). */
  private readonly operations = new Map<string, OperationSeries>();
  /** The series each of the writer's tally keys adds to, found once per key. */
  private readonly seriesOfTally = new Map<string, OperationSeries>();
  private readonly toolsByProxy = new Map<string, Set<string>>();

  private readonly maxToolsPerProxy: number;
  private readonly writer = new OperationsWriter();

  constructor(source: MetricsSource) {
    const { health, writesFailing, maxDbBytes } = source;
    this.maxToolsPerProxy = source.maxToolsPerProxy;
    const registers = [this.registry];
    this.received = new Counter({
      name: 'mcpr_store_events_received_total',
      help: 'Events received in batches, valid or not, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.committed = new Counter({
      name: 'mcpr_store_events_committed_total',
      help: 'Events stored (duplicates included), by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.rejected = new Counter({
      name: 'mcpr_store_events_rejected_total',
      help: 'Events refused, by reason: validation or database.',
      labelNames: ['reason'],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'mcpr_store_commit_duration_seconds',
      help: 'Wall time of each write transaction, commit included.',
      buckets: COMMIT_BUCKETS_S,
      registers,
    });
    this.sessionsStarted = new Counter({
      name: 'mcpr_store_sessions_started_total',
      help: 'Sessions started (their first session event stored), by proxy and client platform.',
      labelNames: ['proxy', 'client_platform'],
      registers,
    });
    const fromHealth = (
      name: string,
      help: string,
      read: (h: HealthReport) => number,
      kind: 'gauge' | 'counter' = 'gauge',
    ) => {
      const collect = function (this: Gauge | Counter) {
        this.reset();
        this.inc(read(health()));
      };
      if (kind === 'counter') new Counter({ name, help, registers, collect });
      else
        new Gauge({
          name,
          help,
          registers,
          collect(this: Gauge) {
            this.set(read(health()));
          },
        });
    };
    fromHealth(
      'mcpr_store_duplicates_ignored_total',
      'Resent requests ignored.',
      (h) => h.duplicates_ignored,
      'counter',
    );
    fromHealth(
      'mcpr_store_client_dropped_events_total',
      'Events clients dropped because their queues were full.',
      (h) => h.dropped_by_clients,
      'counter',
    );
    fromHealth(
      'mcpr_store_events_waiting',
      'Events received and not yet committed.',
      (h) => h.events_waiting,
    );
    fromHealth(
      'mcpr_store_bytes_waiting',
      'Frame bytes of the events waiting.',
      (h) => h.bytes_waiting,
    );
    fromHealth('mcpr_store_connections', 'Client connections open.', (h) => h.connections);
    fromHealth('mcpr_store_reading_paused', '1 while reading is paused for backpressure.', (h) =>
      h.reading_paused ? 1 : 0,
    );
    fromHealth('mcpr_store_writer_up', '1 while the writer thread runs.', (h) =>
      h.writer_alive ? 1 : 0,
    );
    new Gauge({
      name: 'mcpr_store_writes_failing',
      help: '1 while write transactions fail and are retried (health status failing).',
      registers,
      collect(this: Gauge) {
        this.set(writesFailing() ? 1 : 0);
      },
    });
    fromHealth('mcpr_store_db_size_bytes', 'Size of the database file.', (h) => h.db_size_bytes);
    fromHealth(
      'mcpr_store_wal_size_bytes',
      'Size of its write-ahead log.',
      (h) => h.wal_size_bytes,
    );
    fromHealth(
      'mcpr_store_retain_bytes',
      'The --retain-bytes target: retention deletes the oldest requests past it (0: none).',
      (h) => h.retention.retain_bytes,
    );
    new Gauge({
      name: 'mcpr_store_max_db_bytes',
      help: 'The --max-db-bytes hard cap: writes fail past it (0: none).',
      registers,
    }).set(maxDbBytes);
    fromHealth(
      'mcpr_store_oldest_request_timestamp_seconds',
      'Unix time of the oldest request kept (0 before retention first runs).',
      (h) => (h.retention.oldest_ts ?? 0) / 1000,
    );
    fromHealth(
      'mcpr_store_retention_deleted_requests_total',
      'Requests deleted by retention.',
      (h) => h.retention.deleted_requests,
      'counter',
    );
    if (source.replicating) this.registerReplication(fromHealth, health);
    new Gauge({
      name: 'mcpr_store_build_info',
      help: 'The daemon version, as a label; always 1.',
      labelNames: ['version'],
      registers,
    }).set({ version: DAEMON_VERSION }, 1);
  }

  /** `mcpr_store_replication_*`: health's `replication`, for alerts on lag and failures. */
  private registerReplication(
    fromHealth: (
      name: string,
      help: string,
      read: (h: HealthReport) => number,
      kind?: 'gauge' | 'counter',
    ) => void,
    health: () => HealthReport,
  ): void {
    const replication = (h: HealthReport) => h.replication;
    fromHealth(
      'mcpr_store_replication_lag_rows',
      'Requests committed here and not yet committed in PostgreSQL.',
      (h) => replication(h)?.lag_rows ?? 0,
    );
    fromHealth(
      'mcpr_store_replication_lag_seconds',
      'Age of the oldest request not yet shipped to PostgreSQL (0 when none waits).',
      (h) => (replication(h)?.lag_ms ?? 0) / 1000,
    );
    fromHealth(
      'mcpr_store_replication_last_shipped_timestamp_seconds',
      'Unix time PostgreSQL last committed a shipment (0 before the first).',
      (h) => (replication(h)?.last_shipped_at ?? 0) / 1000,
    );
    fromHealth(
      'mcpr_store_replication_up',
      '1 while the last attempt to reach PostgreSQL succeeded.',
      (h) => (replication(h)?.connected ? 1 : 0),
    );
    fromHealth(
      'mcpr_store_replication_failures_total',
      'Failed attempts to ship to PostgreSQL (each retried).',
      (h) => replication(h)?.failures ?? 0,
      'counter',
    );
    fromHealth(
      'mcpr_store_replication_holding_retention',
      '1 while retention keeps rows its policy would delete because they are not shipped yet.',
      (h) => (replication(h)?.holding_retention ? 1 : 0),
    );
    new Counter({
      name: 'mcpr_store_replication_shipped_rows_total',
      help: 'Rows PostgreSQL committed, by table.',
      labelNames: ['table'],
      registers: [this.registry],
      collect(this: Counter<'table'>) {
        const shipped = replication(health())?.shipped;
        this.reset();
        if (!shipped) return;
        for (const [table, rows] of Object.entries(shipped)) this.inc({ table }, rows);
      },
    });
  }

  /** A client batch was admitted. */
  received_batch(byKind: Record<string, number>, invalid: number): void {
    for (const [kind, count] of Object.entries(byKind)) this.received.inc({ kind }, count);
    if (invalid > 0) this.rejected.inc({ reason: 'validation' }, invalid);
  }

  /** A transaction committed. */
  committed_transaction(outcome: TransactionOutcome): void {
    for (const [kind, count] of Object.entries(outcome.committed_by_kind)) {
      this.committed.inc({ kind }, count);
    }
    if (outcome.rejected.length > 0)
      this.rejected.inc({ reason: 'database' }, outcome.rejected.length);
    this.commitSeconds.observe(outcome.commit_us / 1_000_000);
    for (const started of outcome.sessions_started) {
      this.sessionsStarted.inc(
        { proxy: started.proxy, client_platform: started.client_platform },
        started.count,
      );
    }
    this.addOperations(outcome.operations);
  }

  private addOperations({ keys, values }: OperationTallies): void {
    for (let k = 0; k < keys.length; k += 1) {
      const key = keys[k] as string;
      let series = this.seriesOfTally.get(key);
      if (!series) {
        series = this.seriesFor(key);
        this.seriesOfTally.set(key, series);
      }
      const at = k * OPERATION_STRIDE;
      const buckets = series.buckets;
      for (let i = 0; i < buckets.length; i += 1) {
        buckets[i] = (buckets[i] as number) + (values[at + i] as number);
      }
      series.sum += values[at + OPERATION_SUM_AT] as number;
      series.count += values[at + OPERATION_COUNT_AT] as number;
    }
  }

  /** The series a tally key's label set adds to, its tool labelled within the proxy's budget. */
  private seriesFor(tallyKey: string): OperationSeries {
    const [proxy, method, tallyTool, errorType] = operationLabels(tallyKey);
    const tool = this.toolLabel(proxy, tallyTool);
    const key = `${proxy}\u0000${method}\u0000${tool}\u0000${errorType}`;
    let series = this.operations.get(key);
    if (!series) {
      const labels = labelBytes([
        ['proxy', proxy],
        ['mcp_method_name', method],
        ['gen_ai_tool_name', tool],
        ['error_type', errorType],
      ]);
      series = { labels, buckets: new Float64Array(OPERATION_SUM_AT), sum: 0, count: 0 };
      this.operations.set(key, series);
    }
    return series;
  }

  /** The tool's own name while its proxy is within budget; `_other` past it. */
  private toolLabel(proxy: string, tool: string): string {
    if (tool === '') return '';
    let tools = this.toolsByProxy.get(proxy);
    if (!tools) {
      tools = new Set();
      this.toolsByProxy.set(proxy, tools);
    }
    if (tools.has(tool)) return tool;
    if (tools.size >= this.maxToolsPerProxy) return OTHER_TOOL;
    tools.add(tool);
    return tool;
  }

  /** The whole exposition: prom-client's metrics, then the MCP operations histogram. */
  async render(): Promise<Exposition> {
    const own = Buffer.from(await this.registry.metrics());
    return this.writer.write(own, this.operations.values());
  }

  /** The Content-Type of `render()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
