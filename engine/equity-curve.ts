/** Largest number of points in a returned equity curve. */
export const MAX_CURVE_POINTS = 500;

/**
 * Bars per bucket of the min/max downsampling (see EquityTracker): the first and last bars, plus the lowest and the
 * highest point of each of (MAX_CURVE_POINTS - 2) / 2 = 249 equal index buckets in between. Short series keep every bar.
 */
export function curveBucketSize(n: number): number {
  const buckets = (MAX_CURVE_POINTS - 2) / 2;
  return n <= MAX_CURVE_POINTS ? 1 : Math.ceil((n - 2) / buckets);
}
