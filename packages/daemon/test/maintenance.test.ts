// `store vacuum`: what it deletes, that a dry run deletes exactly the same
// and changes nothing, and that it gives the space back.

import { openReadConnection, queryStoreStats } from '@mcpr-store/query';
import {
  buildStore,
  DAY_MS as DAY,
  FIXTURE_NOW,
  fixtureRequest,
  fixtureSession,
  MINUTE_MS,
} from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { vacuumStore } from '../src/db/maintenance.js';

const NOW = FIXTURE_NOW;
const MIN = MINUTE_MS;
const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function read(file: string) {
  const db = openReadConnection(file);
  open.push(db);
  return db;
}

const req = fixtureRequest;
const session = fixtureSession;

describe('store vacuum', () => {
  const file = () =>
    buildStore([
      session('old-closed', { started_at: NOW - 40 * DAY }),
      session('old-open', { started_at: NOW - 40 * DAY }),
      session('old-but-active', { started_at: NOW - 40 * DAY }),
      session('recent'),
      { kind: 'session_closed', session_id: 'old-closed', ended_at: NOW - 39 * DAY },
      req({ session_id: 'old-closed', ts: NOW - 40 * DAY }),
      req({ session_id: 'old-open', ts: NOW - 35 * DAY }),
      req({ session_id: 'old-but-active', ts: NOW - 35 * DAY }),
      req({ session_id: 'old-but-active', ts: NOW - DAY }),
      req({ session_id: 'recent', ts: NOW - MIN, proxy: 'p2' }),
    ]);

  it('dry run reports exactly what the real run deletes and changes nothing', () => {
    const path = file();
    const dry = vacuumStore(path, { cutoffMs: NOW - 30 * DAY, dryRun: true });
    expect(queryStoreStats(read(path), path)).toMatchObject({
      total_requests: 5,
      total_sessions: 4,
    });
    const real = vacuumStore(path, { cutoffMs: NOW - 30 * DAY, dryRun: false });
    expect(dry).toMatchObject({ deleted_requests: 3, deleted_sessions: 2, dry_run: true });
    expect(real).toMatchObject({ deleted_requests: 3, deleted_sessions: 2, dry_run: false });
    const db = read(path);
    // Never-closed old-open goes too (mcpr kept it forever); old-but-active keeps a recent request.
    expect(
      (
        db.prepare('SELECT session_id FROM sessions ORDER BY session_id').all() as {
          session_id: string;
        }[]
      ).map((r) => r.session_id),
    ).toEqual(['old-but-active', 'recent']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM requests').get()).toEqual({ n: 2 });
  });

  it('narrows vacuum to one proxy', () => {
    const path = file();
    expect(vacuumStore(path, { cutoffMs: NOW, proxy: 'p2', dryRun: false })).toMatchObject({
      deleted_requests: 1,
      deleted_sessions: 0,
    });
  });

  it('reclaims freed pages on a store created without incremental vacuum', () => {
    const path = file();
    const raw = new Database(path);
    raw.pragma('auto_vacuum = NONE');
    raw.exec('VACUUM');
    raw.close();
    vacuumStore(path, { cutoffMs: NOW, dryRun: false });
    const db = read(path);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(db.pragma('freelist_count', { simple: true })).toBe(0);
  });
});
