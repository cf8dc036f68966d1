// The client's connection to the daemon: the socket and its states, the
// hello/welcome handshake, frame decoding, and reconnecting with backoff.
// It knows nothing of events or batches: it hands the daemon's messages to
// its owner and sends the frames it is given. One generation number per
// socket keeps a late event of an old socket from touching the new one.
// A problem is reported once when it starts (or changes), not on every
// retry of a daemon that stays away.

import net from 'node:net';
import {
  type AckMessage,
  type ControlMessage,
  encodeControlFrame,
  FrameDecoder,
  type HealthResponseMessage,
  type HelloMessage,
  helloMessage,
  parseDaemonMessage,
  type QueryResponseMessage,
  type WelcomeMessage,
} from '@mcpr-store/protocol';
import { CLIENT_ERROR_CODES, StoreClientError } from './errors.js';

/** Largest frame the client reads from a daemon (acks and health reports are small). */
const MAX_INBOUND_FRAME_BYTES = 64 * 1024 * 1024;

export interface ConnectionListener {
  /** The daemon answered the hello: the connection is ready for batches. */
  onWelcome(welcome: WelcomeMessage, reconnected: boolean): void;
  onAck(ack: AckMessage): void;
  onHealth(answer: HealthResponseMessage): void;
  /** A query's answer (only one-question.ts asks). */
  onQueryResult?(answer: QueryResponseMessage): void;
  /** The hello (and afterHello) is written to a new socket. */
  onHelloWritten?(): void;
  /** The socket can take writes again after a full buffer. */
  onDrain(): void;
  /** Something went wrong; reported once per problem. */
  onProblem(error: StoreClientError): void;
  /** The socket closed; `reconnect()` decides whether to come back. */
  onDisconnected(): void;
}

export interface ConnectionOptions {
  socketPath: string;
  hello: Omit<HelloMessage, 'type' | 'versions'>;
  /**
   * Sent right behind the hello, in the same write, without waiting for the
   * welcome (the daemon reads a connection's messages in order): a
   * one-question client's question, one round trip sooner.
   */
  afterHello?: ControlMessage;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  /** Keep the process alive for the socket? A proxy's client never does; a CLI waits for its answer. */
  keepAlive?: boolean;
}

export class DaemonConnection {
  private socket: net.Socket | null = null;
  private decoder: FrameDecoder | null = null;
  private generation = 0;
  private connecting = false;
  private everWelcomed = false;
  private reconnectDelayMs = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The message of the problem reported last; cleared once welcomed. */
  private reportedProblem: string | null = null;
  /** The hello was answered on the current socket. */
  ready = false;
  /** The socket's buffer has room; false until 'drain' after a refused write. */
  writable = true;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly listener: ConnectionListener,
  ) {}

  /** Connects unless connected, connecting, waiting to reconnect or closed. */
  ensureConnected(): void {
    if (this.closed || this.socket || this.connecting || this.reconnectTimer) return;
    this.connect();
  }

  /** Writes a frame; false when the socket's buffer is full (wait for onDrain). */
  writeFrame(frame: Buffer): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    if (!socket.write(frame)) this.writable = false;
  }

  write(message: ControlMessage): void {
    this.writeFrame(encodeControlFrame(message));
  }

  /** Waits its backoff, then connects again. */
  reconnect(): void {
    if (this.reconnectTimer || this.closed) return;
    this.reconnectDelayMs =
      this.reconnectDelayMs === 0
        ? this.options.reconnectMinMs
        : Math.min(this.options.reconnectMaxMs, this.reconnectDelayMs * 2);
    const jittered = this.reconnectDelayMs * (0.5 + Math.random() * 0.5);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.ensureConnected();
    }, jittered);
    if (!this.options.keepAlive) this.reconnectTimer.unref();
  }

  /** Closes for good. */
  close(): void {
    this.closed = true;
    this.ready = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    this.connecting = true;
    const generation = ++this.generation;
    const socket = net.connect(this.options.socketPath);
    if (!this.options.keepAlive) socket.unref();
    this.socket = socket;
    this.decoder = new FrameDecoder({ maxFrameBytes: MAX_INBOUND_FRAME_BYTES });
    socket.on('connect', () => {
      if (generation !== this.generation) return;
      this.connecting = false;
      this.writable = true;
      const hello = encodeControlFrame(helloMessage(this.options.hello));
      const after = this.options.afterHello;
      socket.write(after ? Buffer.concat([hello, encodeControlFrame(after)]) : hello);
      this.listener.onHelloWritten?.();
    });
    socket.on('data', (chunk: Buffer) => {
      if (generation === this.generation) this.onData(chunk);
    });
    socket.on('drain', () => {
      if (generation !== this.generation) return;
      this.writable = true;
      this.listener.onDrain();
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (generation !== this.generation) return;
      const code =
        this.ready || error.code === 'EPIPE' || error.code === 'ECONNRESET'
          ? CLIENT_ERROR_CODES.INTERNAL
          : CLIENT_ERROR_CODES.DAEMON_UNREACHABLE;
      const message =
        code === CLIENT_ERROR_CODES.DAEMON_UNREACHABLE
          ? `cannot reach the daemon at ${this.options.socketPath}: ${error.message}`
          : error.message;
      this.problem(new StoreClientError(code, message, { cause: error }));
    });
    socket.on('close', () => {
      if (generation === this.generation) this.disconnected();
    });
  }

  private onData(chunk: Buffer): void {
    const { values, error } = (this.decoder as FrameDecoder).push(chunk);
    for (const value of values) {
      try {
        const message = parseDaemonMessage(value);
        switch (message.type) {
          case 'welcome':
            this.welcomed(message);
            break;
          case 'ack':
            this.listener.onAck(message);
            break;
          case 'health_result':
            this.listener.onHealth(message);
            break;
          case 'query_result':
            this.listener.onQueryResult?.(message);
            break;
          case 'error':
            this.problem(
              new StoreClientError(
                CLIENT_ERROR_CODES.DAEMON_ERROR,
                `daemon: ${message.code}: ${message.message}`,
                { daemonCode: message.code },
              ),
            );
            break;
        }
      } catch (failure) {
        this.problem(
          new StoreClientError(
            CLIENT_ERROR_CODES.BAD_DAEMON_MESSAGE,
            `bad message from the daemon: ${(failure as Error).message}`,
            { cause: failure },
          ),
        );
        this.socket?.destroy();
        return;
      }
    }
    if (error) {
      this.problem(
        new StoreClientError(
          CLIENT_ERROR_CODES.BAD_DAEMON_MESSAGE,
          `bad frame from the daemon: ${error.message}`,
          { cause: error },
        ),
      );
      this.socket?.destroy();
    }
  }

  private welcomed(welcome: WelcomeMessage): void {
    const reconnected = this.everWelcomed;
    this.everWelcomed = true;
    this.ready = true;
    this.reconnectDelayMs = 0;
    this.reportedProblem = null;
    this.listener.onWelcome(welcome, reconnected);
  }

  private disconnected(): void {
    this.socket = null;
    this.decoder = null;
    this.ready = false;
    this.connecting = false;
    if (!this.closed) this.listener.onDisconnected();
  }

  private problem(error: StoreClientError): void {
    if (error.message === this.reportedProblem) return;
    this.reportedProblem = error.message;
    this.listener.onProblem(error);
  }
}
