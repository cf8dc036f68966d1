// Public surface of @mcpr-store/query: every question asked of the store,
// answered once. The CLI prints these answers as tables or JSON; the web
// page's API serves the same JSON. Inputs are typed values (times in ms,
// latencies in µs), never flags; failures are QueryErrors with codes.

export * from './connection.js';
export * from './errors.js';
export { fileSize } from './file-size.js';
export * from './insights.js';
export { bucketStartUs, LATENCY_BUCKETS, latencyBucket } from './label-tally.js';
export { OWN_INDEX_DDL } from './own-indexes.js';
export * from './postgres-errors.js';
export { PostgresStore } from './postgres-store.js';
export * from './postgres-url.js';
export * from './requests.js';
export * from './rollup.js';
export { EXACT_WINDOW_MAX_MS } from './rollup-window.js';
export * from './schema.js';
export * from './series.js';
export { defaultBucketMs } from './series-buckets.js';
export * from './sessions.js';
export { SqliteStore } from './sqlite-store.js';
export * from './status.js';
export * from './store.js';
export * from './store-stats.js';
export { Where } from './where.js';
