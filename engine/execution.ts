import { EXIT_LONG, EXIT_SHORT, FLAT, LONG, NONE, SHORT } from './strategies/strategy.ts';
import type { EquityMarker } from './equity-tracker.ts';
import type { TradeLog } from './trade-log.ts';
import type { BarSeries, Sizing } from './types.ts';

export interface ExecutionConfig {
  initialCash: number;
  /** Fraction of traded value per fill. */
  commission: number;
  slippageBps: number;
  sizing: Sizing;
  fractional: boolean;
}

/**
 * The order simulator. At bar t's open it acts on the signal of bar t-1's close: if the target side differs from the
 * held side it first closes the open position, then opens the new one sized from the equity after that close. Fill
 * prices carry slippage against the trader (buys at open * (1 + bps/1e4), sells at open * (1 - bps/1e4)); commission
 * is charged on the traded value of every fill. Equity is marked at every close (by the EquityTracker, one run of bars
 * between fills at a time); a position still open at the last bar is closed at its close (same slippage and
 * commission) before that bar is marked. A signal on the last bar has no next open and is ignored.
 *
 * A class rather than closures on purpose: V8 specialises optimised code on call targets, and fresh closures per run
 * (a sweep makes one executor per combination) would deoptimise the hot loop every time.
 */
export class Executor {
  private readonly time: Float64Array;
  private readonly open: Float64Array;
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly signals: Int8Array;
  /**
   * The signal bytes eight at a time (a double is 0 exactly when its eight bytes are: the codes are 0..5, so no byte
   * is 0x80 and no word is -0), or empty when the array does not start on an 8-byte boundary.
   */
  private readonly words: Float64Array;
  private readonly tracker: EquityMarker;
  private readonly trades: TradeLog;
  private readonly comm: number;
  private readonly buyFactor: number;
  private readonly sellFactor: number;
  private readonly fractional: boolean;
  private readonly sizingMode: number; // 0 all-in, 1 units, 2 fraction
  private readonly sizingValue: number;

  private cash: number;
  private side = 0; // -1 short, 0 flat, 1 long
  private size = 0; // units, positive
  private entryIndex = -1;
  private entryPrice = 0;
  private entryComm = 0;
  private closedAtEnd = false;
  private touched = 0;
  /** fillAndMark's runs of bars between fills: end bar, cash and signed units held over each. */
  private runEnd = new Int32Array(0);
  private runCash = new Float64Array(0);
  private runUnits = new Float64Array(0);

  constructor(bars: BarSeries, signals: Int8Array, cfg: ExecutionConfig, tracker: EquityMarker, trades: TradeLog) {
    this.time = bars.time;
    this.open = bars.open;
    this.close = bars.close;
    this.n = bars.length;
    this.signals = signals;
    this.words = signalWords(signals);
    this.tracker = tracker;
    this.trades = trades;
    this.comm = cfg.commission;
    const slip = cfg.slippageBps / 10_000;
    this.buyFactor = 1 + slip;
    this.sellFactor = 1 - slip;
    this.fractional = cfg.fractional;
    const sizing = cfg.sizing;
    this.sizingMode = sizing === 'all-in' ? 0 : 'units' in sizing ? 1 : 2;
    this.sizingValue = sizing === 'all-in' ? 1 : 'units' in sizing ? sizing.units : sizing.fraction;
    this.cash = cfg.initialCash;
  }

  /** Starts a new run with the same bars, signals, configuration and tracker (a sweep's ranking pass reuses one). */
  reset(initialCash: number): void {
    this.cash = initialCash;
    this.side = 0;
    this.size = 0;
    this.entryIndex = -1;
    this.entryPrice = 0;
    this.entryComm = 0;
    this.closedAtEnd = false;
  }

  /**
   * Bars whose close was marked with an open position, from the trade log: a trade filled at bar e's open and closed
   * at bar x's open was held at the closes of e..x-1; one closed at the end was also held at the last close.
   */
  barsInMarket(): number {
    const log = this.trades;
    let held = 0;
    for (let i = 0; i < log.count; i++) held += log.exitIndex[i] - log.entryIndex[i];
    return this.closedAtEnd ? held + 1 : held;
  }

  private closePosition(t: number, price: number): void {
    const side = this.side;
    const size = this.size;
    const fill = side === 1 ? price * this.sellFactor : price * this.buyFactor;
    const value = size * fill;
    const exitComm = value * this.comm;
    const entryValue = size * this.entryPrice;
    let pnl: number;
    if (side === 1) {
      this.cash += value - exitComm;
      pnl = value - entryValue - this.entryComm - exitComm;
    } else {
      this.cash -= value + exitComm;
      pnl = entryValue - value - this.entryComm - exitComm;
    }
    this.trades.push(side, size, this.entryIndex, t, this.entryPrice, fill, pnl);
    this.side = 0;
    this.size = 0;
  }

  private openPosition(t: number, target: number): void {
    const fill = target === 1 ? this.open[t] * this.buyFactor : this.open[t] * this.sellFactor;
    const equityNow = this.cash; // flat here: any previous position was closed first
    const comm = this.comm;
    let units: number;
    if (this.sizingMode === 0) units = equityNow / (fill * (1 + comm));
    else if (this.sizingMode === 2) units = (this.sizingValue * equityNow) / (fill * (1 + comm));
    else units = Math.min(this.sizingValue, equityNow / (fill * (1 + comm)));
    if (!this.fractional) units = Math.floor(units);
    if (!(units > 0)) return; // cannot afford a unit: stay flat
    const value = units * fill;
    const c = value * comm;
    if (target === 1) this.cash -= value + c;
    else this.cash += value - c;
    this.side = target;
    this.size = units;
    this.entryIndex = t;
    this.entryPrice = fill;
    this.entryComm = c;
  }

  /** Resolves a signal at bar t's open; rare next to plain bars, so it lives outside the hot loops. */
  act(t: number, code: number): void {
    const side = this.side;
    let target = side;
    if (code === LONG) target = 1;
    else if (code === SHORT) target = -1;
    else if (code === FLAT) target = 0;
    else if (code === EXIT_LONG) target = side === 1 ? 0 : side;
    else if (code === EXIT_SHORT) target = side === -1 ? 0 : side;
    if (target === side) return;
    if (side !== 0) this.closePosition(t, this.open[t]);
    if (target !== 0) this.openPosition(t, target);
  }

  /**
   * Pulls the chunk's opens and times into cache. Fills read `open[t]` only on signal bars, and a cold read from a
   * column of millions of bars is a DRAM miss (~100 ns; measured: about half the executor's time with a fill every 25
   * bars); one load per 64-byte line lets the hardware prefetcher stream the chunk in for a fraction of that. The equity
   * tracker's day boundaries read `time`.
   */
  touchColumns(from: number, to: number): void {
    const { open, time } = this;
    let sum = 0;
    for (let i = from; i < to; i += 8) sum += open[i] + time[i];
    this.touched = sum; // kept so the loads are not dead code
  }

  /**
   * Pulls in the opens of just the bars that will fill: the bar after each of the first `k` signal bars in `bars`. The
   * loads do not depend on each other, so their misses overlap, where touchColumns streams every line. (Fills do not
   * read `time`: the trade log keeps fill bars, and times are looked up for the trades built as objects.)
   */
  touchFills(bars: Int32Array, k: number): void {
    const open = this.open;
    const last = this.n - 1;
    let sum = 0;
    for (let j = 0; j < k; j++) sum += open[bars[j] < last ? bars[j] + 1 : last];
    this.touched = sum; // kept so the loads are not dead code
  }

  /** Marks bars [from, to) with the position held over them (no fills in between). */
  mark(from: number, to: number): void {
    this.tracker.mark(from, to, this.cash, this.side * this.size);
  }

  /**
   * A one-pass kernel's chunk [from, to) after its loop: the order of each of the first `k` signal bars in `bars`
   * (ascending, each below to - 1) with its code in `codes` fills at the next bar's open, and the chunk is marked; at the
   * end of data (to === n) the open position is closed as in `finish`. The fills come first, each run of bars between
   * two fills is recorded (its end, cash and units), and the tracker marks all of them in one call, which saves a call
   * and a save and reload of the tracker's state per run (357 k runs in sma-cross(10, 30) over 10 M bars). Fills never
   * read equity, so doing them first changes nothing.
   */
  fillAndMark(from: number, to: number, bars: Int32Array, codes: Int8Array, k: number): void {
    if (this.runEnd.length < k + 2) {
      const size = Math.max(k + 2, 2 * this.runEnd.length);
      this.runEnd = new Int32Array(size);
      this.runCash = new Float64Array(size);
      this.runUnits = new Float64Array(size);
    }
    const { runEnd, runCash, runUnits } = this;
    this.touchFills(bars, k);
    let runs = 0;
    for (let j = 0; j < k; j++) {
      const t = bars[j] + 1;
      runEnd[runs] = t;
      runCash[runs] = this.cash;
      runUnits[runs++] = this.side * this.size;
      this.act(t, codes[j]);
    }
    const start = runs > 0 ? runEnd[runs - 1] : from;
    if (to === this.n) {
      const last = this.n - 1;
      if (start < last) {
        runEnd[runs] = last;
        runCash[runs] = this.cash;
        runUnits[runs++] = this.side * this.size;
      }
      if (this.side !== 0) {
        this.closedAtEnd = true;
        this.closePosition(last, this.close[last]);
      }
    }
    runEnd[runs] = to;
    runCash[runs] = this.cash;
    runUnits[runs++] = this.side * this.size;
    const tracker = this.tracker;
    if (tracker.markRuns !== undefined) tracker.markRuns(from, runEnd, runCash, runUnits, runs);
    else for (let r = 0, at = from; r < runs; at = runEnd[r++]) tracker.mark(at, runEnd[r], runCash[r], runUnits[r]);
  }

  step(from: number, to: number): void {
    const { signals, n } = this;
    this.touchColumns(from, to);
    // Runs of bars without a pending order are marked in one call; the signal at bar e is acted on at e + 1. The last
    // bar is left to `finish`, which marks it after the end-of-data close.
    const stop = to === n ? n - 1 : to;
    let t = from;
    if (t > 0 && signals[t - 1] !== NONE) {
      this.act(t, signals[t - 1]);
    }
    const words = this.words;
    while (t < stop) {
      let e = t;
      // Skip eight signal-free bars per load where the array allows (a byte at a time was most of a daily sweep
      // combination's executor time): to the next 8-byte boundary, whole zero words, then byte by byte to the signal.
      while (e < stop && (e & 7) !== 0 && signals[e] === NONE) e++;
      if ((e & 7) === 0) while (e + 8 <= stop && words[e >> 3] === 0) e += 8;
      while (e < stop && signals[e] === NONE) e++;
      const end = e < stop ? e + 1 : stop;
      this.mark(t, end);
      t = end;
      if (e < stop && t < to) this.act(t, signals[e]);
    }
    if (to === n) this.finish(stop);
  }

  /**
   * End of data, with bars [from, n - 1) still to mark: the open position is closed at the last close, and the last
   * bar is marked flat, so its equity is the cash after that close.
   */
  finish(from: number): void {
    const last = this.n - 1;
    this.mark(from, last);
    if (this.side !== 0) {
      this.closedAtEnd = true;
      this.closePosition(last, this.close[last]);
    }
    this.mark(last, this.n);
  }
}

const EMPTY_WORDS = new Float64Array(0);
const wordViews = new WeakMap<Int8Array, Float64Array>();

/** A Float64Array over a signal array's whole 8-byte words, made once per array (a sweep reuses one array). */
function signalWords(signals: Int8Array): Float64Array {
  if (signals.byteOffset % 8 !== 0 || signals.length < 8) return EMPTY_WORDS;
  let words = wordViews.get(signals);
  if (words === undefined) {
    words = new Float64Array(signals.buffer, signals.byteOffset, signals.length >> 3);
    wordViews.set(signals, words);
  }
  return words;
}
