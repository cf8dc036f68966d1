// Cuts a byte stream into frames (a 4-byte big-endian length, then the
// body) and decodes each body. The decoder is a parameter: the daemon reads
// its clients' stream with msgpackr, while a client reads the daemon's few
// short answers with this package's own reader, and so asks a question
// without loading msgpackr at all.

import { ERROR_CODES, ProtocolError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES, FRAME_HEADER_BYTES } from './limits.js';
import { readMsgpack } from './msgpack-reader.js';

/** Decodes one frame body; throws on bytes that are not one value. */
export type BodyDecoder = (body: Buffer) => unknown;

/** One frame body by `decode`, with its failure as ProtocolError(ERR_MALFORMED_FRAME). */
export function decodeFrameBody(decode: BodyDecoder, body: Buffer): unknown {
  if (body.length === 0) throw new ProtocolError(ERROR_CODES.MALFORMED_FRAME, 'empty frame body');
  try {
    return decode(body);
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
  /**
   * The body decoder: this package's own reader unless given. The daemon
   * gives msgpackr's (`unpackBody`) for its busy inbound stream.
   */
  decode?: BodyDecoder;
}

/**
 * Turns a byte stream into whole decoded values, however the stream is cut
 * into chunks. After the first error the decoder stays failed: the stream
 * has lost its framing and the connection must be closed.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;
  private readonly decode: BodyDecoder;
  private chunks: Buffer[] = [];
  private buffered_bytes = 0;
  private failure: ProtocolError | null = null;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.decode = options.decode ?? readMsgpack;
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
        values.push(decodeFrameBody(this.decode, body));
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
