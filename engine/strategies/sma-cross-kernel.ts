import type { Executor } from '../execution.ts';
import { CHUNK } from '../scheduler.ts';
import { closePrecisionOf, TO_INTEGER } from '../precision.ts';
import type { BarSeries } from '../types.ts';
import { crossSign, exactProducts, exactSmaCross } from './exact-cross.ts';
import { FLAT, LONG, NONE, SHORT, type SignalKernel } from './strategy.ts';

/**
 * sma-cross for a single run in one pass over the closes: both averages as running sums and the strict cross; a
 * chunk's crosses then go to the executor as orders, with no indicator or signal columns in between (a single run
 * reuses nothing, so writing and re-reading three columns of n values was most of its time). The chunk's fills are
 * made first and all its runs of bars between fills marked in one call (Executor.fillAndMark).
 *
 * Exact: the window sums are integer tick counts (the closes' decimal precision, detected at load) and the averages
 * are compared cross-multiplied, `sumFast * slow` against `sumSlow * fast` (strategies/exact-cross.ts), so a tie in
 * exact arithmetic is a tie here and no division rounds anything; the array path of a sweep decides exactly too
 * (exact-cross.ts), and tests hold the two paths to the same trades. Returns undefined (the engine then takes the
 * array path, on compensated averages) for data without a decimal precision or sums beyond 2^53.
 */
export function smaCrossDirect(bars: BarSeries, fast: number, slow: number, allowShort: boolean, exec: Executor): SignalKernel | undefined {
  if (!exactSmaCross(bars, slow)) return undefined;
  const scale = closePrecisionOf(bars)!.scale;
  const products = exactProducts(bars, fast, slow);
  const kernel = new SmaCrossDirect(bars.close, bars.length, scale, fast, slow, allowShort ? SHORT : FLAT, products, exec);
  return (from, to) => kernel.step(from, to);
}

class SmaCrossDirect {
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly scale: number;
  private readonly fast: number;
  private readonly slow: number;
  private readonly down: number;
  /** Every `sum * period` is an integer below 2^53, so the plain difference is exact (see exactProducts). */
  private readonly products: boolean;
  private readonly exec: Executor;
  /** Exact tick sums of the two windows ending at the last bar stepped, carried across chunks. */
  private sumFast = 0;
  private sumSlow = 0;
  /** sumFast * slow - sumSlow * fast at the previous bar; NaN while the slow window is not full (NaN never crosses). */
  private d0 = Number.NaN;
  /** A cross on a chunk's last bar, acted on at the next chunk's first open. */
  private pending = NONE;
  /** Crosses found in the current chunk (bar, signal code), handed to the executor after the loop. */
  private evT = new Int32Array(CHUNK);
  private evC = new Int8Array(CHUNK);

  constructor(close: Float64Array, n: number, scale: number, fast: number, slow: number, down: number, products: boolean, exec: Executor) {
    this.close = close;
    this.n = n;
    this.scale = scale;
    this.fast = fast;
    this.slow = slow;
    this.down = down;
    this.products = products;
    this.exec = exec;
  }

  step(from: number, to: number): void {
    const { close, scale, fast, slow, down, exec } = this;
    if (this.pending !== NONE) {
      exec.act(from, this.pending);
      this.pending = NONE;
    }
    let sa = this.sumFast;
    let sb = this.sumSlow;
    let d0 = this.d0;
    // Crosses are collected and handed to the executor after the loop: a call inside the loop (even on the rare branch)
    // costs the loop its registers, measured at about a third of the kernel's time.
    if (to - from > this.evT.length) {
      this.evT = new Int32Array(to - from);
      this.evC = new Int8Array(to - from);
    }
    const evT = this.evT;
    const evC = this.evC;
    let k = 0;
    let t = from;
    // Warm-up bars (before the slow window is full): per-bar branches.
    const steady = Math.min(to, slow);
    for (; t < steady; t++) {
      const c = close[t] * scale + TO_INTEGER - TO_INTEGER;
      sa += t >= fast ? c - (close[t - fast] * scale + TO_INTEGER - TO_INTEGER) : c;
      sb += c;
      const d1 = t >= slow - 1 ? crossSign(sa, slow, sb, fast) : Number.NaN;
      if (d0 * d1 < 0) {
        evT[k] = t;
        evC[k++] = d1 > 0 ? LONG : down;
      }
      d0 = d1;
    }
    // Steady state: both windows full. One rarely-true branch per bar; everything else is integer arithmetic in
    // doubles. Adding the difference of the entering and leaving ticks keeps one dependent add per sum (exact).
    // The entering bar and the two leaving ones are read through three views that start `fast` and `slow` bars apart,
    // all indexed by the same j: `close[t - fast]` cost a subtraction with an overflow check and a bounds check on
    // the difference per read, about a tenth of the loop (measured on the bench's 10 M bars).
    if (t < to) {
      const m = to - t;
      const base = t;
      const cur = close.subarray(base, to);
      const outFast = close.subarray(base - fast, to - fast);
      const outSlow = close.subarray(base - slow, to - slow);
      if (this.products) {
        for (let j = 0; j < m; j++) {
          const c = cur[j] * scale + TO_INTEGER - TO_INTEGER;
          sa += c - (outFast[j] * scale + TO_INTEGER - TO_INTEGER);
          sb += c - (outSlow[j] * scale + TO_INTEGER - TO_INTEGER);
          const d1 = sa * slow - sb * fast;
          if (d0 * d1 < 0) {
            evT[k] = base + j;
            evC[k++] = d1 > 0 ? LONG : down;
          }
          d0 = d1;
        }
      } else {
        // Products beyond 2^53 (huge tick counts or periods): the difference decides unless it is within rounding of 0.
        for (let j = 0; j < m; j++) {
          const c = cur[j] * scale + TO_INTEGER - TO_INTEGER;
          sa += c - (outFast[j] * scale + TO_INTEGER - TO_INTEGER);
          sb += c - (outSlow[j] * scale + TO_INTEGER - TO_INTEGER);
          const p = sa * slow;
          const q = sb * fast;
          let d1 = p - q;
          if (Math.abs(d1) <= (Math.abs(p) + Math.abs(q)) * 2 ** -50) d1 = crossSign(sa, slow, sb, fast);
          if (d0 * d1 < 0) {
            evT[k] = base + j;
            evC[k++] = d1 > 0 ? LONG : down;
          }
          d0 = d1;
        }
      }
    }
    this.sumFast = sa;
    this.sumSlow = sb;
    this.d0 = d0;
    // A cross at bar t fills at t + 1's open; one on the chunk's last bar is left to the next chunk's first open.
    let fills = k;
    if (k > 0 && evT[k - 1] + 1 === to) this.pending = evC[--fills];
    exec.fillAndMark(from, to, evT, evC, fills);
  }
}
