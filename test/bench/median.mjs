// The middle value of repeated measurements, which one outlier on a shared
// machine does not move: what the harness reports wherever it repeats one.

/** The median of `values` (the upper middle one for an even count). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
