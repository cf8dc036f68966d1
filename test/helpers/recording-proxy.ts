// A small MCP proxy that records what passes through it, the way a real
// proxy would use @mcpr-store/client: it relays JSON-RPC messages between a
// downstream client transport and an upstream server transport, times each
// request, and reports requests, the session and discovery snapshots.

import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import {
  LIST_ITEM_KEYS,
  requestEvent,
  type StoreClient,
  schemaVersionEvent,
  sessionEvent,
  uuidv7,
} from '../../packages/client/src/index.js';

interface Pending {
  request: Record<string, unknown>;
  startedNs: bigint;
  ts: number;
}

export class RecordingProxy {
  /** Give this to the MCP client's connect(). */
  readonly clientTransport: InMemoryTransport;
  private readonly downstream: InMemoryTransport;
  private readonly pending = new Map<string | number, Pending>();
  private readonly pages = new Map<string, unknown[]>();
  private sessionId: string | null = null;

  constructor(
    private readonly upstream: Transport,
    private readonly store: StoreClient,
    private readonly upstreamUrl: string,
  ) {
    [this.clientTransport, this.downstream] = InMemoryTransport.createLinkedPair();
  }

  async start(): Promise<void> {
    this.downstream.onmessage = (message) => this.fromClient(message);
    this.upstream.onmessage = (message) => this.fromServer(message);
    this.downstream.onclose = () => {
      if (this.sessionId) this.store.record({ kind: 'session_closed', session_id: this.sessionId });
      void this.upstream.close();
    };
    await this.upstream.start();
    await this.downstream.start();
  }

  private fromClient(message: JSONRPCMessage): void {
    const msg = message as Record<string, unknown>;
    if (typeof msg.method === 'string' && msg.id !== undefined) {
      if (msg.method === 'initialize') {
        this.sessionId = uuidv7();
        this.store.record(sessionEvent({ session_id: this.sessionId, initialize: msg }));
      }
      this.pending.set(msg.id as string | number, {
        request: msg,
        startedNs: process.hrtime.bigint(),
        ts: Date.now(),
      });
    }
    void this.upstream.send(message);
  }

  private fromServer(message: JSONRPCMessage): void {
    const msg = message as Record<string, unknown>;
    const id = msg.id as string | number | undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (pending && ('result' in msg || 'error' in msg)) {
      this.pending.delete(id as string | number);
      this.store.record(
        requestEvent({
          request: pending.request,
          response: msg,
          latency_us: Number((process.hrtime.bigint() - pending.startedNs) / 1000n),
          ts: pending.ts,
          session_id: this.sessionId,
        }),
      );
      this.snapshot(pending.request, msg.result);
    }
    void this.downstream.send(message);
  }

  /** Discovery results become schema snapshots; list pages are merged first. */
  private snapshot(request: Record<string, unknown>, result: unknown): void {
    const method = request.method as string;
    if (result === undefined) return;
    if (method === 'initialize') {
      this.store.record(schemaVersionEvent({ upstream_url: this.upstreamUrl, method, result }));
      return;
    }
    if (!LIST_ITEM_KEYS[method]) return;
    const cursor = (request.params as Record<string, unknown> | undefined)?.cursor;
    const pages = cursor === undefined ? [] : (this.pages.get(method) ?? []);
    pages.push(result);
    if ((result as Record<string, unknown>).nextCursor) {
      this.pages.set(method, pages);
      return;
    }
    this.pages.delete(method);
    this.store.record(schemaVersionEvent({ upstream_url: this.upstreamUrl, method, pages }));
  }
}
