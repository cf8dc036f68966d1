// PostgreSQL's percentile_disc, given the fractions the query layer gives
// it, takes mcpr's nearest rank (index ceil(p/100 * n) - 1, in exact
// integers) for every count from 1 to 1,000 and every percentile from 1 to
// 99, on a real server. The plain fractions do not: p7 of 100 values is the
// 8th there, where mcpr's rule takes the 7th.
import { type PostgresServer, startPostgres } from '@mcpr-store/test-utils';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { pgPercentileFractions } from '../src/tool-stats.js';

let server: PostgresServer;
let client: pg.Client;

beforeAll(async () => {
  server = await startPostgres();
  client = new pg.Client(server.url);
  await client.connect();
}, 60_000);
afterAll(async () => {
  await client?.end();
  server?.stop();
});

const PERCENTILES = Array.from({ length: 99 }, (_, i) => i + 1);
const MAX_N = 1000;

/** mcpr's rank of percentile p among n values, in integers. */
function rank(p: number, n: number): number {
  return Math.max(1, Math.floor((p * n + 99) / 100));
}

/** For each n, the value percentile_disc picks for every p, over the values 1..n. */
async function picked(fractions: string): Promise<Map<number, number[]>> {
  const { rows } = await client.query<{ n: number; picked: string[] }>(
    `SELECT n, percentile_disc(${fractions}) WITHIN GROUP (ORDER BY v) AS picked
     FROM generate_series(1, ${MAX_N}) AS n, generate_series(1, n) AS v
     GROUP BY n`,
  );
  return new Map(rows.map((row) => [row.n, row.picked.map(Number)]));
}

it('takes mcpr rank for every n up to 1,000 and every percentile, where the plain fractions miss', async () => {
  const lowered = await picked(pgPercentileFractions(PERCENTILES));
  const plain = await picked(`ARRAY[${PERCENTILES.map((p) => p / 100).join(', ')}]::float8[]`);
  let plainMisses = 0;
  for (let n = 1; n <= MAX_N; n += 1) {
    const expected = PERCENTILES.map((p) => rank(p, n));
    expect(lowered.get(n), `n = ${n}`).toEqual(expected);
    plainMisses += (plain.get(n) ?? []).filter((value, i) => value !== expected[i]).length;
  }
  expect(plain.get(100)?.[6]).toBe(8);
  expect(plainMisses).toBeGreaterThan(0);
}, 60_000);
