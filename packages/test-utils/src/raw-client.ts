// A bare protocol peer for tests: it speaks the wire format by hand so the
// daemon can be tested without the client package, and can misbehave on
// purpose (garbage, oversized frames, half frames, no hello).

import net from 'node:net';
import {
  type AckMessage,
  type DaemonMessage,
  encodeFrame,
  FrameDecoder,
  type HealthReport,
  type HealthResponseMessage,
  parseDaemonMessage,
} from '@mcpr-store/protocol';

export class RawClient {
  readonly messages: DaemonMessage[] = [];
  private waiters: (() => void)[] = [];
  private decoder = new FrameDecoder();
  closed = false;
  readonly closedPromise: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      const { values } = this.decoder.push(chunk);
      for (const value of values) this.messages.push(parseDaemonMessage(value));
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.wake();
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(socketPath: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(socketPath);
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Connects and completes the handshake, offering `versions` of the protocol. */
  static async open(socketPath: string, clientId?: string, versions = [1]): Promise<RawClient> {
    const client = await RawClient.connect(socketPath);
    client.send({ type: 'hello', versions, client_id: clientId });
    await client.waitFor((m) => m.type === 'welcome');
    return client;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(message: unknown): void {
    this.socket.write(encodeFrame(message));
  }

  sendRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  sendBatch(seq: number, events: unknown[]): void {
    this.send({ type: 'batch', seq, events });
  }

  /** Resolves with the first received message matching `predicate`, waiting up to timeoutMs. */
  async waitFor(
    predicate: (m: DaemonMessage) => boolean,
    timeoutMs = 15_000,
  ): Promise<DaemonMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (this.closed) throw new Error(`connection closed; got ${JSON.stringify(this.messages)}`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out; got ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async ack(seq: number, timeoutMs?: number): Promise<AckMessage> {
    return (await this.waitFor((m) => m.type === 'ack' && m.seq === seq, timeoutMs)) as AckMessage;
  }

  async health(id = 1): Promise<HealthReport> {
    this.send({ type: 'health', id });
    const message = await this.waitFor((m) => m.type === 'health_result' && m.id === id);
    return (message as HealthResponseMessage).health;
  }

  close(): void {
    this.socket.destroy();
  }
}
