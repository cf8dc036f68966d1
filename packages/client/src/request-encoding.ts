// The request event, the one a proxy records for every call, written as fast
// as JavaScript allows: its cost is most of what record() costs.
//
// It is written in the protocol's positional form (version 2, see the
// protocol's positional.ts): an array of the request's values in a fixed
// order, without the field names that take a third of a map's bytes. The
// usual request (a generated id, this client's proxy, a uint32 latency,
// both sizes or neither) starts with a per-client template of every element
// whose encoded size does not vary: the kind, request_id, ts, proxy,
// latency_us, status and the sizes (nil when absent). Its holes (the array's
// length, the time, the id's digits, latency and sizes) are filled in place
// and it is copied in one go; session_id, method and tool follow, then
// error_code and error_msg when there are any, all from recent-strings.ts.
// Integers written wider than they need are valid MessagePack, and every
// decoder reads them (PROTOCOL.md says so). Any other request (a given
// request_id, ts or proxy, a latency or size that is not a uint32) is
// written as a map, field by field, which every protocol version reads.

import {
  type EncodedConstant,
  encodedConstant,
  encodedString,
  MSGPACK,
  type MsgpackWriter,
  POSITIONAL_REQUEST_MAX_ITEMS,
  putConstant,
  putUint64,
  putValue,
  REQUEST_FIELD_NAMES,
  REQUEST_POSITIONS,
  REQUEST_STATUSES,
  type RequestStatus,
  TWO_32,
} from '@mcpr-store/protocol';
import { RecentStrings } from './recent-strings.js';
import {
  nextUuid,
  putUuidv7,
  UUID_CHARS,
  writeUuidCounter,
  writeUuidPrefix,
  writeUuidTail,
} from './uuidv7.js';

type Loose = Record<string, unknown>;

/** A request as a map: its header and kind, then each field's key, in REQUEST_FIELD_NAMES order. */
const REQUEST_MAP_HEAD = encodedConstant((writer) => {
  writer.mapHeader(1 + REQUEST_FIELD_NAMES.length);
  writer.string('kind');
  writer.string('request');
});
const REQUEST_MAP_KEYS = REQUEST_FIELD_NAMES.map(encodedString);

/**
 * The positional fields after a template's head, in wire order: the hot
 * path below writes them one by one from recent-strings.ts, and the head
 * (RequestHead) is everything before them. The check keeps that code in
 * step with the protocol's one definition of the order.
 */
const TAIL_FIELDS = ['session_id', 'method', 'tool', 'error_code', 'error_msg'];
const HEAD_FIELDS = REQUEST_POSITIONS.length - TAIL_FIELDS.length;
if (REQUEST_POSITIONS.slice(HEAD_FIELDS).join() !== TAIL_FIELDS.join()) {
  throw new Error(`request-encoding.ts writes a positional order the protocol no longer has`);
}
/** Elements of a positional request: the kind and the twelve fields. */
const REQUEST_ITEMS = POSITIONAL_REQUEST_MAX_ITEMS;
/** Elements of a positional request without its last two, the error fields. */
const REQUEST_ITEMS_WITHOUT_ERROR = REQUEST_ITEMS - 2;

/** Writes a uint32 header and leaves its 4 bytes to be filled; returns where they are. */
function uint32Hole(writer: MsgpackWriter): number {
  writer.ensure(5);
  writer.bytes[writer.pos] = MSGPACK.UINT32;
  writer.pos += 5;
  return writer.pos - 4;
}

function isUint32(value: unknown): value is number {
  return typeof value === 'number' && value >>> 0 === value;
}

/**
 * The fixed-size part of a positional request with one status and either
 * both sizes (as uint32 holes) or neither (nil): its array header and its
 * first eight elements, up to session_id. The time and the id's first 15
 * characters (the time, and the version digit) are written into it once
 * per millisecond.
 */
class RequestHead {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly idAt: number;
  private readonly tsAt: number;
  private readonly latencyAt: number;
  /** -1 when the template has no sizes. */
  private readonly bytesInAt: number;
  private readonly bytesOutAt: number;
  private stampedMs = -1;
  /** The seed (uuidv7.ts) of the id tail the template holds; 0 for none. */
  private heldSeed = 0;

  constructor(proxy: unknown, status: RequestStatus, withSizes: boolean) {
    let idAt = 0;
    let tsAt = 0;
    let latencyAt = 0;
    let bytesInAt = -1;
    let bytesOutAt = -1;
    const head = encodedConstant((writer) => {
      // The array's length byte is set per request (11 or 13 elements).
      writer.arrayHeader(REQUEST_ITEMS);
      writer.string('request');
      for (const field of REQUEST_POSITIONS.slice(0, HEAD_FIELDS)) {
        switch (field) {
          case 'request_id':
            writer.ensure(2 + UUID_CHARS);
            writer.bytes[writer.pos] = MSGPACK.STR8;
            writer.bytes[writer.pos + 1] = UUID_CHARS;
            idAt = writer.pos + 2;
            writer.pos += 2 + UUID_CHARS;
            break;
          case 'ts':
            writer.ensure(9);
            writer.bytes[writer.pos] = MSGPACK.UINT64;
            tsAt = writer.pos + 1;
            writer.pos += 9;
            break;
          case 'proxy':
            writer.pos = putValue(writer, writer.pos, proxy);
            break;
          case 'latency_us':
            latencyAt = uint32Hole(writer);
            break;
          case 'status':
            writer.string(status);
            break;
          case 'bytes_in':
            if (withSizes) bytesInAt = uint32Hole(writer);
            else writer.nil();
            break;
          case 'bytes_out':
            if (withSizes) bytesOutAt = uint32Hole(writer);
            else writer.nil();
            break;
          default:
            throw new Error(`request-encoding.ts has no template for the field ${field}`);
        }
      }
    });
    this.bytes = head.bytes;
    this.view = new DataView(head.bytes.buffer, head.bytes.byteOffset, head.bytes.length);
    this.idAt = idAt;
    this.tsAt = tsAt;
    this.latencyAt = latencyAt;
    this.bytesInAt = bytesInAt;
    this.bytesOutAt = bytesOutAt;
  }

  /**
   * The head for request `e` at `nowMs`, with or without the error fields
   * after it, filled in: the array's length, the time (once per
   * millisecond), a new id, the latency and the sizes. It is filled in here,
   * in the template itself, and then copied: the JIT writes into this view,
   * whose shape it knows, inline.
   */
  filled(e: Loose, nowMs: number, withError: boolean): Uint8Array {
    const view = this.view;
    this.bytes[0] = MSGPACK.FIXARRAY | (withError ? REQUEST_ITEMS : REQUEST_ITEMS_WITHOUT_ERROR);
    if (nowMs !== this.stampedMs) {
      view.setUint32(this.tsAt, Math.floor(nowMs / TWO_32));
      view.setUint32(this.tsAt + 4, nowMs >>> 0);
      writeUuidPrefix(this.bytes, this.idAt, nowMs);
      this.stampedMs = nowMs;
    }
    // Ids of one millisecond share their random tail: a head that holds the
    // current one needs only the counter's four digits.
    const seed = nextUuid(nowMs);
    if (seed === this.heldSeed) {
      writeUuidCounter(view, this.idAt);
    } else {
      writeUuidTail(view, this.idAt);
      this.heldSeed = seed;
    }
    // headFor has checked these are uint32s; the typeof tests repeat it for
    // the JIT, which writes a value it knows is a number inline (without
    // them, each write is a call into the runtime).
    const latency = e.latency_us;
    if (typeof latency === 'number') view.setUint32(this.latencyAt, latency);
    if (this.bytesInAt >= 0) {
      const bytesIn = e.bytes_in;
      const bytesOut = e.bytes_out;
      if (typeof bytesIn === 'number') view.setUint32(this.bytesInAt, bytesIn);
      if (typeof bytesOut === 'number') view.setUint32(this.bytesOutAt, bytesOut);
    }
    return this.bytes;
  }
}

/** A client's request heads, by status, with sizes and without. */
export class RequestTemplate {
  private readonly withSizes: Record<RequestStatus, RequestHead>;
  private readonly withoutSizes: Record<RequestStatus, RequestHead>;
  /** The variable elements after the head. */
  readonly sessions = new RecentStrings();
  readonly methods = new RecentStrings();
  readonly tools = new RecentStrings();
  readonly errorCodes = new RecentStrings();
  readonly errorMessages = new RecentStrings();

  constructor(readonly proxy: unknown) {
    const heads = (withSizes: boolean) =>
      Object.fromEntries(
        REQUEST_STATUSES.map((status) => [status, new RequestHead(proxy, status, withSizes)]),
      ) as Record<RequestStatus, RequestHead>;
    this.withSizes = heads(true);
    this.withoutSizes = heads(false);
  }

  /** The head that fits request `e`, or null when it has to be written field by field. */
  headFor(e: Loose): RequestHead | null {
    if (e.request_id != null || e.ts != null || e.proxy != null) return null;
    if (!isUint32(e.latency_us)) return null;
    const heads =
      isUint32(e.bytes_in) && isUint32(e.bytes_out)
        ? this.withSizes
        : e.bytes_in == null && e.bytes_out == null
          ? this.withoutSizes
          : null;
    if (heads === null) return null;
    const status = e.status;
    if (status === 'ok') return heads.ok;
    if (status === 'error') return heads.error;
    if (status === 'timeout') return heads.timeout;
    return null;
  }
}

/** Appends the wire event of request `e` at `writer.pos`. */
export function writeRequest(
  writer: MsgpackWriter,
  e: Loose,
  template: RequestTemplate,
  nowMs: number,
): void {
  const head = template.headFor(e);
  if (head === null) {
    writeRequestInFull(writer, e, template.proxy, nowMs);
    return;
  }
  const errorCode = e.error_code;
  const errorMsg = e.error_msg;
  const withError = errorCode != null || errorMsg != null;
  const bytes = head.filled(e, nowMs, withError);
  let p = writer.pos;
  if (p + bytes.length > writer.bytes.length) writer.ensure(bytes.length);
  writer.bytes.set(bytes, p);
  p = template.sessions.put(writer, p + bytes.length, e.session_id);
  p = template.methods.put(writer, p, e.method);
  p = template.tools.put(writer, p, e.tool);
  if (withError) {
    p = template.errorCodes.put(writer, p, errorCode);
    p = template.errorMessages.put(writer, p, errorMsg);
  }
  writer.pos = p;
}

/** Any request, as a map, field by field. */
function writeRequestInFull(writer: MsgpackWriter, e: Loose, proxy: unknown, nowMs: number): void {
  let p = putConstant(writer, writer.pos, REQUEST_MAP_HEAD);
  for (let i = 0; i < REQUEST_FIELD_NAMES.length; i += 1) {
    const field = REQUEST_FIELD_NAMES[i] as string;
    p = putConstant(writer, p, REQUEST_MAP_KEYS[i] as EncodedConstant);
    const value = e[field];
    if (value != null) p = putValue(writer, p, value);
    else if (field === 'request_id') p = putUuidv7(writer, p, nowMs);
    else if (field === 'ts') p = putUint64(writer, p, nowMs);
    else if (field === 'proxy') p = putValue(writer, p, proxy);
    else p = putValue(writer, p, value);
  }
  writer.pos = p;
}
