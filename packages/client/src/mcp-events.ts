// Small pure functions that turn what a proxy already has (a JSON-RPC
// request and its outcome, an initialize handshake, a discovery result) into
// events. They never throw on odd input: a proxy forwards whatever its peers
// send, and its reporting must not be what breaks.

import { createHash } from 'node:crypto';
import {
  canonicalJson,
  ERROR_MSG_MAX_CHARS,
  LIST_METHODS,
  listMethod,
  type RequestInput,
  type RequestStatus,
  type SchemaVersionInput,
  type SessionInput,
} from '@mcpr-store/protocol';
import { normalizeClientPlatform } from './client-platform.js';

type Json = Record<string, unknown>;

function asRecord(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Json)
    : undefined;
}

function jsonBytes(value: unknown): number | null {
  if (value === undefined) return null;
  try {
    return Buffer.byteLength(JSON.stringify(value));
  } catch {
    return null;
  }
}

function truncate(text: string): string {
  return text.length > ERROR_MSG_MAX_CHARS ? text.slice(0, ERROR_MSG_MAX_CHARS) : text;
}

export interface RequestOutcome {
  /** The JSON-RPC request as the client sent it. */
  request: unknown;
  /** The JSON-RPC response (with `result` or `error`); absent on timeout. */
  response?: unknown;
  /** True when no response came in time. */
  timedOut?: boolean;
  /** Wall time from request to response. */
  latency_us: number;
  /** Unix ms when the request arrived; default now (filled in by record()). */
  ts?: number;
  session_id?: string | null;
  /** Sizes on the wire; measured from the JSON when left out. */
  bytes_in?: number | null;
  bytes_out?: number | null;
}

/** A `request` event from a JSON-RPC request and what came back. */
export function requestEvent(outcome: RequestOutcome): RequestInput {
  const request = asRecord(outcome.request) ?? {};
  const method = typeof request.method === 'string' ? request.method : 'unknown';
  const params = asRecord(request.params);
  const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : null;
  const response = asRecord(outcome.response);
  let status: RequestStatus = 'ok';
  let error_code: string | null = null;
  let error_msg: string | null = null;
  if (outcome.timedOut || !response) {
    status = 'timeout';
  } else if (response.error !== undefined) {
    const error = asRecord(response.error);
    status = 'error';
    error_code = error?.code !== undefined ? String(error.code) : null;
    error_msg = typeof error?.message === 'string' ? truncate(error.message) : null;
  } else if (asRecord(response.result)?.isError === true) {
    // A tool that ran and reported failure (CallToolResult.isError).
    status = 'error';
    const content = asRecord(response.result)?.content;
    const text = Array.isArray(content)
      ? content.map((item) => asRecord(item)?.text).find((t) => typeof t === 'string')
      : undefined;
    error_msg = typeof text === 'string' ? truncate(text) : null;
  }
  return {
    kind: 'request',
    ts: outcome.ts,
    session_id: outcome.session_id ?? null,
    method,
    tool,
    latency_us: Math.max(0, Math.round(outcome.latency_us)),
    status,
    error_code,
    error_msg,
    bytes_in: outcome.bytes_in ?? jsonBytes(outcome.request),
    bytes_out: outcome.bytes_out ?? jsonBytes(outcome.response),
  };
}

/** A `session` event from an `initialize` request (its params carry clientInfo). */
export function sessionEvent(options: {
  session_id: string;
  initialize: unknown;
  started_at?: number;
}): SessionInput {
  const request = asRecord(options.initialize) ?? {};
  const params = asRecord(request.params) ?? request;
  const clientInfo = asRecord(params.clientInfo);
  const name = typeof clientInfo?.name === 'string' ? clientInfo.name : null;
  const version = typeof clientInfo?.version === 'string' ? clientInfo.version : null;
  return {
    kind: 'session',
    session_id: options.session_id,
    started_at: options.started_at,
    client_name: name,
    client_version: version,
    client_platform: normalizeClientPlatform(name),
  };
}

/** For each list method, the key that holds its items. */
export const LIST_ITEM_KEYS: Record<string, string> = Object.fromEntries(
  Object.entries(LIST_METHODS).map(([method, { key }]) => [method, key]),
);

/**
 * Merges the pages of a paginated list result into one result: the items
 * of every page in order, without `nextCursor`. Other methods: the first page.
 */
export function mergeListPages(method: string, pages: readonly unknown[]): Json {
  const key = listMethod(method)?.key;
  const first = { ...(asRecord(pages[0]) ?? {}) };
  delete first.nextCursor;
  if (!key) return first;
  const items: unknown[] = [];
  for (const page of pages) {
    const list = asRecord(page)?.[key];
    if (Array.isArray(list)) items.push(...list);
  }
  first[key] = items;
  return first;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A `schema_version` event from a discovery result (`initialize`,
 * `tools/list`, `resources/list`, `resources/templates/list`,
 * `prompts/list`), or from all pages of one. The payload is canonical JSON,
 * so equal content hashes equal whatever the key order.
 */
export function schemaVersionEvent(options: {
  upstream_url: string;
  method: string;
  result?: unknown;
  pages?: readonly unknown[];
  ts?: number;
}): SchemaVersionInput {
  const merged = mergeListPages(options.method, options.pages ?? [options.result]);
  const payload = canonicalJson(merged);
  return {
    kind: 'schema_version',
    ts: options.ts,
    upstream_url: options.upstream_url,
    method: options.method,
    payload,
    schema_hash: sha256Hex(payload),
  };
}
