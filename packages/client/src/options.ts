// StoreClient's options, checked once when the client is made: a NaN batch
// size, a negative timeout or an empty proxy name is a TypeError naming the
// option at construction, never a client that misbehaves later.

import { defaultSocketPath } from '@mcpr-store/protocol';

export interface StoreClientOptions {
  /** The daemon's socket; default $MCPR_STORE_SOCKET, else ~/.mcpr/store.sock. */
  socketPath?: string;
  /** This proxy's name, put on every event that has none. */
  proxy: string;
  /**
   * Events held while the daemon is away or slow (queued plus unacked); past
   * it the oldest queued event is dropped and counted. Default 100,000: ten
   * seconds of a busy proxy at 10,000 requests per second.
   */
  maxQueueEvents?: number;
  /** A batch leaves when it holds this many events... (default 1,000) */
  batchMaxEvents?: number;
  /** ...or when its first event waited this long (default 20 ms). */
  batchDelayMs?: number;
  /** Batches sent and not yet acked, at most (default 64). */
  maxInFlightBatches?: number;
  /** First reconnect delay (default 50 ms); doubles (with jitter) up to reconnectMaxMs. */
  reconnectMinMs?: number;
  /** Longest reconnect delay (default 5,000 ms). */
  reconnectMaxMs?: number;
  /** Default timeout of flush(), close() and health() (default 5,000 ms). */
  timeoutMs?: number;
  /**
   * How the proxy describes itself to the daemon, for `status`'s running
   * proxies (mcpr's fields); the process id is sent by itself.
   */
  describe?: ProxyDescription;
}

export interface ProxyDescription {
  port?: number;
  localhost_url?: string;
  studio_url?: string;
  tunnel_url?: string;
  tunnel_studio_url?: string;
}

export type ResolvedOptions = Required<StoreClientOptions>;

function count(
  options: StoreClientOptions,
  name: keyof StoreClientOptions,
  fallback: number,
  min: number,
): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(
      `StoreClient option ${name}: expected a number of ${min} or more, got ${String(value)}`,
    );
  }
  return value;
}

export function resolveOptions(options: StoreClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('StoreClient: expected an options object with at least { proxy }');
  }
  if (typeof options.proxy !== 'string' || options.proxy.length === 0) {
    throw new TypeError(
      `StoreClient option proxy: expected a non-empty name, got ${String(options.proxy)}`,
    );
  }
  const socketPath = options.socketPath ?? defaultSocketPath();
  if (typeof socketPath !== 'string' || socketPath.length === 0) {
    throw new TypeError(
      `StoreClient option socketPath: expected a non-empty path, got ${String(socketPath)}`,
    );
  }
  const reconnectMinMs = count(options, 'reconnectMinMs', 50, 1);
  const resolved: ResolvedOptions = {
    socketPath,
    proxy: options.proxy,
    maxQueueEvents: Math.floor(count(options, 'maxQueueEvents', 100_000, 1)),
    batchMaxEvents: Math.floor(count(options, 'batchMaxEvents', 1000, 1)),
    batchDelayMs: count(options, 'batchDelayMs', 20, 0),
    maxInFlightBatches: Math.floor(count(options, 'maxInFlightBatches', 64, 1)),
    reconnectMinMs,
    reconnectMaxMs: count(options, 'reconnectMaxMs', 5000, reconnectMinMs),
    timeoutMs: count(options, 'timeoutMs', 5000, 0),
    describe: options.describe ?? {},
  };
  return resolved;
}
