// Where replication ships: the seam between the shipper (which reads
// SQLite, keeps the cursor, retries) and a database that receives rows.
// PostgreSQL is the one built; a second kind (ClickHouse, for very large
// volumes) implements these three steps and is chosen here by its URL.

import { PostgresTarget } from './postgres-target.js';
import type { Shipment } from './shipment.js';

export interface ReplicationTarget {
  /** True while a connection is open (a lost one closes itself). */
  readonly connected: boolean;
  /** Connects and creates what is missing there; throws the driver's error. */
  connect(): Promise<void>;
  /** Writes one shipment, all or nothing, idempotently; connects first when needed. */
  write(shipment: Shipment, origin: string): Promise<void>;
  /** Drops the connection (after a failure, or at stop). */
  close(): void;
}

/** The target a URL names (checked by postgresUrlProblem before the daemon starts). */
export function targetFor(url: string): ReplicationTarget {
  return new PostgresTarget(url);
}
