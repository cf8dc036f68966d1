// Turns what a proxy hands to record() into the MessagePack of its wire
// event, written straight into the client's queue: request_id, timestamps
// and proxy filled in, absent optional fields as nil. Requests, nearly all
// of the traffic, have their own encoder (request-encoding.ts); sessions,
// closes and schema versions are rare and written here key by key, their
// keys encoded once as constants. Anything that is not a known kind is
// encoded as it is, for the daemon to reject with a reason.

import {
  canonicalJson,
  type EncodedConstant,
  type EventInput,
  encodedConstant,
  encodedString,
  type MsgpackWriter,
} from '@mcpr-store/protocol';
import { RequestTemplate, writeRequest } from './request-encoding.js';

type Loose = Record<string, unknown>;

/** A map header followed by the given keys and string values, in order. */
function head(mapEntries: number, ...strings: string[]): EncodedConstant {
  return encodedConstant((writer) => {
    writer.mapHeader(mapEntries);
    for (const text of strings) writer.string(text);
  });
}

const key = encodedString;

const PROXY = key('proxy');
const METHOD = key('method');

const SESSION_HEAD = head(7, 'kind', 'session', 'session_id');
const STARTED_AT = key('started_at');
const CLIENT_NAME = key('client_name');
const CLIENT_VERSION = key('client_version');
const CLIENT_PLATFORM = key('client_platform');

const SESSION_CLOSED_HEAD = head(4, 'kind', 'session_closed', 'session_id');
const ENDED_AT = key('ended_at');

const SCHEMA_VERSION_HEAD = head(7, 'kind', 'schema_version', 'ts');
const UPSTREAM_URL = key('upstream_url');
const PAYLOAD = key('payload');
const SCHEMA_HASH = key('schema_hash');

/** Writes `value`, or nil when it is null or undefined. */
function optional(writer: MsgpackWriter, value: unknown): void {
  if (value === undefined || value === null) writer.nil();
  else writer.value(value);
}

function writeSession(writer: MsgpackWriter, e: Loose, proxy: string, nowMs: number): void {
  writer.constant(SESSION_HEAD);
  writer.value(e.session_id);
  writer.constant(PROXY);
  writer.value(e.proxy ?? proxy);
  writer.constant(STARTED_AT);
  writer.value(e.started_at ?? nowMs);
  writer.constant(CLIENT_NAME);
  optional(writer, e.client_name);
  writer.constant(CLIENT_VERSION);
  optional(writer, e.client_version);
  writer.constant(CLIENT_PLATFORM);
  optional(writer, e.client_platform);
}

function writeSessionClosed(writer: MsgpackWriter, e: Loose, proxy: string, nowMs: number): void {
  writer.constant(SESSION_CLOSED_HEAD);
  writer.value(e.session_id);
  writer.constant(ENDED_AT);
  writer.value(e.ended_at ?? nowMs);
  writer.constant(PROXY);
  writer.value(e.proxy ?? proxy);
}

function writeSchemaVersion(writer: MsgpackWriter, e: Loose, proxy: string, nowMs: number): void {
  writer.constant(SCHEMA_VERSION_HEAD);
  writer.value(e.ts ?? nowMs);
  writer.constant(PROXY);
  writer.value(e.proxy ?? proxy);
  writer.constant(UPSTREAM_URL);
  writer.value(e.upstream_url);
  writer.constant(METHOD);
  writer.value(e.method);
  writer.constant(PAYLOAD);
  const payload = e.payload;
  writer.value(payload !== null && typeof payload === 'object' ? canonicalJson(payload) : payload);
  writer.constant(SCHEMA_HASH);
  optional(writer, e.schema_hash);
}

/** Writes the wire events of one client, whose proxy name fills every event that has none. */
export class EventEncoder {
  private readonly requestTemplate: RequestTemplate;

  constructor(readonly proxy: string) {
    this.requestTemplate = new RequestTemplate(proxy);
  }

  /**
   * Appends the wire event for `input` at `writer.pos`. Throws when a value
   * cannot be encoded (a cycle, say); the caller then rewinds `writer.pos`.
   */
  write(writer: MsgpackWriter, input: EventInput, nowMs: number): void {
    const e = input as unknown as Loose;
    if (e === null || typeof e !== 'object') {
      writer.value(e);
      return;
    }
    const proxy = this.proxy;
    switch (e.kind) {
      case 'request':
        writeRequest(writer, e, this.requestTemplate, nowMs);
        return;
      case 'session':
        writeSession(writer, e, proxy, nowMs);
        return;
      case 'session_closed':
        writeSessionClosed(writer, e, proxy, nowMs);
        return;
      case 'schema_version':
        writeSchemaVersion(writer, e, proxy, nowMs);
        return;
      default:
        // Own enumerable fields only, as a plain map.
        writer.value(Object.assign({}, e));
    }
  }
}
