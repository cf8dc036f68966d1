// Frames are a 4-byte big-endian length followed by one msgpack value. A
// length prefix (rather than msgpack's own self-delimiting stream) lets the
// reader refuse an oversized frame from its header alone, before allocating
// or decoding anything, and lets any language frame messages without a
// streaming msgpack parser. Plain msgpack only (no msgpackr records or
// extensions), so that other-language clients can speak it.

import { Packr, Unpackr } from 'msgpackr';
import { ERROR_CODES, ProtocolError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from './limits.js';

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

/** Encodes one message as a complete frame (header included). */
export function encodeFrame(message: unknown): Buffer {
  const body = packr.pack(message);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Decodes one frame body (no header). Throws ProtocolError(ERR_MALFORMED_FRAME). */
export function decodeBody(body: Buffer): unknown {
  if (body.length === 0) throw new ProtocolError(ERROR_CODES.MALFORMED_FRAME, 'empty frame body');
  try {
    return unpackr.unpack(body);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ProtocolError(
      ERROR_CODES.MALFORMED_FRAME,
      `frame body is not one msgpack value: ${reason}`,
    );
  }
}

export interface FrameDecoderOptions {
  /** Largest body accepted; a larger announced length is refused from the header. */
  maxFrameBytes?: number;
}

/**
 * Turns a byte stream into whole decoded values, however the stream is cut
 * into chunks. After the first error the decoder stays failed: the stream
 * has lost its framing and the connection must be closed.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private chunks: Buffer[] = [];
  private buffered_bytes = 0;
  private failure: ProtocolError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes received but not yet part of a whole frame. */
  get bufferedBytes(): number {
    return this.buffered_bytes;
  }

  /** True while part of a frame has arrived and the rest has not. */
  get hasPartialFrame(): boolean {
    return this.buffered_bytes > 0;
  }

  get error(): ProtocolError | null {
    return this.failure;
  }

  /**
   * Feeds bytes; returns every value completed by them, in order, with the
   * size of each body in `sizes`. On a framing or decoding error, `values`
   * holds the ones decoded before it and `error` says what went wrong.
   */
  push(chunk: Buffer): { values: unknown[]; sizes: number[]; error: ProtocolError | null } {
    const values: unknown[] = [];
    const sizes: number[] = [];
    if (this.failure) return { values, sizes, error: this.failure };
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered_bytes += chunk.length;
    }
    try {
      for (;;) {
        const body = this.nextBody();
        if (body === null) break;
        values.push(decodeBody(body));
        sizes.push(body.length);
      }
    } catch (error) {
      this.failure =
        error instanceof ProtocolError
          ? error
          : new ProtocolError(ERROR_CODES.MALFORMED_FRAME, String(error));
      this.chunks = [];
      this.buffered_bytes = 0;
    }
    return { values, sizes, error: this.failure };
  }

  /** Cuts the next whole body off the buffered chunks, or returns null. */
  private nextBody(): Buffer | null {
    if (this.buffered_bytes < FRAME_HEADER_BYTES) return null;
    const head = this.coalesce(FRAME_HEADER_BYTES);
    const length = head.readUInt32BE(0);
    if (length > this.maxFrameBytes) {
      throw new ProtocolError(
        ERROR_CODES.FRAME_TOO_LARGE,
        `frame of ${length} bytes announced, the limit is ${this.maxFrameBytes}; send smaller batches`,
      );
    }
    const total = FRAME_HEADER_BYTES + length;
    if (this.buffered_bytes < total) return null;
    const first = this.coalesce(total);
    const body = first.subarray(FRAME_HEADER_BYTES, total);
    this.consume(total);
    return body;
  }

  /** Makes the first chunk at least `bytes` long, joining chunks only when needed. */
  private coalesce(bytes: number): Buffer {
    const first = this.chunks[0] as Buffer;
    if (first.length >= bytes) return first;
    let joined_bytes = 0;
    let count = 0;
    while (joined_bytes < bytes) {
      joined_bytes += (this.chunks[count] as Buffer).length;
      count += 1;
    }
    const joined = Buffer.concat(this.chunks.slice(0, count), joined_bytes);
    this.chunks.splice(0, count, joined);
    return joined;
  }

  private consume(bytes: number): void {
    const first = this.chunks[0] as Buffer;
    if (first.length === bytes) this.chunks.shift();
    else this.chunks[0] = first.subarray(bytes);
    this.buffered_bytes -= bytes;
  }
}
