/**
 * Technical indicators over typed arrays, O(n) each. Every indicator is a kernel: output arrays plus a `step(from, to)`
 * that fills [from, to) and must be called over consecutive ranges starting at 0, so the engine can yield to the event
 * loop between chunks of a long series. Warm-up values are NaN. `computeIndicator` runs a kernel in one go.
 */
import { takeFloat64 } from './buffer-pool.ts';

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

/** Simple moving average of `period` values ending at i. Period 1 is the source itself (no rounding error). */
export function smaKernel(src: Float64Array, period: number): IndicatorKernel {
  checkPeriod(period);
  const n = src.length;
  if (period === 1) return { length: n, outputs: [src], step() {} };
  const out = nanArray(n);
  return {
    length: n,
    outputs: [out],
    step(from, to) {
      // Re-sum the window at each chunk start so rolling-sum rounding error cannot accumulate across a long series.
      let sum = 0;
      for (let j = Math.max(0, from - period); j < from; j++) sum += src[j];
      // Warm-up and steady state in separate loops: no per-bar branches in the long one.
      const warm = Math.min(to, period);
      let i = from;
      for (; i < warm; i++) {
        sum += src[i];
        out[i] = i === period - 1 ? sum / period : Number.NaN;
      }
      for (; i < to; i++) {
        sum += src[i];
        sum -= src[i - period];
        out[i] = sum / period;
      }
    },
  };
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
          let s = 0;
          for (let j = start; j <= first; j++) s += src[j];
          e = s / period;
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
          g += gain;
          l += loss;
          if (i < period) continue;
          g /= period;
          l /= period;
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

/** Bollinger bands: outputs [middle (SMA), upper, lower], bands at middle ± k * population standard deviation. */
export function bollingerKernel(src: Float64Array, period: number, k: number): IndicatorKernel {
  checkPeriod(period);
  const n = src.length;
  const mid = nanArray(n);
  const upper = nanArray(n);
  const lower = nanArray(n);
  return {
    length: n,
    outputs: [mid, upper, lower],
    step(from, to) {
      let sum = 0;
      let sumSq = 0;
      for (let j = Math.max(0, from - period); j < from; j++) {
        sum += src[j];
        sumSq += src[j] * src[j];
      }
      for (let i = from; i < to; i++) {
        const x = src[i];
        sum += x;
        sumSq += x * x;
        if (i >= period) {
          const y = src[i - period];
          sum -= y;
          sumSq -= y * y;
        }
        if (i >= period - 1) {
          const m = sum / period;
          const variance = sumSq / period - m * m;
          const sd = variance > 0 ? Math.sqrt(variance) : 0;
          mid[i] = m;
          upper[i] = m + k * sd;
          lower[i] = m - k * sd;
        } else {
          mid[i] = upper[i] = lower[i] = Number.NaN;
        }
      }
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
          a += tr;
          out[i] = Number.NaN;
          if (i === period - 1) {
            a /= period;
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
