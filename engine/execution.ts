import { EXIT_LONG, EXIT_SHORT, FLAT, LONG, NONE, SHORT } from './strategies/strategy.ts';
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

/** Per-bar cash and signed position after the bar's close, for invariant checks; costs two arrays, so opt-in. */
export interface ExecutionTrace {
  cash: Float64Array;
  position: Float64Array;
}

/**
 * The order simulator. At bar t's open it acts on the signal of bar t-1's close: if the target side differs from the
 * held side it first closes the open position, then opens the new one sized from the equity after that close. Fill
 * prices carry slippage against the trader (buys at open * (1 + bps/1e4), sells at open * (1 - bps/1e4)); commission
 * is charged on the traded value of every fill. Equity is marked at every close; a position still open at the last
 * bar is closed at its close (same slippage and commission). A signal on the last bar has no next open and is ignored.
 *
 * A class rather than closures on purpose: V8 specialises optimised code on call targets, and fresh closures per run
 * (a sweep makes one executor per combination) would deoptimise the hot loop every time.
 */
export class Executor {
  private readonly open: Float64Array;
  private readonly close: Float64Array;
  private readonly n: number;
  private readonly signals: Int8Array;
  private readonly equity: Float64Array;
  private readonly trades: TradeLog;
  private readonly traceCash: Float64Array | undefined;
  private readonly tracePos: Float64Array | undefined;
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

  constructor(bars: BarSeries, signals: Int8Array, cfg: ExecutionConfig, equity: Float64Array, trades: TradeLog, trace?: ExecutionTrace) {
    this.open = bars.open;
    this.close = bars.close;
    this.n = bars.length;
    this.signals = signals;
    this.equity = equity;
    this.trades = trades;
    this.traceCash = trace?.cash;
    this.tracePos = trace?.position;
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
   * Pulls the chunk's opens into cache. Fills read `open[t]` only on signal bars, and a cold read from a column of
   * millions of bars is a DRAM miss (~100 ns, measured: about half the executor's time with a fill every 25 bars);
   * one load per 64-byte line lets the hardware prefetcher stream the chunk in for a fraction of that.
   */
  touchOpens(from: number, to: number): void {
    const open = this.open;
    let sum = 0;
    for (let i = from; i < to; i += 8) sum += open[i];
    this.touched = sum; // kept so the loads are not dead code
  }

  /**
   * Marks equity for bars [from, to) with the current position (no fills in between): the run between two signals
   * is a plain multiply-add loop.
   */
  mark(from: number, to: number): void {
    const { close, equity, traceCash, tracePos } = this;
    const c = this.cash;
    const pos = this.side * this.size;
    for (let t = from; t < to; t++) equity[t] = c + pos * close[t];
    if (traceCash !== undefined && tracePos !== undefined) {
      traceCash.fill(c, from, to);
      tracePos.fill(pos, from, to);
    }
  }

  step(from: number, to: number): void {
    const { signals, n } = this;
    this.touchOpens(from, to);
    // Runs of bars without a pending order are marked in one tight loop; the signal at bar e is acted on at e + 1.
    let t = from;
    if (t > 0 && signals[t - 1] !== NONE) {
      this.act(t, signals[t - 1]);
    }
    while (t < to) {
      let e = t;
      while (e < to && signals[e] === NONE) e++;
      const end = e < to ? e + 1 : to;
      this.mark(t, end);
      t = end;
      if (t < to) this.act(t, signals[e]);
    }
    if (to === n) this.endOfData();
  }

  /** End of data: the open position is closed at the last close, and that bar's equity is the cash after it. */
  endOfData(): void {
    const n = this.n;
    if (this.side === 0) return;
    this.closedAtEnd = true;
    this.closePosition(n - 1, this.close[n - 1]);
    this.equity[n - 1] = this.cash;
    if (this.traceCash !== undefined && this.tracePos !== undefined) {
      this.traceCash[n - 1] = this.cash;
      this.tracePos[n - 1] = 0;
    }
  }
}
