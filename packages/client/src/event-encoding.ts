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
  putField,
  putValue,
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

// Null and undefined values are written as nil.

function writeSession(writer: MsgpackWriter, e: Loose, proxy: string, nowMs: number): void {
  let p = putField(writer, writer.pos, SESSION_HEAD, e.session_id);
  p = putField(writer, p, PROXY, e.proxy ?? proxy);
  p = putField(writer, p, STARTED_AT, e.started_at ?? nowMs);
  p = putField(writer, p, CLIENT_NAME, e.client_name);
  p = putField(writer, p, CLIENT_VERSION, e.client_version);
  writer.pos = putField(writer, p, CLIENT_PLATFORM, e.client_platform);
}

function writeSessionClosed(writer: MsgpackWriter, e: Loose, proxy: string, nowMs: number): void {
  let p = putField(writer, writer.pos, SESSION_CLOSED_HEAD, e.session_id);
  p = putField(writer, p, ENDED_AT, e.ended_at ?? nowMs);
  writer.pos = putField(writer, p, PROXY, e.proxy ?? proxy);
}

function writeSchemaVersion(writer: MsgpackWriter, e: Loose, proxy: string, nowMs: number): void {
  const payload = e.payload;
  let p = putField(writer, writer.pos, SCHEMA_VERSION_HEAD, e.ts ?? nowMs);
  p = putField(writer, p, PROXY, e.proxy ?? proxy);
  p = putField(writer, p, UPSTREAM_URL, e.upstream_url);
  p = putField(writer, p, METHOD, e.method);
  p = putField(
    writer,
    p,
    PAYLOAD,
    payload !== null && typeof payload === 'object' ? canonicalJson(payload) : payload,
  );
  writer.pos = putField(writer, p, SCHEMA_HASH, e.schema_hash);
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
      writer.pos = putValue(writer, writer.pos, e);
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
        writer.pos = putValue(writer, writer.pos, Object.assign({}, e));
    }
  }
}
