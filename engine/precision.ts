/**
 * Decimal precision of a price series, detected once at load, so that signals on decimal data (cents, pips, ticks)
 * can be decided on exact integer tick sums instead of on rounded binary doubles. See docs/engine.md, "Numerics".
 */
import type { BarSeries, ClosePrecision } from './types.ts';

/** Most decimal places looked for; beyond that a series counts as having no fixed precision. */
export const MAX_DECIMALS = 8;
/**
 * Largest tick count accepted: `x * 10^d` is then within far less than half a tick of the integer, so rounding it
 * recovers the tick count exactly.
 */
const MAX_TICKS = 2 ** 50;

/**
 * The smallest number of decimals `d <= MAX_DECIMALS` such that every value is the double nearest to an integer
 * number of ticks of `10^-d` (what parsing a decimal string gives: `Number("12.61")`), with the smallest and largest
 * value in ticks; `null` when there is none (computed or non-finite values). One pass: a value with more decimals than
 * the ones before raises `d` for all (a value with 2 decimals also has 3).
 *
 * The test `Math.round(x * s) / s === x` is exact: the division of two integers is correctly rounded, so it returns
 * `x` exactly when `x` is the double nearest to `ticks / s`.
 */
export function detectPrecision(values: Float64Array): ClosePrecision | null {
  let decimals = 0;
  let scale = 1;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    while (Math.round(x * scale) / scale !== x) {
      if (decimals === MAX_DECIMALS || !Number.isFinite(x)) return null;
      decimals++;
      scale *= 10;
    }
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (values.length === 0) return { decimals: 0, scale: 1, minTicks: 0, maxTicks: 0 };
  const minTicks = Math.round(lo * scale);
  const maxTicks = Math.round(hi * scale);
  if (Math.max(Math.abs(minTicks), Math.abs(maxTicks)) > MAX_TICKS) return null;
  return { decimals, scale, minTicks, maxTicks };
}

/**
 * `(v + TO_INTEGER) - TO_INTEGER` rounds v to the nearest integer for |v| < 2^51 (1.5 × 2^52 has a unit in the last
 * place of 1). Hot loops use it to turn a close into ticks (`close * scale` is within far less than 1/2 of its tick
 * count); measured clearly faster than Math.round in those loops.
 */
export const TO_INTEGER = 1.5 * 2 ** 52;

const detected = new WeakMap<Float64Array, ClosePrecision | null>();

/**
 * The precision of `bars.close`: the one recorded at load (`parseCsv`, `barsFromArrays`, `syntheticSeries`), or, for a
 * series built by hand without it, detected on first use and remembered for that close column.
 */
export function closePrecisionOf(bars: BarSeries): ClosePrecision | null {
  if (bars.closePrecision !== undefined) return bars.closePrecision;
  let p = detected.get(bars.close);
  if (p === undefined) {
    p = detectPrecision(bars.close);
    detected.set(bars.close, p);
  }
  return p;
}

/** The largest absolute tick count of a series. */
export function maxAbsTicks(p: ClosePrecision): number {
  return Math.max(Math.abs(p.minTicks), Math.abs(p.maxTicks));
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * A positive parameter such as Bollinger's `k` as a fraction `num / den` in lowest terms: the decimal it was written
 * as (2.2 is 11/5, not the binary double nearest 2.2) when it has at most 15 decimals, else the double's exact binary
 * value. Both parts are integers below 2^53.
 */
export function rationalOf(k: number): { num: number; den: number } {
  if (!Number.isFinite(k) || k <= 0) throw new RangeError(`expected a positive finite number, got ${k}`);
  let den = 1;
  for (let d = 0; d <= 15; d++, den *= 10) {
    const num = Math.round(k * den);
    if (num / den === k && num < 2 ** 53) {
      const g = gcd(num, den);
      return { num: num / g, den: den / g };
    }
  }
  // The double itself: an integer mantissa over a power of two.
  let num = k;
  den = 1;
  while (!Number.isInteger(num)) {
    num *= 2;
    den *= 2;
  }
  return { num, den };
}
