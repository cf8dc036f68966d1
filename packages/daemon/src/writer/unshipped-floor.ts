// The time before which every request is shipped to PostgreSQL: the oldest
// `ts` among requests past the replication cursor. Retention deletes only
// before it. Finding it scans the unshipped rows (an id range); during an
// outage that range is long, so the scan is remembered and extended by the
// rows added since, and repeated in full only now and then once the cursor
// moves. A remembered floor is never too late: rows shipped since can only
// have lowered it, so it errs towards keeping.

import type { Db } from '../db/connection.js';
import { shippedRequestsThrough } from './replication-meta.js';

/** How long a floor found for an older cursor serves before a full rescan. */
const RESCAN_MS = 10_000;

export class UnshippedFloor {
  private readonly after;
  /** The cursor the floor was computed for, and the last id scanned. */
  private through = -1;
  private scannedTo = 0;
  private minTs: number | null = null;
  private scannedAt = 0;

  constructor(private readonly db: Db) {
    this.after = db.prepare('SELECT MIN(ts) AS ts, MAX(id) AS id FROM requests WHERE id > ?');
  }

  /** Requests with `ts` below this are all shipped (MAX_SAFE_INTEGER when none waits). */
  floorTs(nowMs = Date.now()): number {
    const through = shippedRequestsThrough(this.db);
    if (through !== this.through && (this.through < 0 || nowMs - this.scannedAt >= RESCAN_MS)) {
      const row = this.after.get(through) as { ts: number | null; id: number | null };
      this.through = through;
      this.minTs = row.ts;
      this.scannedTo = row.id ?? through;
      this.scannedAt = nowMs;
    } else {
      const row = this.after.get(this.scannedTo) as { ts: number | null; id: number | null };
      if (row.ts !== null) this.minTs = this.minTs === null ? row.ts : Math.min(this.minTs, row.ts);
      if (row.id !== null) this.scannedTo = row.id;
    }
    return this.minTs ?? Number.MAX_SAFE_INTEGER;
  }
}
