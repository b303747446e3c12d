import type { Executor } from '../execution.ts';
import { neumaierSum } from '../indicators.ts';
import { CHUNK } from '../scheduler.ts';
import type { BarSeries } from '../types.ts';
import { FLAT, LONG, NONE, SHORT, type SignalKernel } from './strategy.ts';

/**
 * ema-cross for a single run in one pass over the closes, as sma-cross-kernel.ts does for sma-cross: both averages
 * and the strict cross in one loop, crosses handed to the executor as orders, no indicator or signal columns written
 * and read back. The averages are computed exactly as emaKernel computes them (seeded with the compensated mean of the
 * first `period` closes, then `alpha * close + (1 - alpha) * ema`), so this path makes the same trades as the array
 * path a sweep takes (test/engine/ema-cross-direct.test.ts holds the two to that).
 */
export function emaCrossDirect(bars: BarSeries, fast: number, slow: number, allowShort: boolean, exec: Executor): SignalKernel {
  const kernel = new EmaCrossDirect(bars.close, bars.length, fast, slow, allowShort ? SHORT : FLAT, exec);
  return (from, to) => kernel.step(from, to);
}

class EmaCrossDirect {
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly fast: number;
  private readonly slow: number;
  private readonly down: number;
  private readonly exec: Executor;
  private readonly alphaFast: number;
  private readonly alphaSlow: number;
  /** The two averages at the last bar stepped (NaN before their first value), carried across chunks. */
  private emaFast = Number.NaN;
  private emaSlow = Number.NaN;
  /** emaFast - emaSlow at the previous bar; NaN while the slow average is undefined (NaN never crosses). */
  private d0 = Number.NaN;
  /** A cross on a chunk's last bar, acted on at the next chunk's first open. */
  private pending = NONE;
  private evT = new Int32Array(CHUNK);
  private evC = new Int8Array(CHUNK);

  constructor(close: Float64Array, n: number, fast: number, slow: number, down: number, exec: Executor) {
    this.close = close;
    this.n = n;
    this.fast = fast;
    this.slow = slow;
    this.down = down;
    this.exec = exec;
    this.alphaFast = 2 / (fast + 1);
    this.alphaSlow = 2 / (slow + 1);
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
    const { close, fast, slow, down, exec, alphaFast, alphaSlow } = this;
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
    let ef = this.emaFast;
    let es = this.emaSlow;
    let d0 = this.d0;
    let k = 0;
    let t = from;
    // Warm-up bars (until the slow average has its seed): per-bar branches, as emaKernel's.
    for (const steady = Math.min(to, slow); t < steady; t++) {
      if (t === fast - 1) ef = neumaierSum(close, 0, fast) / fast;
      else if (t >= fast) ef = alphaFast * close[t] + betaFast * ef;
      if (t === slow - 1) es = neumaierSum(close, 0, slow) / slow;
      const d1 = ef - es;
      if (d0 * d1 < 0) {
        evT[k] = t;
        evC[k++] = d1 > 0 ? LONG : down;
      }
      d0 = d1;
    }
    // Steady state: both averages defined; one rarely-true branch per bar.
    for (; t < to; t++) {
      const c = close[t];
      ef = alphaFast * c + betaFast * ef;
      es = alphaSlow * c + betaSlow * es;
      const d1 = ef - es;
      if (d0 * d1 < 0) {
        evT[k] = t;
        evC[k++] = d1 > 0 ? LONG : down;
      }
      d0 = d1;
    }
    this.emaFast = ef;
    this.emaSlow = es;
    this.d0 = d0;
    let marked = from;
    for (let j = 0; j < k; j++) marked = this.cross(evT[j], to, marked, evC[j]);
    if (to === this.n) exec.finish(marked);
    else exec.mark(marked, to);
  }
}
