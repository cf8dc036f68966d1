#!/usr/bin/env node
// Times the writer's retention steps on a copy of a store: opens it as the
// daemon does (migrations, rollups brought up to date), then runs STEPS
// age steps with the cutoff halfway through the store's time span, and
// prints the median and slowest step and the time per deleted row. Run it
// from two checkouts on copies of one store to compare their steps.
// Deletes rows: give it a copy. Asserts nothing about speed.
//
//   node test/bench/retention-step.mjs --db COPY [--steps 20]

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(HERE, '../../packages/daemon/dist');
const { values } = parseArgs({
  options: { db: { type: 'string' }, steps: { type: 'string', default: '20' } },
});
if (!values.db) {
  process.stderr.write('usage: retention-step.mjs --db COPY [--steps 20]\n');
  process.exit(1);
}
const { applyWriterPragmas, openWriteConnection } = await import(`${DIST}/db/connection.js`);
const { migrate } = await import(`${DIST}/db/migrate.js`);
const { Rollups } = await import(`${DIST}/writer/rollups.js`);
const { Retention } = await import(`${DIST}/writer/retention.js`);

const db = openWriteConnection(values.db);
applyWriterPragmas(db);
migrate(db, 'bench');
const rollups = new Rollups(db);
const caughtUp = rollups.catchUp();
const { min_ts: minTs, max_ts: maxTs } = db
  .prepare('SELECT MIN(ts) AS min_ts, MAX(ts) AS max_ts FROM requests')
  .get();
const nowMs = Date.now();
const policy = { retain_ms: nowMs - (minTs + (maxTs - minTs) / 2), retain_bytes: 0 };
const retention = new Retention(db, rollups);
const stepsMs = [];
let deleted = 0;
for (let i = 0; i < Number(values.steps); i += 1) {
  const started = performance.now();
  deleted += retention.step(policy, nowMs).deleted_requests;
  stepsMs.push(performance.now() - started);
}
db.close();
stepsMs.sort((a, b) => a - b);
const totalMs = stepsMs.reduce((sum, ms) => sum + ms, 0);
process.stdout.write(
  `${JSON.stringify({
    rollups: caughtUp,
    steps: stepsMs.length,
    deleted,
    median_step_ms: +(stepsMs[Math.floor(stepsMs.length / 2)] ?? 0).toFixed(1),
    slowest_step_ms: +(stepsMs.at(-1) ?? 0).toFixed(1),
    us_per_deleted_row: deleted > 0 ? +((1000 * totalMs) / deleted).toFixed(1) : null,
  })}\n`,
);
