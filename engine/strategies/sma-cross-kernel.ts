import type { Executor } from '../execution.ts';
import { CHUNK } from '../scheduler.ts';
import type { BarSeries } from '../types.ts';
import { FLAT, LONG, NONE, SHORT, type SignalKernel } from './strategy.ts';

/**
 * sma-cross for a single run in one pass over the closes: both averages as running sums and the strict cross; a
 * chunk's crosses then go to the executor as orders, with no indicator or signal columns in between (a single run
 * reuses nothing, so writing and re-reading three columns of n values was most of its time). The run of bars between
 * two crosses is marked in one call, in the equity tracker's own tight loop.
 *
 * Bit-for-bit the same signals as `smaKernel` + `crossSignals` under the same chunking: each average re-sums its
 * window at a chunk start and then adds the new close before subtracting the old one, exactly as the kernel does, and
 * period 1 is the close itself. The sweep path (cached SMA arrays) and this path must agree, and a test checks it.
 */
export function smaCrossDirect(bars: BarSeries, fast: number, slow: number, allowShort: boolean, exec: Executor): SignalKernel {
  const kernel = new SmaCrossDirect(bars.close, bars.length, fast, slow, allowShort ? SHORT : FLAT, exec);
  return (from, to) => kernel.step(from, to);
}

class SmaCrossDirect {
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly fast: number;
  private readonly slow: number;
  private readonly down: number;
  private readonly exec: Executor;
  /** fast average minus slow average at the previous bar; NaN while either is undefined (NaN never crosses). */
  private d0 = Number.NaN;
  /** A cross on a chunk's last bar, acted on at the next chunk's first open. */
  private pending = NONE;
  /** Crosses found in the current chunk (bar, signal code), handed to the executor after the loop. */
  private evT = new Int32Array(CHUNK);
  private evC = new Int8Array(CHUNK);

  constructor(close: Float64Array, n: number, fast: number, slow: number, down: number, exec: Executor) {
    this.close = close;
    this.n = n;
    this.fast = fast;
    this.slow = slow;
    this.down = down;
    this.exec = exec;
  }

  /** The kernel's chunk-start sum: the `period` closes before `from` (fewer during warm-up), in index order. */
  private windowSum(from: number, period: number): number {
    const close = this.close;
    let sum = 0;
    for (let j = Math.max(0, from - period); j < from; j++) sum += close[j];
    return sum;
  }

  /**
   * A cross at bar t's close: marks the bars through t with the old position and fills at t + 1's open, or, on a
   * chunk's last bar, leaves the order to the next chunk. Returns the first bar not yet marked.
   */
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
    const { close, fast, slow, down, exec } = this;
    exec.touchColumns(from, to);
    if (this.pending !== NONE) {
      exec.act(from, this.pending);
      this.pending = NONE;
    }
    let sa = this.windowSum(from, fast);
    let sb = this.windowSum(from, slow);
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
    // Warm-up bars (before the slow average's window is full): per-bar branches, as the kernel's warm-up loop.
    const steady = Math.min(to, slow);
    for (; t < steady; t++) {
      const c = close[t];
      sa += c;
      if (t >= fast) sa -= close[t - fast];
      sb += c;
      const a = fast === 1 ? c : t >= fast - 1 ? sa / fast : Number.NaN;
      const b = t >= slow - 1 ? sb / slow : Number.NaN;
      const d1 = a - b;
      if (d0 * d1 < 0) {
        evT[k] = t;
        evC[k++] = d1 > 0 ? LONG : down;
      }
      d0 = d1;
    }
    // Steady state: both windows full. One rarely-true branch per bar; everything else is two running sums.
    if (fast === 1) {
      for (; t < to; t++) {
        const c = close[t];
        sb += c;
        sb -= close[t - slow];
        const d1 = c - sb / slow;
        if (d0 * d1 < 0) {
          evT[k] = t;
          evC[k++] = d1 > 0 ? LONG : down;
        }
        d0 = d1;
      }
    } else {
      for (; t < to; t++) {
        const c = close[t];
        sa += c;
        sa -= close[t - fast];
        sb += c;
        sb -= close[t - slow];
        const d1 = sa / fast - sb / slow;
        if (d0 * d1 < 0) {
          evT[k] = t;
          evC[k++] = d1 > 0 ? LONG : down;
        }
        d0 = d1;
      }
    }
    this.d0 = d0;
    let marked = from; // bars before this one are marked
    for (let j = 0; j < k; j++) marked = this.cross(evT[j], to, marked, evC[j]);
    if (to === this.n) exec.finish(marked);
    else exec.mark(marked, to);
  }
}
