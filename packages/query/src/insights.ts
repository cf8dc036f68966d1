// What `status` adds beside the per-tool table, for an operator on call:
// which JSON-RPC errors came back and how often, and which tools clients
// called that the proxy's server never listed (a model inventing tool
// names), each read from the window's rows through the ts index.

import type { Db } from './connection.js';
import { listedTools } from './schema.js';
import type { Where } from './where.js';

export interface ErrorCodeRow {
  error_code: string;
  calls: number;
}

/** Error codes in the window, most first. */
export function errorCodes(db: Db, where: Where): ErrorCodeRow[] {
  return db
    .prepare(
      `SELECT error_code, COUNT(*) AS calls FROM requests ${where.sql} AND error_code IS NOT NULL
       GROUP BY error_code ORDER BY calls DESC, error_code`,
    )
    .all(where.params) as ErrorCodeRow[];
}

export interface UnknownToolRow {
  tool: string;
  calls: number;
  last_called_at: number;
  /** Ours: the proxy the calls went through. */
  proxy: string;
}

/**
 * Calls in the window to tool names absent from their proxy's latest
 * captured tools/list (every upstream's of that proxy together), most
 * called first. A proxy with no tools/list captured has none: nothing is
 * known to be missing.
 */
export function unknownTools(db: Db, where: Where, proxy?: string): UnknownToolRow[] {
  const lists = db
    .prepare(
      `SELECT proxy, payload FROM server_schema WHERE method = 'tools/list'${proxy === undefined ? '' : ' AND proxy = @proxy'}`,
    )
    .all(proxy === undefined ? {} : { proxy }) as { proxy: string; payload: string }[];
  if (lists.length === 0) return [];
  const known = new Map<string, Set<string>>();
  for (const list of lists) {
    const names = known.get(list.proxy) ?? new Set<string>();
    for (const tool of listedTools(list.payload)) names.add(tool.name);
    known.set(list.proxy, names);
  }
  const called = db
    .prepare(
      `SELECT proxy, tool, COUNT(*) AS calls, MAX(ts) AS last_called_at FROM requests
       ${where.sql} AND tool IS NOT NULL GROUP BY proxy, tool`,
    )
    .all(where.params) as UnknownToolRow[];
  return called
    .filter((row) => known.get(row.proxy)?.has(row.tool) === false)
    .map((row) => ({
      tool: row.tool,
      calls: row.calls,
      last_called_at: row.last_called_at,
      proxy: row.proxy,
    }))
    .sort((a, b) => b.calls - a.calls || a.tool.localeCompare(b.tool));
}
