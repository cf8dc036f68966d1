// The shipper: a worker thread of its own that copies committed rows from
// the SQLite file to PostgreSQL, beside the writer and never in the ack
// path. It reads on its own read-only connection, past a cursor the main
// thread gave it, and reports each shipment PostgreSQL committed; the
// writer records the cursor in `meta`. At start it sweeps every session and
// snapshot once (what changed while nobody shipped: a crash, a restart, a
// run without replication); afterwards a session goes with its requests or
// when the writer says a session event changed it. PostgreSQL unreachable
// or refusing: the shipment is retried with backoff, and ingest never
// notices.

import { parentPort, workerData } from 'node:worker_threads';
import { describePostgresError, openReadConnection } from '@mcpr-store/query';
import type { ReplicationCursor } from '../writer/replication-meta.js';
import { isEmpty, type Shipment, ShipmentReader } from './shipment.js';
import type { ShipperInput, ShipperReport, ShipperSettings } from './shipper-messages.js';
import { targetFor } from './target.js';

/** Rows per shipment at most: large enough to amortize PostgreSQL's commit, small enough to retry cheaply. */
const LIMITS = { requests: 10_000, sessions: 10_000, changes: 2_000 };
/** Sessions per shipment in the start-up sweep. */
const SWEEP_SESSIONS = 5_000;
/** After a shipment that took everything there was, wait at least this long (rows gather into the next). */
const GATHER_MS = 50;
/** With nothing to ship and no word from the writer, look again (and report the lag) this often. */
const IDLE_MS = 1_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** On stop, ship what is left for at most this long. */
const FINAL_SHIPMENTS_MS = 5_000;

const settings = workerData as ShipperSettings;
const port = parentPort;
if (!port) throw new Error('shipper-thread runs as a worker thread');

const reader = new ShipmentReader(openReadConnection(settings.db_path));
let cursor: ReplicationCursor = settings.cursor;
const target = targetFor(settings.url);
let pendingSessions = new Set<string>();
let snapshotsChanged = true;
/** The start-up sweep's next session rowid; null once done. */
let sweepFrom: number | null = 0;
let stopping = false;
let wake: (() => void) | null = null;
/** Whether news from the writer ends the current sleep (not a backoff: only a stop does). */
let wakeOnChange = true;

function report(message: ShipperReport): void {
  port?.postMessage(message);
}

port.on('message', (message: ShipperInput) => {
  if (message.type === 'changed') {
    for (const id of message.sessions) pendingSessions.add(id);
    if (message.snapshots) snapshotsChanged = true;
  } else if (message.type === 'stop') {
    stopping = true;
  }
  if (stopping || wakeOnChange) wake?.();
});

function sleep(ms: number, untilChange = true): Promise<void> {
  wakeOnChange = untilChange;
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      wake = null;
      resolve();
    }
    wake = done;
  });
}

/** Connects when there is no connection (a lost one closed itself), saying so once it is up. */
async function ensureConnected(): Promise<void> {
  if (target.connected) return;
  await target.connect();
  report({ type: 'connected' });
}

function reportLag(): void {
  const lag = reader.lag(cursor);
  report({ type: 'lag', rows: lag.rows, oldest_ts: lag.oldest_ts });
}

/** Ships the next shipment; false when there was nothing to ship. Throws on failure. */
async function shipNext(): Promise<{ shipped: boolean; full: boolean }> {
  await ensureConnected();
  let shipment: Shipment;
  let taken: Set<string> | null = null;
  let nextSweep: number | null = null;
  const withSnapshots = snapshotsChanged;
  if (sweepFrom !== null) {
    const sweep = reader.sweepSessions(sweepFrom, SWEEP_SESSIONS);
    nextSweep = sweep.next;
    shipment = { requests: [], sessions: sweep.sessions, snapshots: [], changes: [], cursor };
  } else {
    taken = pendingSessions;
    pendingSessions = new Set();
    snapshotsChanged = false;
    shipment = reader.read(cursor, taken, withSnapshots, LIMITS);
  }
  if (isEmpty(shipment) && sweepFrom === null) return { shipped: false, full: false };
  try {
    if (!isEmpty(shipment)) await target.write(shipment, settings.origin);
  } catch (error) {
    // What this shipment carried is shipped again next time.
    if (taken) for (const id of taken) pendingSessions.add(id);
    if (withSnapshots) snapshotsChanged = true;
    throw error;
  }
  if (sweepFrom !== null) sweepFrom = nextSweep;
  cursor = shipment.cursor;
  report({
    type: 'shipped',
    cursor,
    at: Date.now(),
    counts: {
      requests: shipment.requests.length,
      sessions: shipment.sessions.length,
      server_schema: shipment.snapshots.length,
      schema_changes: shipment.changes.length,
    },
  });
  return {
    shipped: true,
    full: sweepFrom !== null || shipment.requests.length >= LIMITS.requests,
  };
}

async function run(): Promise<void> {
  let backoffMs = 0;
  let lastLagAt = 0;
  while (!stopping) {
    try {
      const { shipped, full } = await shipNext();
      backoffMs = 0;
      const now = Date.now();
      if (!full || now - lastLagAt >= IDLE_MS) {
        reportLag();
        lastLagAt = now;
      }
      if (!full) await sleep(shipped ? GATHER_MS : IDLE_MS);
    } catch (error) {
      target.close();
      backoffMs = Math.min(BACKOFF_MAX_MS, Math.max(BACKOFF_MIN_MS, backoffMs * 2));
      report({
        type: 'failed',
        message: describePostgresError(error, settings.url),
        at: Date.now(),
        retry_in_ms: backoffMs,
      });
      // The lag keeps growing while the server is away: health and metrics
      // see it each second, not only at each retry.
      const retryAt = Date.now() + backoffMs;
      while (!stopping) {
        try {
          reportLag();
        } catch {
          // The file itself is unreadable: the writer reports that.
        }
        const leftMs = retryAt - Date.now();
        if (leftMs <= 0) break;
        await sleep(Math.min(IDLE_MS, leftMs), false);
      }
    }
  }
  // Stopping: what the writer committed last goes too, while PostgreSQL answers.
  const deadline = Date.now() + FINAL_SHIPMENTS_MS;
  try {
    while (target.connected && Date.now() < deadline) {
      const { shipped } = await shipNext();
      if (!shipped) break;
    }
  } catch {
    // Left for the next start: the cursor says where to resume.
  }
  target.close();
  report({ type: 'stopped', cursor });
}

void run();
