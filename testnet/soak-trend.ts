/**
 * The soak's figures from its samples: percentiles, the least-squares slope of a series over time,
 * and the verdict on memory (does it grow over the second half of the run?).
 */

/** The p-th percentile (nearest rank) of sorted values; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Least-squares line through points (x, y): slope and intercept; null for fewer than two distinct x. */
export function linearFit(points: ReadonlyArray<readonly [number, number]>): { slope: number; intercept: number } | null {
  const n = points.length;
  if (n < 2) return null;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) * (x - mx);
    sxy += (x - mx) * (y - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/** How one memory series moved over the second half of the run. */
export interface MemoryTrend {
  /** Slope of the least-squares line, MB per hour (null: too few samples). */
  slopeMbPerHour: number | null;
  /** The line's rise over the second half, as a share of its mean level there. */
  riseFraction: number | null;
  /** true when the rise is above `threshold` of the level: memory grows. */
  grows: boolean | null;
}

/**
 * Fit a line through the samples of the second half (t in seconds, value in bytes). The verdict is
 * "grows" when the line rises by more than `threshold` (default 10 %) of its mean over that half: a
 * slope alone means little over minutes, when a garbage collection moves the heap by tens of MB.
 */
export function memoryTrend(samples: ReadonlyArray<readonly [number, number | null]>, threshold = 0.1): MemoryTrend {
  const known = samples.filter((s): s is [number, number] => s[1] !== null);
  if (known.length === 0) return { slopeMbPerHour: null, riseFraction: null, grows: null };
  const tEnd = Math.max(...known.map((s) => s[0]));
  const tStart = Math.min(...known.map((s) => s[0]));
  const half = known.filter(([t]) => t >= (tStart + tEnd) / 2);
  const fit = linearFit(half);
  if (fit === null || half.length < 3) return { slopeMbPerHour: null, riseFraction: null, grows: null };
  const span = Math.max(...half.map((s) => s[0])) - Math.min(...half.map((s) => s[0]));
  const mean = half.reduce((a, [, v]) => a + v, 0) / half.length;
  const riseFraction = (fit.slope * span) / mean;
  return { slopeMbPerHour: (fit.slope * 3600) / 2 ** 20, riseFraction, grows: riseFraction > threshold };
}

/**
 * Whether a node's memory series can be judged: only when its last process was already running at the
 * run's midpoint (its first sample at or before it). A process started later by a fault is still
 * warming up over what is left (caches filling, the allocator reaching its working set), so its own
 * "second half" says nothing about a leak; its trend is reported, not judged.
 */
export function judgedSeries(firstSampleT: number | undefined, durationS: number): boolean {
  return firstSampleT !== undefined && firstSampleT <= durationS / 2;
}
