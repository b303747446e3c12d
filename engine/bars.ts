import { detectPrecision } from './precision.ts';
import type { BarSeries } from './types.ts';

/** Allocates an empty columnar series of `length` bars (all zero); callers fill the columns. */
export function allocateBars(length: number): BarSeries {
  return {
    length,
    time: new Float64Array(length),
    open: new Float64Array(length),
    high: new Float64Array(length),
    low: new Float64Array(length),
    close: new Float64Array(length),
    volume: new Float64Array(length),
  };
}

/** Builds a series from plain arrays (tests, small inputs). Volume defaults to zeros. */
export function barsFromArrays(columns: {
  time: ArrayLike<number>;
  open: ArrayLike<number>;
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
  volume?: ArrayLike<number>;
}): BarSeries {
  const n = columns.time.length;
  for (const key of ['open', 'high', 'low', 'close'] as const) {
    if (columns[key].length !== n) throw new RangeError(`column ${key} has ${columns[key].length} values, time has ${n}`);
  }
  const bars = allocateBars(n);
  bars.time.set(columns.time);
  bars.open.set(columns.open);
  bars.high.set(columns.high);
  bars.low.set(columns.low);
  bars.close.set(columns.close);
  if (columns.volume !== undefined) bars.volume.set(columns.volume);
  return { ...bars, closePrecision: detectPrecision(bars.close) };
}

/** First index whose time is >= t (or > t when `inclusive`); binary search, times are strictly increasing. */
function bound(time: Float64Array, t: number, inclusive: boolean): number {
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid] < t || (inclusive && time[mid] === t)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bars with startMs <= time <= endMs (both optional, inclusive). Columns are subarray views: nothing is copied. */
export function sliceByTime(bars: BarSeries, startMs?: number, endMs?: number): BarSeries {
  const from = startMs === undefined ? 0 : bound(bars.time, startMs, false);
  const to = endMs === undefined ? bars.length : bound(bars.time, endMs, true);
  const end = Math.max(from, to);
  return {
    length: end - from,
    time: bars.time.subarray(from, end),
    open: bars.open.subarray(from, end),
    high: bars.high.subarray(from, end),
    low: bars.low.subarray(from, end),
    close: bars.close.subarray(from, end),
    volume: bars.volume.subarray(from, end),
    // Still true of a part of the series (its tick bounds are then loose, which only makes the exactness checks
    // more conservative); absent stays absent, and the engine detects it on first use.
    ...(bars.closePrecision !== undefined && { closePrecision: bars.closePrecision }),
  };
}
