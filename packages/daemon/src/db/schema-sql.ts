// The on-disk format: the schema of the Rust proxy mcpr, step by step, so
// that a file mcpr wrote at any version migrates in place and a file we
// create is indistinguishable from one mcpr created. Only the format is
// shared; change nothing here without a new migration step.

/** The schema version this build writes; `meta.schema_version` after migrating. */
export const SCHEMA_VERSION = 4;

/** Step 0 -> 1: requests, sessions, meta and their indexes. */
export const V1_SQL = `
CREATE TABLE IF NOT EXISTS requests (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id      TEXT NOT NULL UNIQUE,
    ts              INTEGER NOT NULL,
    proxy           TEXT NOT NULL,
    session_id      TEXT,
    method          TEXT NOT NULL,
    tool            TEXT,
    latency_ms      INTEGER NOT NULL,
    status          TEXT NOT NULL
        CHECK (status IN ('ok', 'error', 'timeout')),
    error_code      TEXT,
    error_msg       TEXT,
    bytes_in        INTEGER,
    bytes_out       INTEGER
);

CREATE TABLE IF NOT EXISTS sessions (
    session_id      TEXT PRIMARY KEY,
    proxy           TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    ended_at        INTEGER,
    client_name     TEXT,
    client_version  TEXT,
    client_platform TEXT,
    total_calls     INTEGER NOT NULL DEFAULT 0,
    total_errors    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS meta (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_requests_ts        ON requests (ts);
CREATE INDEX IF NOT EXISTS idx_requests_proxy     ON requests (proxy, ts);
CREATE INDEX IF NOT EXISTS idx_requests_tool      ON requests (tool, ts) WHERE tool IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_requests_session   ON requests (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_requests_status    ON requests (status, ts);
CREATE INDEX IF NOT EXISTS idx_requests_slow      ON requests (proxy, latency_ms DESC, ts);

CREATE INDEX IF NOT EXISTS idx_sessions_proxy     ON sessions (proxy, started_at);
CREATE INDEX IF NOT EXISTS idx_sessions_client    ON sessions (client_name, client_platform);
CREATE INDEX IF NOT EXISTS idx_sessions_active    ON sessions (proxy, last_seen_at) WHERE ended_at IS NULL;
`;

/** Seeds `meta` right after V1_SQL. */
export const V1_META_SQL = `
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
INSERT OR IGNORE INTO meta (key, value) VALUES ('created_at', CAST(strftime('%s', 'now') AS TEXT) || '000');
`;

/** Step 1 -> 2: server_schema snapshots and the schema_changes log. */
export const V2_SQL = `
CREATE TABLE IF NOT EXISTS server_schema (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    upstream_url  TEXT NOT NULL,
    method        TEXT NOT NULL,
    payload       TEXT NOT NULL,
    captured_at   INTEGER NOT NULL,
    schema_hash   TEXT NOT NULL,
    UNIQUE(upstream_url, method)
);

CREATE TABLE IF NOT EXISTS schema_changes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    upstream_url  TEXT NOT NULL,
    method        TEXT NOT NULL,
    change_type   TEXT NOT NULL,
    item_name     TEXT,
    old_hash      TEXT,
    new_hash      TEXT,
    detected_at   INTEGER NOT NULL
);

CREATE INDEX IF NOT EXISTS idx_schema_upstream
    ON server_schema (upstream_url);
CREATE INDEX IF NOT EXISTS idx_schema_changes_upstream
    ON schema_changes (upstream_url, detected_at);

UPDATE meta SET value = '2' WHERE key = 'schema_version';
`;

/**
 * Step 2 -> 3: scope schemas by proxy. SQLite cannot alter a UNIQUE
 * constraint, so server_schema is rebuilt; existing rows become proxy 'default'.
 */
export const V3_SQL = `
CREATE TABLE IF NOT EXISTS server_schema_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    proxy         TEXT NOT NULL DEFAULT 'default',
    upstream_url  TEXT NOT NULL,
    method        TEXT NOT NULL,
    payload       TEXT NOT NULL,
    captured_at   INTEGER NOT NULL,
    schema_hash   TEXT NOT NULL,
    UNIQUE(proxy, upstream_url, method)
);
INSERT OR IGNORE INTO server_schema_new (id, proxy, upstream_url, method, payload, captured_at, schema_hash)
    SELECT id, 'default', upstream_url, method, payload, captured_at, schema_hash
    FROM server_schema;
DROP TABLE IF EXISTS server_schema;
ALTER TABLE server_schema_new RENAME TO server_schema;

ALTER TABLE schema_changes ADD COLUMN proxy TEXT NOT NULL DEFAULT 'default';

DROP INDEX IF EXISTS idx_schema_upstream;
CREATE INDEX IF NOT EXISTS idx_schema_proxy
    ON server_schema (proxy, upstream_url);
DROP INDEX IF EXISTS idx_schema_changes_upstream;
CREATE INDEX IF NOT EXISTS idx_schema_changes_proxy
    ON schema_changes (proxy, detected_at);

UPDATE meta SET value = '3' WHERE key = 'schema_version';
`;

/** Step 3 -> 4: latency in microseconds; old millisecond values are scaled by 1000. */
export const V4_SQL = `
ALTER TABLE requests RENAME COLUMN latency_ms TO latency_us;
UPDATE requests SET latency_us = latency_us * 1000;
DROP INDEX IF EXISTS idx_requests_slow;
CREATE INDEX IF NOT EXISTS idx_requests_slow ON requests (proxy, latency_us DESC, ts);
UPDATE meta SET value = '4' WHERE key = 'schema_version';
`;

/** The steps in order; index i migrates from version i to i + 1. */
export const MIGRATION_STEPS: readonly string[] = [V1_SQL + V1_META_SQL, V2_SQL, V3_SQL, V4_SQL];
