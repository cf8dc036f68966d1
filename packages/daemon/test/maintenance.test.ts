// `store vacuum`: what it deletes, that a dry run deletes exactly the same
// and changes nothing, and that it gives the space back.

import { queryStoreStats } from '@mcpr-store/query';
import {
  agedStoreEvents,
  buildStore,
  closeOpenedStores,
  DAY_MS as DAY,
  FIXTURE_NOW,
  openFixtureStore,
} from '@mcpr-store/test-utils';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { vacuumStore } from '../src/db/maintenance.js';

const NOW = FIXTURE_NOW;
afterEach(closeOpenedStores);
const read = openFixtureStore;

describe('store vacuum', () => {
  const file = () => buildStore(agedStoreEvents());

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
