// Indexes of ours on mcpr's tables, for questions mcpr does not ask. Each
// is named mcpr_store_*, created after mcpr's migration steps at every
// open (so a table a later mcpr migration rebuilds gets it back), and
// never needed by mcpr's tools; SQLite keeps it current whoever writes.

// status's sessions_seen counts the sessions seen since a time in the
// index, not across the table. status's sessions started and clients read
// the sessions started since a time from the other: mcpr's indexes lead
// with the proxy or the client, so without a proxy both read every session.
// Its column is written once, when a session starts, so it costs ingest
// next to nothing (last_seen_at's changes at every call).
export const OWN_INDEX_DDL = `
CREATE INDEX IF NOT EXISTS mcpr_store_sessions_seen ON sessions (last_seen_at);
CREATE INDEX IF NOT EXISTS mcpr_store_sessions_started ON sessions (started_at);`;
