// A series' default bucket size, apart from the series query so that the
// CLI can show the size its answer came in without loading the query layer.

/** Bucket sizes a default is chosen from, each a divisor of a day or a whole number of days. */
const BUCKET_SIZES_MS = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** The bucket size that gives about `buckets` buckets over a window. */
export function defaultBucketMs(windowMs: number, buckets = 60): number {
  const ideal = windowMs / buckets;
  let best = BUCKET_SIZES_MS[0] as number;
  for (const size of BUCKET_SIZES_MS) {
    if (Math.abs(Math.log(size / ideal)) < Math.abs(Math.log(best / ideal))) best = size;
  }
  return best;
}
