// One client connection: framing and the conversation (hello, batches,
// acks, health). What a batch's events become is ingest's business
// (ingest/client-batch.ts): the connection hands them over as they came. A peer that breaks the protocol (garbage, oversized or
// stalled frames, unknown messages) gets one error frame and is closed; it
// never throws into the server, so no other connection notices.

import type { Socket } from 'node:net';
import {
  type AckMessage,
  type ClientMessage,
  type DaemonMessage,
  ERROR_CODES,
  type ErrorCode,
  encodeFrame,
  FrameDecoder,
  type HealthReport,
  negotiateVersion,
  ProtocolError,
  parseClientMessage,
  type QueryRequestMessage,
  type RunningProxyInfo,
  SUPPORTED_PROTOCOL_VERSIONS,
  unpackBody,
} from '@mcpr-store/protocol';

import type { QueryOutcome } from './query-messages.js';

/** What a connection needs from the daemon around it. */
export interface ConnectionContext {
  daemonVersion: string;
  maxFrameBytes: number;
  maxBatchEvents: number;
  /** A frame started but unfinished for this long closes the connection. */
  frameTimeoutMs: number;
  /** Unread acks above this many bytes close the connection (it stopped reading). */
  maxOutboundBytes: number;
  /**
   * Takes a batch's events as they came; `settle` sends its ack.
   * `positional`: the peer speaks version 2, whose requests may be arrays.
   */
  ingest(
    seq: number,
    events: unknown[],
    positional: boolean,
    frameBytes: number,
    settle: (ack: AckMessage) => void,
  ): void;
  health(): HealthReport;
  /** A query command's answer (query-service.ts). */
  query(message: QueryRequestMessage): Promise<QueryOutcome>;
  reportDropped(clientKey: string, total: number): void;
  onProtocolError(id: number, code: string, message: string): void;
  onClose(connection: Connection): void;
  isShuttingDown(): boolean;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private greeted = false;
  /** Version 2 and later may send requests as arrays (the protocol's positional.ts). */
  private positionalEvents = false;
  private closed = false;
  private tornDown = false;
  private clientKey: string;
  /** The proxy this connection reports for, as its hello described it; null until then, or when it named none. */
  runningProxy: RunningProxyInfo | null = null;
  private frameTimer: NodeJS.Timeout | null = null;
  /** Reading is stopped by the daemon, not by the peer. */
  private paused = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.clientKey = `connection-${id}`;
    this.decoder = new FrameDecoder({ maxFrameBytes: ctx.maxFrameBytes, decode: unpackBody });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.teardown());
    socket.on('close', () => this.teardown());
  }

  /** Stops reading (the writer is behind); the rest of a frame is not awaited meanwhile. */
  pause(): void {
    if (this.closed) return;
    this.paused = true;
    this.socket.pause();
    this.clearFrameTimer();
  }

  resume(): void {
    if (this.closed) return;
    this.paused = false;
    this.socket.resume();
    this.watchPartialFrame();
  }

  /** Ends the conversation with an error frame (used at shutdown too). */
  fail(code: ErrorCode, message: string, details: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.ctx.onProtocolError(this.id, code, message);
    this.send({ ...details, type: 'error', code, message });
    this.closed = true;
    this.clearFrameTimer();
    this.socket.end();
    // A peer that never reads must not keep the socket open.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const { values, sizes, error } = this.decoder.push(chunk);
    for (let i = 0; i < values.length; i += 1) {
      if (this.closed) return;
      try {
        this.handle(parseClientMessage(values[i], this.ctx.maxBatchEvents), sizes[i] as number);
      } catch (failure) {
        if (failure instanceof ProtocolError) {
          this.fail(failure.code, failure.message, failure.details);
        } else this.fail(ERROR_CODES.INTERNAL, String(failure));
        return;
      }
    }
    if (error) {
      this.fail(error.code, error.message);
      return;
    }
    // The timeout is for each frame: what is left unfinished now began after
    // the frames just read, so a peer streaming frame after frame, every
    // chunk ending inside one, is never taken for a stalled one.
    if (values.length > 0) this.clearFrameTimer();
    this.watchPartialFrame();
  }

  /** Times the frame begun and not finished, if any, while reading goes on. */
  private watchPartialFrame(): void {
    if (!this.decoder.hasPartialFrame || this.paused) {
      this.clearFrameTimer();
    } else if (!this.frameTimer) {
      this.frameTimer = setTimeout(() => {
        this.frameTimer = null;
        this.fail(
          ERROR_CODES.FRAME_TIMEOUT,
          `a frame was started but not finished within ${this.ctx.frameTimeoutMs} ms`,
        );
      }, this.ctx.frameTimeoutMs);
      this.frameTimer.unref();
    }
  }

  private clearFrameTimer(): void {
    if (this.frameTimer) clearTimeout(this.frameTimer);
    this.frameTimer = null;
  }

  private handle(message: ClientMessage, frameBytes: number): void {
    if (!this.greeted && message.type !== 'hello') {
      throw new ProtocolError(ERROR_CODES.HELLO_REQUIRED, 'the first message must be "hello"');
    }
    switch (message.type) {
      case 'hello': {
        const version = negotiateVersion(message.versions);
        if (version === null) {
          throw new ProtocolError(
            ERROR_CODES.UNSUPPORTED_VERSION,
            `no common protocol version: offered [${message.versions.join(', ')}], ` +
              `this daemon speaks [${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}]`,
            { supported_versions: [...SUPPORTED_PROTOCOL_VERSIONS] },
          );
        }
        if (message.client_id) this.clientKey = `client-${message.client_id}`;
        if (message.proxy) {
          this.runningProxy = {
            name: message.proxy,
            port: message.port ?? null,
            pid: message.pid ?? null,
            localhost_url: message.localhost_url ?? null,
            studio_url: message.studio_url ?? null,
            tunnel_url: message.tunnel_url ?? null,
            tunnel_studio_url: message.tunnel_studio_url ?? null,
          };
        }
        this.greeted = true;
        this.positionalEvents = version >= 2;
        this.send({
          type: 'welcome',
          version,
          daemon_version: this.ctx.daemonVersion,
          max_frame_bytes: this.ctx.maxFrameBytes,
          max_batch_events: this.ctx.maxBatchEvents,
        });
        return;
      }
      case 'batch':
        if (this.ctx.isShuttingDown()) {
          throw new ProtocolError(
            ERROR_CODES.SHUTTING_DOWN,
            'the daemon is stopping; resend later',
          );
        }
        this.ctx.ingest(
          message.seq,
          message.events,
          this.positionalEvents,
          frameBytes,
          this.settle,
        );
        return;
      case 'dropped':
        this.ctx.reportDropped(this.clientKey, message.total);
        return;
      case 'health':
        this.send({ type: 'health_result', id: message.id, health: this.ctx.health() });
        return;
      case 'query':
        void this.ctx
          .query(message)
          .then((outcome) => this.send({ type: 'query_result', id: message.id, ...outcome }));
        return;
    }
  }

  private readonly settle = (ack: AckMessage): void => this.send(ack);

  private send(message: DaemonMessage): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength > this.ctx.maxOutboundBytes) {
      this.socket.destroy();
      return;
    }
    this.socket.write(encodeFrame(message));
  }

  private teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    this.clearFrameTimer();
    if (!this.socket.destroyed) this.socket.destroy();
    this.closed = true;
    this.ctx.onClose(this);
  }
}
