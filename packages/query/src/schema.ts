// What each upstream server looks like: the latest snapshot per discovery
// method, a status per upstream (is the picture complete?), the change log,
// and which captured tools nobody calls. Unused tools are read from the
// tools/list snapshot of the proxy asked about (each proxy its own), and
// calls are counted through the (tool, ts) index.

import { listMethod } from '@mcpr-store/protocol/fields';
import type { Db } from './connection.js';
import { rollupsUsable, TOOL_ROLLUPS } from './rollup.js';
import {
  addToolCalls,
  EXACT_WINDOW_MAX_MS,
  splitToolKey,
  type ToolCalls,
  toolKey,
  visitWindow,
} from './rollup-window.js';
import { indexedBy, oneIf, type Source, type Store, storeOf } from './store.js';
import { byUtf8 } from './text-order.js';
import { Where } from './where.js';

export interface SnapshotRow {
  proxy: string;
  upstream_url: string;
  method: string;
  payload: string;
  captured_at: number;
  schema_hash: string;
}

export type UpstreamState = 'unknown' | 'partial' | 'complete';

export interface UpstreamStatus {
  proxy: string | null;
  upstream_url: string;
  status: UpstreamState;
  server_name: string | null;
  server_version: string | null;
  protocol_version: string | null;
  capabilities: string[];
  methods: string[];
  captured_at: number | null;
}

export interface SchemaReport {
  upstreams: UpstreamStatus[];
  snapshots: SnapshotRow[];
}

function parseJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function describeUpstream(proxy: string, upstreamUrl: string, rows: SnapshotRow[]): UpstreamStatus {
  const methods = rows.map((r) => r.method).sort();
  const init = rows.find((r) => r.method === 'initialize');
  const result = init ? parseJson(init.payload) : {};
  const info = (result.serverInfo ?? {}) as Record<string, unknown>;
  const capabilities =
    result.capabilities && typeof result.capabilities === 'object'
      ? Object.keys(result.capabilities as object).sort()
      : [];
  const hasList = methods.some((m) => listMethod(m) !== undefined);
  return {
    proxy,
    upstream_url: upstreamUrl,
    status: init && hasList ? 'complete' : rows.length > 0 ? 'partial' : 'unknown',
    server_name: typeof info.name === 'string' ? info.name : null,
    server_version: typeof info.version === 'string' ? info.version : null,
    protocol_version: typeof result.protocolVersion === 'string' ? result.protocolVersion : null,
    capabilities,
    methods,
    captured_at: rows.reduce<number | null>(
      (max, r) => (max === null || r.captured_at > max ? r.captured_at : max),
      null,
    ),
  };
}

/** The latest snapshots of the proxy asked about (all when none), and a status per upstream. */
export function querySchema(
  source: Source,
  filter: { proxy?: string; method?: string },
): SchemaReport {
  const where = new Where().when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  const all = storeOf(source).all<SnapshotRow>(
    `SELECT proxy, upstream_url, method, payload, captured_at, schema_hash FROM server_schema ${where.sql}
     ORDER BY proxy, upstream_url, method`,
    where.params,
  );
  const groups = new Map<string, SnapshotRow[]>();
  for (const row of all) {
    const key = JSON.stringify([row.proxy, row.upstream_url]);
    const list = groups.get(key) ?? [];
    list.push(row);
    groups.set(key, list);
  }
  const upstreams = [...groups.values()].map((rows) =>
    describeUpstream((rows[0] as SnapshotRow).proxy, (rows[0] as SnapshotRow).upstream_url, rows),
  );
  const chosen = new Set(upstreams.map((u) => JSON.stringify([u.proxy, u.upstream_url])));
  const snapshots = all.filter(
    (row) =>
      chosen.has(JSON.stringify([row.proxy, row.upstream_url])) &&
      (filter.method === undefined || row.method === filter.method),
  );
  return { upstreams, snapshots };
}

export interface ChangeRow {
  proxy: string;
  upstream_url: string;
  method: string;
  change_type: string;
  item_name: string | null;
  old_hash: string | null;
  new_hash: string | null;
  detected_at: number;
}

/** Newest first. */
export function querySchemaChanges(
  source: Source,
  filter: { proxy?: string; method?: string },
  limit: number,
): ChangeRow[] {
  const where = new Where()
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }))
    .when(filter.method, 'method = @method', (method) => ({ method }));
  return storeOf(source).all<ChangeRow>(
    `SELECT proxy, upstream_url, method, change_type, item_name, old_hash, new_hash, detected_at
     FROM schema_changes ${where.sql} ORDER BY detected_at DESC, id DESC LIMIT @limit`,
    { ...where.params, limit },
  );
}

/** A captured tool and its use in the window: mcpr's keys (tool_name .. last_called_at), then ours. */
export interface ToolUsageRow {
  tool_name: string;
  /** The tool's description in the tools/list snapshot, or null. */
  description: string | null;
  calls: number;
  /** Calls whose status is `error` (timeouts are not errors here, as in mcpr). */
  errors: number;
  /** The last call inside the window, or null. */
  last_called_at: number | null;
  proxy: string;
  upstream_url: string;
}

/**
 * Every tool of each proxy's captured tools/list with its calls, errors and
 * last call in the window; unused tools first, per proxy.
 */
export function queryUnusedTools(
  source: Source,
  filter: { proxy?: string; sinceMs: number; exact?: boolean },
): ToolUsageRow[] {
  const store = storeOf(source);
  const db = store.sqlite;
  const where = new Where()
    .add("method = 'tools/list'")
    .when(filter.proxy, 'proxy = @proxy', (proxy) => ({ proxy }));
  const lists = store.all<{ proxy: string; upstream_url: string; payload: string }>(
    `SELECT proxy, upstream_url, payload FROM server_schema ${where.sql} ORDER BY proxy, upstream_url`,
    where.params,
  );
  const proxies = lists.map((l) => l.proxy);
  const names = lists.flatMap((l) => listedTools(l.payload).map((t) => t.name));
  // Counts are exact either way; a wide window is cheaper from the rollups.
  const wide = !filter.exact && Date.now() - filter.sinceMs > EXACT_WINDOW_MAX_MS;
  const usage =
    db === null
      ? toolUsageBySql(store, filter.sinceMs)
      : wide && rollupsUsable(db)
        ? toolUsageFromRollups(db, filter.sinceMs)
        : toolUsageFromRows(db, proxies, names, filter.sinceMs);
  const rows: ToolUsageRow[] = [];
  for (const list of lists) {
    for (const { name, description } of listedTools(list.payload)) {
      const counted = usage.get(toolKey(list.proxy, name));
      rows.push({
        tool_name: name,
        description,
        calls: counted?.calls ?? 0,
        errors: counted?.errors ?? 0,
        last_called_at: counted?.last_called_at ?? null,
        proxy: list.proxy,
        upstream_url: list.upstream_url,
      });
    }
  }
  return rows.sort(
    (a, b) => byUtf8(a.proxy, b.proxy) || a.calls - b.calls || byUtf8(a.tool_name, b.tool_name),
  );
}

type ToolUsage = Map<string, { calls: number; errors: number; last_called_at: number | null }>;

/** Calls, errors and the last call per [proxy, tool] since a time, from the rows. */
function toolUsageFromRows(db: Db, proxies: string[], tools: string[], sinceMs: number): ToolUsage {
  const lastCall = db
    .prepare('SELECT MAX(ts) FROM requests WHERE tool = @tool AND ts >= @since AND proxy = @proxy')
    .pluck();
  const usage: ToolUsage = new Map();
  for (const [key, counted] of countToolCalls(db, proxies, tools, sinceMs)) {
    const [proxy, tool] = splitToolKey(key);
    const last =
      counted.calls === 0 ? null : (lastCall.get({ tool, proxy, since: sinceMs }) as number | null);
    usage.set(key, { ...counted, last_called_at: last });
  }
  return usage;
}

/** The same grouped by the database (PostgreSQL groups by hashing, without sorting). */
function toolUsageBySql(store: Store, sinceMs: number): ToolUsage {
  const rows = store.all<{
    proxy: string;
    tool: string;
    calls: number;
    errors: number;
    last_called_at: number;
  }>(
    `SELECT proxy, tool, COUNT(*) AS calls, SUM(${oneIf("status = 'error'")}) AS errors,
            MAX(ts) AS last_called_at
     FROM requests WHERE tool IS NOT NULL AND ts >= @since GROUP BY tool, proxy`,
    { since: sinceMs },
  );
  return new Map(rows.map(({ proxy, tool, ...counted }) => [toolKey(proxy, tool), counted]));
}

/** The same from the rollups (and the rows of the part half-hour the window starts in). */
function toolUsageFromRollups(db: Db, sinceMs: number): ToolUsage {
  const usage = new Map<string, ToolCalls>();
  db.transaction(() =>
    visitWindow(
      db,
      { fromMs: sinceMs, toMs: null, countsOnly: true, family: TOOL_ROLLUPS },
      (row) => addToolCalls(usage, row),
    ),
  )();
  return usage;
}

/** The tools a tools/list snapshot names, with their descriptions. */
export function listedTools(payload: string): { name: string; description: string | null }[] {
  const tools = parseJson(payload).tools;
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((item) => {
    const tool = (item ?? {}) as Record<string, unknown>;
    if (typeof tool.name !== 'string') return [];
    return [
      {
        name: tool.name,
        description: typeof tool.description === 'string' ? tool.description : null,
      },
    ];
  });
}

/** Above this many rowids in the window, count with SQL instead of in memory. */
const MAX_ROWID_SPAN = 16_000_000;

/**
 * Calls and errors (status `error`) per (proxy, tool) in the window, keyed by
 * JSON [proxy, tool]. No index of the schema covers tool, proxy and status
 * together, and looking each call row up costs a second per million rows. So
 * the row ids come from three covering index scans instead, (proxy, ts),
 * (tool, ts) and (status, ts), and are matched in typed arrays indexed by
 * row id: a third of the time, and still exact.
 */
export function countToolCalls(
  db: Db,
  proxies: string[],
  tools: string[],
  sinceMs: number,
): Map<string, { calls: number; errors: number }> {
  const counts = new Map<string, { calls: number; errors: number }>();
  const proxyList = [...new Set(proxies)];
  const toolList = [...new Set(tools)];
  if (proxyList.length === 0 || toolList.length === 0) return counts;
  const byProxy = db
    .prepare('SELECT rowid FROM requests INDEXED BY idx_requests_proxy WHERE proxy = ? AND ts >= ?')
    .pluck();
  const byTool = db
    .prepare('SELECT rowid FROM requests INDEXED BY idx_requests_tool WHERE tool = ? AND ts >= ?')
    .pluck();
  const failed = db
    .prepare(
      "SELECT rowid FROM requests INDEXED BY idx_requests_status WHERE status = 'error' AND ts >= ?",
    )
    .pluck();
  const proxyRows = proxyList.map((proxy) => byProxy.all(proxy, sinceMs) as number[]);
  const toolRows = toolList.map((tool) => byTool.all(tool, sinceMs) as number[]);
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (const ids of [...proxyRows, ...toolRows]) {
    for (const id of ids) {
      if (id < low) low = id;
      if (id > high) high = id;
    }
  }
  if (high < low) return counts;
  if (high - low + 1 > MAX_ROWID_SPAN || proxyList.length > 65_535) {
    return countToolCallsBySql(db, sinceMs);
  }
  const proxyOf = new Uint16Array(high - low + 1);
  proxyRows.forEach((ids, index) => {
    for (const id of ids) proxyOf[id - low] = index + 1;
  });
  const isError = new Uint8Array(high - low + 1);
  for (const id of failed.all(sinceMs) as number[]) {
    if (id >= low && id <= high) isError[id - low] = 1;
  }
  toolRows.forEach((ids, toolIndex) => {
    const perProxy = new Map<number, { calls: number; errors: number }>();
    for (const id of ids) {
      const proxy = proxyOf[id - low] as number;
      if (proxy === 0) continue;
      const tally = perProxy.get(proxy) ?? { calls: 0, errors: 0 };
      tally.calls += 1;
      tally.errors += isError[id - low] as number;
      perProxy.set(proxy, tally);
    }
    for (const [proxy, tally] of perProxy) {
      counts.set(toolKey(proxyList[proxy - 1] as string, toolList[toolIndex] as string), tally);
    }
  });
  return counts;
}

/** The same counts by grouping in SQL: for windows too sparse to map in memory. */
export function countToolCallsBySql(
  db: Db,
  sinceMs: number,
): Map<string, { calls: number; errors: number }> {
  const store = storeOf(db);
  const rows = store.all<{ proxy: string; tool: string; calls: number; errors: number }>(
    `SELECT proxy, tool, COUNT(*) AS calls, SUM(${oneIf("status = 'error'")}) AS errors
     FROM requests ${indexedBy(store, 'idx_requests_tool')}
     WHERE tool IS NOT NULL AND ts >= @since
     GROUP BY tool, proxy`,
    { since: sinceMs },
  );
  return new Map(rows.map((row) => [toolKey(row.proxy, row.tool), row]));
}
