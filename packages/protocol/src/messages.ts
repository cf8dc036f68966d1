// The messages of a conversation. Each is a msgpack map with a `type` string;
// parsing checks only the envelope (events inside a batch are validated one by
// one, so one bad event does not sink its batch). Messages are deliberately
// few: a proxy in any language should be able to speak this in an afternoon.

import { ERROR_CODES, ProtocolError } from './errors.js';
import type { HealthReport } from './health.js';
import { MAX_BATCH_EVENTS } from './limits.js';

/** The protocol version this build speaks best. */
export const PROTOCOL_VERSION = 2;
/** Every version this build can speak. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [2, 1];

/** client -> daemon, first message on every connection. */
export interface HelloMessage {
  type: 'hello';
  /** Versions the client can speak; the daemon picks the highest it shares. */
  versions: number[];
  /** Stable id of the client instance across reconnects (for drop accounting). */
  client_id?: string;
  /** Free text naming the client software, for logs. */
  client?: string;
  /** The proxy behind this connection: named in logs and listed among the running proxies. */
  proxy?: string;
  /** How the proxy describes itself (mcpr's running-proxy fields); all optional. */
  pid?: number;
  port?: number;
  localhost_url?: string;
  studio_url?: string;
  tunnel_url?: string;
  tunnel_studio_url?: string;
}

/** The optional text fields of `hello` that describe a proxy. */
export const HELLO_URL_FIELDS = [
  'localhost_url',
  'studio_url',
  'tunnel_url',
  'tunnel_studio_url',
] as const;

/** The `hello` of this build: every version it speaks, and what the client says of itself. */
export function helloMessage(about: Omit<HelloMessage, 'type' | 'versions'>): HelloMessage {
  return { type: 'hello', versions: [...SUPPORTED_PROTOCOL_VERSIONS], ...about };
}

/** daemon -> client, answer to `hello`. */
export interface WelcomeMessage {
  type: 'welcome';
  version: number;
  daemon_version: string;
  max_frame_bytes: number;
  max_batch_events: number;
}

/** client -> daemon: events to store, numbered by the client. */
export interface BatchMessage {
  type: 'batch';
  /** Client-chosen sequence number, echoed in the ack; unique per connection. */
  seq: number;
  events: unknown[];
}

export interface RejectedEvent {
  /** Position of the event in its batch. */
  index: number;
  reason: string;
}

/** daemon -> client: the batch's transaction committed (or its events were all rejected). */
export interface AckMessage {
  type: 'ack';
  seq: number;
  /** Events now on disk, duplicates included. */
  committed: number;
  /** Requests whose request_id was already stored (ignored, not counted twice). */
  duplicates: number;
  rejected: RejectedEvent[];
}

/** client -> daemon: how many events this client instance dropped in total. */
export interface DroppedMessage {
  type: 'dropped';
  /** Running total since the client started; the daemon keeps the highest per client_id. */
  total: number;
}

/** client -> daemon: ask for the health report. */
export interface HealthRequestMessage {
  type: 'health';
  id: number;
}

/** daemon -> client: the health report. */
export interface HealthResponseMessage {
  type: 'health_result';
  id: number;
  /** A newer daemon may add fields; an older one may lack the newest. */
  health: HealthReport;
}

/**
 * client -> daemon: a query command's answer, asked of the daemon's own
 * read connection (warm: its statements prepared, its code compiled)
 * rather than of a new process's. Only for a client that can read the
 * store: `token` is the one the daemon wrote beside its database, readable
 * by whoever can read that file.
 */
export interface QueryRequestMessage {
  type: 'query';
  id: number;
  /** The answer asked for, named as the web API names it: 'status', 'schema/unused', ... */
  route: string;
  /** The command's arguments, parsed by the daemon exactly as the CLI parses them. */
  argv: string[];
  /** The moment the answer is for (the command's start), in ms since the epoch. */
  now_ms: number;
  token: string;
}

/** daemon -> client: the answer as the command's --json prints it (`json`), or why there is none. */
export interface QueryResponseMessage {
  type: 'query_result';
  id: number;
  json?: string;
  /** A refusal or the query's failure; the client then answers on its own. */
  error?: string;
}

/** Either side: a fatal problem with this connection; the sender closes it after. */
export interface ErrorMessage {
  type: 'error';
  code: string;
  message: string;
  /** With ERR_UNSUPPORTED_VERSION: every version the daemon speaks. */
  supported_versions?: number[];
}

export type ClientMessage =
  | HelloMessage
  | BatchMessage
  | DroppedMessage
  | HealthRequestMessage
  | QueryRequestMessage;
export type DaemonMessage =
  | WelcomeMessage
  | AckMessage
  | HealthResponseMessage
  | QueryResponseMessage
  | ErrorMessage;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function bad(message: string): ProtocolError {
  return new ProtocolError(ERROR_CODES.BAD_MESSAGE, message);
}

function envelope(value: unknown): Record<string, unknown> & { type: string } {
  if (!isRecord(value) || typeof value.type !== 'string') {
    throw new ProtocolError(
      ERROR_CODES.UNKNOWN_MESSAGE,
      'a message must be a map with a string "type"',
    );
  }
  return value as Record<string, unknown> & { type: string };
}

/** Checks a decoded value sent by a client. Throws ProtocolError with a stable code. */
export function parseClientMessage(
  value: unknown,
  maxBatchEvents = MAX_BATCH_EVENTS,
): ClientMessage {
  const msg = envelope(value);
  switch (msg.type) {
    case 'hello': {
      if (!Array.isArray(msg.versions) || !msg.versions.every((v) => Number.isSafeInteger(v))) {
        throw bad('hello: "versions" must be an array of integers');
      }
      for (const field of ['client_id', 'client', 'proxy', ...HELLO_URL_FIELDS] as const) {
        if (msg[field] !== undefined && msg[field] !== null && typeof msg[field] !== 'string') {
          throw bad(`hello: "${field}" must be a string`);
        }
      }
      for (const field of ['pid', 'port'] as const) {
        if (msg[field] !== undefined && msg[field] !== null && !isCount(msg[field])) {
          throw bad(`hello: "${field}" must be a non-negative integer`);
        }
      }
      return msg as unknown as HelloMessage;
    }
    case 'batch': {
      if (!isCount(msg.seq)) throw bad('batch: "seq" must be a non-negative integer');
      if (!Array.isArray(msg.events)) throw bad('batch: "events" must be an array');
      if (msg.events.length > maxBatchEvents) {
        throw new ProtocolError(
          ERROR_CODES.BATCH_TOO_LARGE,
          `batch: ${msg.events.length} events, at most ${maxBatchEvents} allowed; split it`,
        );
      }
      return msg as unknown as BatchMessage;
    }
    case 'dropped':
      if (!isCount(msg.total)) throw bad('dropped: "total" must be a non-negative integer');
      return msg as unknown as DroppedMessage;
    case 'health':
      if (!isCount(msg.id)) throw bad('health: "id" must be a non-negative integer');
      return msg as unknown as HealthRequestMessage;
    case 'query':
      if (!isCount(msg.id)) throw bad('query: "id" must be a non-negative integer');
      if (typeof msg.route !== 'string') throw bad('query: "route" must be a string');
      if (!Array.isArray(msg.argv) || !msg.argv.every((arg) => typeof arg === 'string')) {
        throw bad('query: "argv" must be an array of strings');
      }
      if (!isCount(msg.now_ms)) throw bad('query: "now_ms" must be a non-negative integer');
      if (typeof msg.token !== 'string') throw bad('query: "token" must be a string');
      return msg as unknown as QueryRequestMessage;
    default:
      throw new ProtocolError(
        ERROR_CODES.UNKNOWN_MESSAGE,
        `unknown message type ${JSON.stringify(msg.type).slice(0, 80)} (expected hello, batch, dropped, health or query)`,
      );
  }
}

/** Checks a decoded value sent by the daemon. Throws ProtocolError with a stable code. */
export function parseDaemonMessage(value: unknown): DaemonMessage {
  const msg = envelope(value);
  switch (msg.type) {
    case 'welcome':
      if (!Number.isSafeInteger(msg.version)) throw bad('welcome: "version" must be an integer');
      return msg as unknown as WelcomeMessage;
    case 'ack':
      if (!isCount(msg.seq) || !isCount(msg.committed) || !Array.isArray(msg.rejected)) {
        throw bad('ack: needs "seq", "committed" and "rejected"');
      }
      return msg as unknown as AckMessage;
    case 'health_result':
      if (!isCount(msg.id) || !isRecord(msg.health))
        throw bad('health_result: needs "id" and "health"');
      return msg as unknown as HealthResponseMessage;
    case 'query_result':
      if (!isCount(msg.id)) throw bad('query_result: needs "id"');
      if (typeof msg.json !== 'string' && typeof msg.error !== 'string') {
        throw bad('query_result: needs a string "json" or "error"');
      }
      return msg as unknown as QueryResponseMessage;
    case 'error':
      if (typeof msg.code !== 'string' || typeof msg.message !== 'string') {
        throw bad('error: needs string "code" and "message"');
      }
      return msg as unknown as ErrorMessage;
    default:
      throw new ProtocolError(
        ERROR_CODES.UNKNOWN_MESSAGE,
        `unknown message type ${JSON.stringify(msg.type).slice(0, 80)} (expected welcome, ack, health_result, query_result or error)`,
      );
  }
}

/** The highest version both sides speak, or null. */
export function negotiateVersion(offered: readonly number[]): number | null {
  let best: number | null = null;
  for (const v of offered) {
    if (SUPPORTED_PROTOCOL_VERSIONS.includes(v) && (best === null || v > best)) best = v;
  }
  return best;
}
