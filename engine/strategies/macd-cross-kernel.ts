import type { Executor } from '../execution.ts';
import { neumaierSum } from '../indicators.ts';
import { CHUNK } from '../scheduler.ts';
import type { BarSeries } from '../types.ts';
import { FLAT, LONG, NONE, SHORT, type SignalKernel } from './strategy.ts';

/**
 * macd-cross for a single run in one pass over the closes (as sma-cross-kernel.ts and ema-cross-kernel.ts): the two
 * EMAs, the MACD line, its signal EMA and the strict cross of the two lines in one loop, crosses handed to the
 * executor as orders. Computed exactly as macdKernel computes them (the signal EMA seeded with the compensated mean of
 * the first `signal` MACD values), so single runs make the same trades as the array path sweeps take
 * (test/engine/macd-cross-direct.test.ts).
 */
export function macdCrossDirect(bars: BarSeries, fast: number, slow: number, signal: number, allowShort: boolean, exec: Executor): SignalKernel {
  const kernel = new MacdCrossDirect(bars.close, bars.length, fast, slow, signal, allowShort ? SHORT : FLAT, exec);
  return (from, to) => kernel.step(from, to);
}

class MacdCrossDirect {
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly fast: number;
  private readonly slow: number;
  private readonly signal: number;
  private readonly down: number;
  private readonly exec: Executor;
  private readonly alphaFast: number;
  private readonly alphaSlow: number;
  private readonly alphaSignal: number;
  /** The first `signal` MACD values, for the signal line's seed (as emaKernel seeds it). */
  private readonly seed: Float64Array;
  private emaFast = Number.NaN;
  private emaSlow = Number.NaN;
  private signalLine = Number.NaN;
  /** macd - signal at the previous bar; NaN while the signal line is undefined (NaN never crosses). */
  private d0 = Number.NaN;
  private pending = NONE;
  private evT = new Int32Array(CHUNK);
  private evC = new Int8Array(CHUNK);

  constructor(close: Float64Array, n: number, fast: number, slow: number, signal: number, down: number, exec: Executor) {
    this.close = close;
    this.n = n;
    this.fast = fast;
    this.slow = slow;
    this.signal = signal;
    this.down = down;
    this.exec = exec;
    this.alphaFast = 2 / (fast + 1);
    this.alphaSlow = 2 / (slow + 1);
    this.alphaSignal = 2 / (signal + 1);
    this.seed = new Float64Array(signal);
  }

  private cross(t: number, to: number, marked: number, code: number): number {
    if (t + 1 === to) {
      this.pending = code;
      return marked;
    }
    this.exec.mark(marked, t + 1);
    this.exec.act(t + 1, code);
    return t + 1;
  }

  step(from: number, to: number): void {
    const { close, fast, slow, signal, down, exec, alphaFast, alphaSlow, alphaSignal, seed } = this;
    exec.touchColumns(from, to);
    if (this.pending !== NONE) {
      exec.act(from, this.pending);
      this.pending = NONE;
    }
    if (to - from > this.evT.length) {
      this.evT = new Int32Array(to - from);
      this.evC = new Int8Array(to - from);
    }
    const evT = this.evT;
    const evC = this.evC;
    const betaFast = 1 - alphaFast;
    const betaSlow = 1 - alphaSlow;
    const betaSignal = 1 - alphaSignal;
    // The MACD line exists from slow - 1 (fast < slow); the signal line from slow - 1 + signal - 1.
    const macdFrom = slow - 1;
    const signalFrom = macdFrom + signal - 1;
    let ef = this.emaFast;
    let es = this.emaSlow;
    let sg = this.signalLine;
    let d0 = this.d0;
    let k = 0;
    let t = from;
    for (const steady = Math.min(to, signalFrom + 1); t < steady; t++) {
      if (t === fast - 1) ef = neumaierSum(close, 0, fast) / fast;
      else if (t >= fast) ef = alphaFast * close[t] + betaFast * ef;
      if (t === slow - 1) es = neumaierSum(close, 0, slow) / slow;
      else if (t >= slow) es = alphaSlow * close[t] + betaSlow * es;
      const m = ef - es;
      if (t >= macdFrom) seed[t - macdFrom] = m;
      if (t === signalFrom) sg = neumaierSum(seed, 0, signal) / signal;
      const d1 = m - sg;
      if (d0 * d1 < 0) {
        evT[k] = t;
        evC[k++] = d1 > 0 ? LONG : down;
      }
      d0 = d1;
    }
    for (; t < to; t++) {
      const c = close[t];
      ef = alphaFast * c + betaFast * ef;
      es = alphaSlow * c + betaSlow * es;
      const m = ef - es;
      sg = alphaSignal * m + betaSignal * sg;
      const d1 = m - sg;
      if (d0 * d1 < 0) {
        evT[k] = t;
        evC[k++] = d1 > 0 ? LONG : down;
      }
      d0 = d1;
    }
    this.emaFast = ef;
    this.emaSlow = es;
    this.signalLine = sg;
    this.d0 = d0;
    let marked = from;
    for (let j = 0; j < k; j++) marked = this.cross(evT[j], to, marked, evC[j]);
    if (to === this.n) exec.finish(marked);
    else exec.mark(marked, to);
  }
}
