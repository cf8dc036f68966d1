// What the main thread and the shipper thread say to each other.

import type { ReplicationStatus } from '@mcpr-store/protocol/fields';
import type { ReplicationCursor } from '../writer/replication-meta.js';

/** The shipper's start: where to read, where to ship, from where on. */
export interface ShipperSettings {
  db_path: string;
  /** The target URL, password included (it never leaves the two threads). */
  url: string;
  /** This store's name in PostgreSQL. */
  origin: string;
  cursor: ReplicationCursor;
}

/** Main thread to shipper. */
export type ShipperInput =
  /** A transaction committed: ship soon; these sessions and (maybe) snapshots changed. */
  | { type: 'changed'; sessions: string[]; snapshots: boolean }
  /** Ship what is left (briefly), then stop. */
  | { type: 'stop' };

/** Rows PostgreSQL committed, by table (health's `replication.shipped`). */
export type ShippedCounts = ReplicationStatus['shipped'];

/** Shipper to main thread. */
export type ShipperReport =
  | { type: 'connected' }
  | { type: 'shipped'; cursor: ReplicationCursor; at: number; counts: ShippedCounts }
  | { type: 'lag'; rows: number; oldest_ts: number | null }
  | { type: 'failed'; message: string; at: number; retry_in_ms: number }
  | { type: 'stopped'; cursor: ReplicationCursor };
