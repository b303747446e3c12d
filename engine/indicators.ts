/**
 * Technical indicators over typed arrays, O(n) each. Every indicator is a kernel: output arrays plus a `step(from, to)`
 * that fills [from, to) and must be called over consecutive ranges starting at 0, so the engine can yield to the event
 * loop between chunks of a long series. Warm-up values are NaN. `computeIndicator` runs a kernel in one go.
 */
import { takeFloat64 } from './buffer-pool.ts';
import { detectPrecision, maxAbsTicks, TO_INTEGER } from './precision.ts';
import type { ClosePrecision } from './types.ts';

export { bollingerKernel } from './bollinger.ts';

export interface IndicatorKernel {
  readonly length: number;
  readonly outputs: Float64Array[];
  step(from: number, to: number): void;
}

/** Runs a kernel over its whole length and returns its outputs. */
export function computeIndicator(kernel: IndicatorKernel): Float64Array[] {
  kernel.step(0, kernel.length);
  return kernel.outputs;
}

// Output arrays come from the buffer pool with stale contents: every kernel writes every index, NaN in warm-up slots.
function nanArray(n: number): Float64Array {
  return takeFloat64(n);
}

function checkPeriod(period: number): void {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be an integer >= 1, got ${period}`);
}

/**
 * Simple moving average of `period` values ending at i. Period 1 is the source itself (no rounding error).
 *
 * On a decimal series (`precision`, detected from `src` when not given) the window sum is kept in integer ticks, exact
 * while `period * max|ticks|` stays within 2^53, and each average is that exact sum divided once by `period * 10^d`:
 * the double nearest the true average, whatever the chunking or the summation order. Two averages that are equal in
 * exact arithmetic are then the same double, and (while `fast * slow * max|ticks| < 2^52`) two that differ are
 * different doubles in the same order, so crosses between them are decided exactly. Otherwise the rolling sum is
 * Neumaier-compensated and re-summed at each chunk start, so rounding cannot drift.
 */
export function smaKernel(src: Float64Array, period: number, precision: ClosePrecision | null = detectPrecision(src)): IndicatorKernel {
  checkPeriod(period);
  const n = src.length;
  if (period === 1) return { length: n, outputs: [src], step() {} };
  const out = nanArray(n);
  if (precision !== null && exactWindowSums(precision, period)) return exactSma(src, period, precision.scale, out);
  return {
    length: n,
    outputs: [out],
    step(from, to) {
      let sum = 0;
      let comp = 0;
      for (let j = Math.max(0, from - period); j < from; j++) {
        const x = src[j];
        const t = sum + x;
        comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
        sum = t;
      }
      for (let i = from; i < to; i++) {
        // Neumaier: the rounding error of each addition is recovered exactly and carried in `comp`.
        const x = src[i];
        let t = sum + x;
        comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
        sum = t;
        if (i >= period) {
          const y = -src[i - period];
          t = sum + y;
          comp += Math.abs(sum) >= Math.abs(y) ? sum - t + y : y - t + sum;
          sum = t;
        }
        out[i] = i >= period - 1 ? (sum + comp) / period : Number.NaN;
      }
    },
  };
}

/** Whether window sums of `period` ticks (and one more during an update) are exact integers in a double. */
export function exactWindowSums(precision: ClosePrecision, period: number): boolean {
  return (period + 1) * maxAbsTicks(precision) <= 2 ** 53;
}

/**
 * The exact sum of the last `period` closes in ticks (`round(close * scale)`), an integer double, NaN in warm-up; the
 * caller checks `exactWindowSums` first. Crosses of averages are decided on these sums (strategies/exact-cross.ts).
 */
export function tickSumKernel(src: Float64Array, period: number, scale: number): IndicatorKernel {
  checkPeriod(period);
  return exactSma(src, period, scale, nanArray(src.length), false);
}

function exactSma(src: Float64Array, period: number, scale: number, out: Float64Array, average = true): IndicatorKernel {
  // An exact integer (period <= 1e5, scale <= 1e8); dividing by 1 leaves the sum itself.
  return new ExactSma(src, period, scale, out, average ? period * scale : 1);
}

/**
 * A class rather than a closure: the running sum is a field, not a double boxed in a closure context, and every
 * kernel shares one `step` (measured: a sweep's 100 combinations ran about 5 % faster than with the closure).
 */
class ExactSma implements IndicatorKernel {
  readonly length: number;
  readonly outputs: Float64Array[];
  private readonly src: Float64Array;
  private readonly period: number;
  private readonly scale: number;
  private readonly out: Float64Array;
  private readonly den: number;
  /** Exact tick sum of the window ending at the last bar stepped; carried across chunks. */
  private sum = 0;

  constructor(src: Float64Array, period: number, scale: number, out: Float64Array, den: number) {
    this.src = src;
    this.period = period;
    this.scale = scale;
    this.out = out;
    this.den = den;
    this.length = src.length;
    this.outputs = [out];
  }

  step(from: number, to: number): void {
    const { src, period, scale, out, den } = this;
    let s = this.sum;
    const warm = Math.min(to, period);
    let i = from;
    for (; i < warm; i++) {
      s += src[i] * scale + TO_INTEGER - TO_INTEGER;
      out[i] = i === period - 1 ? s / den : Number.NaN;
    }
    // Integer arithmetic: adding the difference is the same sum as adding then subtracting, with one dependent add.
    for (; i < to; i++) {
      s += src[i] * scale + TO_INTEGER - TO_INTEGER - (src[i - period] * scale + TO_INTEGER - TO_INTEGER);
      out[i] = s / den;
    }
    this.sum = s;
  }
}

/** Sum of src[from..to) with Neumaier's compensation: the rounding error of every addition is carried and added back. */
export function neumaierSum(src: ArrayLike<number>, from: number, to: number): number {
  let sum = 0;
  let comp = 0;
  for (let j = from; j < to; j++) {
    const x = src[j];
    const t = sum + x;
    comp += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return sum + comp;
}

/**
 * Exponential moving average with alpha = 2 / (period + 1), seeded with the simple mean of the first `period`
 * values from `start` (the first defined source index), so the first value is at start + period - 1.
 */
export function emaKernel(src: Float64Array, period: number, start = 0): IndicatorKernel {
  checkPeriod(period);
  const n = src.length;
  const out = nanArray(n);
  const alpha = 2 / (period + 1);
  const first = start + period - 1;
  return {
    length: n,
    outputs: [out],
    step(from, to) {
      let e = from - 1 >= first ? out[from - 1] : Number.NaN;
      for (let i = from; i < Math.min(to, first); i++) out[i] = Number.NaN;
      for (let i = Math.max(from, first); i < to; i++) {
        if (i === first) {
          e = neumaierSum(src, start, first + 1) / period;
        } else {
          e = alpha * src[i] + (1 - alpha) * e;
        }
        out[i] = e;
      }
    },
  };
}

/**
 * Relative strength index with Wilder's smoothing: average gain and loss seeded with the simple mean of the first
 * `period` close-to-close changes (first value at index `period`), then avg = (avg * (period - 1) + x) / period.
 * RSI = 100 - 100 / (1 + avgGain / avgLoss); 100 when there are no losses, 50 when the price did not move at all.
 */
export function rsiKernel(close: Float64Array, period: number): IndicatorKernel {
  checkPeriod(period);
  const n = close.length;
  const out = nanArray(n);
  let avgGain = 0;
  let avgLoss = 0;
  // Neumaier compensation of the seed sums (the first `period` changes), carried across chunks.
  let compGain = 0;
  let compLoss = 0;
  return {
    length: n,
    outputs: [out],
    step(from, to) {
      let g = avgGain;
      let l = avgLoss;
      for (let i = from; i < Math.min(to, period); i++) out[i] = Number.NaN;
      for (let i = Math.max(from, 1); i < to; i++) {
        const d = close[i] - close[i - 1];
        const gain = d > 0 ? d : 0;
        const loss = d < 0 ? -d : 0;
        if (i <= period) {
          const tg = g + gain;
          compGain += g >= gain ? g - tg + gain : gain - tg + g;
          g = tg;
          const tl = l + loss;
          compLoss += l >= loss ? l - tl + loss : loss - tl + l;
          l = tl;
          if (i < period) continue;
          g = (g + compGain) / period;
          l = (l + compLoss) / period;
        } else {
          g = (g * (period - 1) + gain) / period;
          l = (l * (period - 1) + loss) / period;
        }
        out[i] = l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
      }
      avgGain = g;
      avgLoss = l;
    },
  };
}

/**
 * MACD: outputs [macd, signal, histogram]. macd = EMA(fast) - EMA(slow) from index slow - 1; signal = EMA(signal) of
 * macd seeded at its first `signal` defined values; histogram = macd - signal.
 */
export function macdKernel(close: Float64Array, fast: number, slow: number, signal: number): IndicatorKernel {
  const n = close.length;
  const f = emaKernel(close, fast);
  const s = emaKernel(close, slow);
  const macd = nanArray(n);
  const sig = emaKernel(macd, signal, Math.max(fast, slow) - 1);
  const signalOut = sig.outputs[0];
  const hist = nanArray(n);
  const fo = f.outputs[0];
  const so = s.outputs[0];
  return {
    length: n,
    outputs: [macd, signalOut, hist],
    step(from, to) {
      f.step(from, to);
      s.step(from, to);
      for (let i = from; i < to; i++) macd[i] = fo[i] - so[i];
      sig.step(from, to);
      for (let i = from; i < to; i++) hist[i] = macd[i] - signalOut[i];
    },
  };
}

/**
 * Average true range with Wilder's smoothing. TR[0] = high - low; TR[i] = max(high - low, |high - prevClose|,
 * |low - prevClose|). ATR at period - 1 is the mean of TR[0..period-1], then (atr * (period - 1) + TR) / period.
 */
export function atrKernel(high: Float64Array, low: Float64Array, close: Float64Array, period: number): IndicatorKernel {
  checkPeriod(period);
  const n = close.length;
  const out = nanArray(n);
  let acc = 0;
  let comp = 0; // Neumaier compensation of the seed sum, carried across chunks
  return {
    length: n,
    outputs: [out],
    step(from, to) {
      let a = acc;
      for (let i = from; i < to; i++) {
        let tr = high[i] - low[i];
        if (i > 0) {
          const pc = close[i - 1];
          const up = Math.abs(high[i] - pc);
          const down = Math.abs(low[i] - pc);
          if (up > tr) tr = up;
          if (down > tr) tr = down;
        }
        if (i < period) {
          const t = a + tr;
          comp += a >= tr ? a - t + tr : tr - t + a;
          a = t;
          out[i] = Number.NaN;
          if (i === period - 1) {
            a = (a + comp) / period;
            out[i] = a;
          }
        } else {
          a = (a * (period - 1) + tr) / period;
          out[i] = a;
        }
      }
      acc = a;
    },
  };
}

/**
 * Donchian channel: outputs [upper, lower, middle] where upper[i] = max(high[i-period+1..i]) and lower the min of
 * lows over the same window (the current bar included). Monotonic deques keep it O(n) for any period.
 */
export function donchianKernel(high: Float64Array, low: Float64Array, period: number): IndicatorKernel {
  checkPeriod(period);
  const n = high.length;
  const upper = nanArray(n);
  const lower = nanArray(n);
  const middle = nanArray(n);
  // Ring buffers of indices; a window never holds more than `period` of them.
  const cap = period + 1;
  const maxQ = new Int32Array(cap);
  const minQ = new Int32Array(cap);
  let maxHead = 0, maxLen = 0, minHead = 0, minLen = 0;
  return {
    length: n,
    outputs: [upper, lower, middle],
    step(from, to) {
      for (let i = from; i < to; i++) {
        const h = high[i];
        while (maxLen > 0 && high[maxQ[(maxHead + maxLen - 1) % cap]] <= h) maxLen--;
        maxQ[(maxHead + maxLen) % cap] = i;
        maxLen++;
        if (maxQ[maxHead] <= i - period) { maxHead = (maxHead + 1) % cap; maxLen--; }
        const l = low[i];
        while (minLen > 0 && low[minQ[(minHead + minLen - 1) % cap]] >= l) minLen--;
        minQ[(minHead + minLen) % cap] = i;
        minLen++;
        if (minQ[minHead] <= i - period) { minHead = (minHead + 1) % cap; minLen--; }
        if (i >= period - 1) {
          const u = high[maxQ[maxHead]];
          const d = low[minQ[minHead]];
          upper[i] = u;
          lower[i] = d;
          middle[i] = (u + d) / 2;
        } else {
          upper[i] = lower[i] = middle[i] = Number.NaN;
        }
      }
    },
  };
}
