// `schema`'s answers from the store: what the command asks when the daemon
// does not answer it (daemon-query.ts), and what the daemon's query thread
// and the web API answer with. Apart from the command's printing because
// they load the query layer.

import {
  type ChangeRow,
  querySchema,
  querySchemaChanges,
  queryUnusedTools,
  type SchemaReport,
  type SnapshotRow,
  type ToolUsageRow,
} from '@mcpr-store/query';
import { parseWindowMs } from './durations.js';
import { integerFlag, type ParsedFlags, stringFlag } from './flags.js';
import type { QueryAnswer } from './query-command.js';
import { ask } from './query-store.js';
import { SCHEMA_FLAGS, schemaProxy } from './schema-command.js';

/** mcpr's JSON: one snapshot a line, its keys in mcpr's order. */
function snapshotLines(report: SchemaReport): SnapshotRow[] {
  return report.snapshots.map((s) => ({
    upstream_url: s.upstream_url,
    method: s.method,
    payload: s.payload,
    captured_at: s.captured_at,
    schema_hash: s.schema_hash,
    proxy: s.proxy,
  }));
}

export const SCHEMA: QueryAnswer<SnapshotRow[]> = {
  flags: SCHEMA_FLAGS,
  answer: (flags, db) =>
    snapshotLines(
      querySchema(db, { proxy: schemaProxy(flags), method: stringFlag(flags, 'method') }),
    ),
};

export const SCHEMA_CHANGES: QueryAnswer<ChangeRow[]> = {
  flags: SCHEMA_FLAGS,
  answer: (flags, db) =>
    querySchemaChanges(
      db,
      { proxy: schemaProxy(flags), method: stringFlag(flags, 'method') },
      integerFlag(flags, 'limit', 50, 0),
    ),
};

export const SCHEMA_UNUSED: QueryAnswer<ToolUsageRow[]> = {
  flags: SCHEMA_FLAGS,
  answer: (flags, db, { nowMs }) =>
    queryUnusedTools(db, {
      proxy: schemaProxy(flags),
      sinceMs: nowMs - parseWindowMs(stringFlag(flags, 'since') ?? '7d'),
    }),
};

/** The whole schema report (people's output) and its JSON lines, asked of the store here. */
export function schemaHere(flags: ParsedFlags): { report: SchemaReport; lines: SnapshotRow[] } {
  const report = ask(flags, (db) =>
    querySchema(db, { proxy: schemaProxy(flags), method: stringFlag(flags, 'method') }),
  );
  return { report, lines: snapshotLines(report) };
}
