// Indexes of ours on mcpr's tables, for questions mcpr does not ask. Each
// is named mcpr_store_*, created after mcpr's migration steps at every
// open (so a table a later mcpr migration rebuilds gets it back), and
// never needed by mcpr's tools; SQLite keeps it current whoever writes.

/** status's sessions_seen counts the sessions seen since a time in the index, not across the table. */
export const OWN_INDEX_DDL = `
CREATE INDEX IF NOT EXISTS mcpr_store_sessions_seen ON sessions (last_seen_at);`;
