// What `status` adds beside the per-tool table, for an operator on call:
// which JSON-RPC errors came back and how often, and which tools clients
// called that the proxy's server never listed (a model inventing tool
// names), each read from the window's rows through an index, or, for a
// wide window, from the calls its rollups counted.

import type { ToolCalls } from './rollup-window.js';
import { listedTools } from './schema.js';
import { indexedBy, type Source, storeOf } from './store.js';
import { byUtf8 } from './text-order.js';
import type { Where } from './where.js';

export interface ErrorCodeRow {
  error_code: string;
  calls: number;
}

/**
 * Error codes in the window, most first. Read through the (status, ts)
 * index: only the failed requests' rows are looked up, not the window's.
 */
export function errorCodes(source: Source, where: Where): ErrorCodeRow[] {
  const store = storeOf(source);
  return store.all<ErrorCodeRow>(
    `SELECT error_code, COUNT(*) AS calls FROM requests ${indexedBy(store, 'idx_requests_status')}
     ${where.sql} AND status IN ('error', 'timeout') AND error_code IS NOT NULL
     GROUP BY error_code ORDER BY calls DESC, error_code`,
    where.params,
  );
}

export interface UnknownToolRow {
  tool: string;
  calls: number;
  last_called_at: number;
  /** Ours: the proxy the calls went through. */
  proxy: string;
}

/** Each proxy's listed tool names (every upstream's latest tools/list together); proxies with none are absent. */
function listedByProxy(source: Source, proxy?: string): Map<string, Set<string>> {
  const store = storeOf(source);
  const lists = store.all<{ proxy: string; payload: string }>(
    `SELECT proxy, payload FROM server_schema WHERE method = 'tools/list'${proxy === undefined ? '' : ' AND proxy = @proxy'}`,
    proxy === undefined ? {} : { proxy },
  );
  const known = new Map<string, Set<string>>();
  for (const list of lists) {
    const names = known.get(list.proxy) ?? new Set<string>();
    for (const tool of listedTools(list.payload)) names.add(tool.name);
    known.set(list.proxy, names);
  }
  return known;
}

function mostCalledFirst(rows: UnknownToolRow[]): UnknownToolRow[] {
  return rows.sort(
    (a, b) => b.calls - a.calls || byUtf8(a.tool, b.tool) || byUtf8(a.proxy, b.proxy),
  );
}

/**
 * Calls in the window to tool names absent from their proxy's latest
 * captured tools/list (every upstream's of that proxy together), most
 * called first. A proxy with no tools/list captured has none: nothing is
 * known to be missing. The store's distinct tool names are read by seeking
 * through the (tool, ts) index, one seek a name; only the names some
 * listing proxy lacks are then counted, each through the same index, so a
 * window costs the unknown tools' rows, not the window's.
 */
export function unknownTools(source: Source, where: Where, proxy?: string): UnknownToolRow[] {
  const store = storeOf(source);
  const known = listedByProxy(store, proxy);
  if (known.size === 0) return [];
  const byTool = indexedBy(store, 'idx_requests_tool');
  const candidates: string[] = [];
  let tool =
    store.get<{ tool: string | null }>(
      `SELECT MIN(tool) AS tool FROM requests ${byTool} WHERE tool IS NOT NULL`,
    )?.tool ?? null;
  while (tool !== null) {
    const name = tool;
    if ([...known.values()].some((names) => !names.has(name))) candidates.push(name);
    tool =
      store.get<{ tool: string | null }>(
        `SELECT MIN(tool) AS tool FROM requests ${byTool} WHERE tool > @after`,
        { after: name },
      )?.tool ?? null;
  }
  const rows: UnknownToolRow[] = [];
  for (const candidate of candidates) {
    const perProxy = store.all<{ proxy: string; calls: number; last_called_at: number }>(
      `SELECT proxy, COUNT(*) AS calls, MAX(ts) AS last_called_at
       FROM requests ${byTool}
       ${where.sql} AND tool = @tool GROUP BY proxy ORDER BY proxy`,
      { ...where.params, tool: candidate },
    );
    for (const row of perProxy) {
      if (known.get(row.proxy)?.has(candidate) !== false) continue;
      rows.push({
        tool: candidate,
        calls: row.calls,
        last_called_at: row.last_called_at,
        proxy: row.proxy,
      });
    }
  }
  return mostCalledFirst(rows);
}

/**
 * The same from calls already counted (a wide window read from the
 * rollups): the window's rows are not read again, however many the
 * unknown tools have.
 */
export function unknownToolsOf(
  source: Source,
  counted: Iterable<ToolCalls>,
  proxy?: string,
): UnknownToolRow[] {
  const known = listedByProxy(source, proxy);
  const rows: UnknownToolRow[] = [];
  for (const { proxy: from, tool, calls, last_called_at } of counted) {
    if (known.get(from)?.has(tool) !== false) continue;
    rows.push({ tool, calls, last_called_at, proxy: from });
  }
  return mostCalledFirst(rows);
}
