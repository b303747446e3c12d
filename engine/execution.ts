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

export interface Executor {
  step(from: number, to: number): void;
  /** Bars whose close was marked with an open position. */
  barsInMarket(): number;
}

/**
 * The order simulator. At bar t's open it acts on the signal of bar t-1's close: if the target side differs from the
 * held side it first closes the open position, then opens the new one sized from the equity after that close. Fill
 * prices carry slippage against the trader (buys at open * (1 + bps/1e4), sells at open * (1 - bps/1e4)); commission
 * is charged on the traded value of every fill. Equity is marked at every close; a position still open at the last
 * bar is closed at its close (same slippage and commission). A signal on the last bar has no next open and is ignored.
 */
export function createExecutor(
  bars: BarSeries,
  signals: Int8Array,
  cfg: ExecutionConfig,
  equity: Float64Array,
  trades: TradeLog,
  trace?: ExecutionTrace,
): Executor {
  const { open, close } = bars;
  const n = bars.length;
  const comm = cfg.commission;
  const slip = cfg.slippageBps / 10_000;
  const buyFactor = 1 + slip;
  const sellFactor = 1 - slip;
  const fractional = cfg.fractional;
  const sizing = cfg.sizing;
  const sizingMode = sizing === 'all-in' ? 0 : 'units' in sizing ? 1 : 2;
  const sizingValue = sizing === 'all-in' ? 1 : 'units' in sizing ? sizing.units : sizing.fraction;
  const traceCash = trace?.cash;
  const tracePos = trace?.position;

  let cash = cfg.initialCash;
  let side = 0; // -1 short, 0 flat, 1 long
  let size = 0; // units, positive
  let entryIndex = -1;
  let entryPrice = 0;
  let entryComm = 0;
  let held = 0;

  const closePosition = (t: number, price: number): void => {
    const fill = side === 1 ? price * sellFactor : price * buyFactor;
    const value = size * fill;
    const exitComm = value * comm;
    const entryValue = size * entryPrice;
    let pnl: number;
    if (side === 1) {
      cash += value - exitComm;
      pnl = value - entryValue - entryComm - exitComm;
    } else {
      cash -= value + exitComm;
      pnl = entryValue - value - entryComm - exitComm;
    }
    trades.push(side, size, entryIndex, t, entryPrice, fill, pnl);
    side = 0;
    size = 0;
  };

  const openPosition = (t: number, target: number): void => {
    const fill = target === 1 ? open[t] * buyFactor : open[t] * sellFactor;
    const equityNow = cash; // flat here: any previous position was closed first
    let units: number;
    if (sizingMode === 0) units = equityNow / (fill * (1 + comm));
    else if (sizingMode === 2) units = (sizingValue * equityNow) / (fill * (1 + comm));
    else units = Math.min(sizingValue, equityNow / (fill * (1 + comm)));
    if (!fractional) units = Math.floor(units);
    if (!(units > 0)) return; // cannot afford a unit: stay flat
    const value = units * fill;
    const c = value * comm;
    if (target === 1) cash -= value + c;
    else cash += value - c;
    side = target;
    size = units;
    entryIndex = t;
    entryPrice = fill;
    entryComm = c;
  };

  // Resolves a signal at bar t's open; rare next to plain bars, so it may live outside the hot loop.
  const act = (t: number, code: number): void => {
    let target = side;
    if (code === LONG) target = 1;
    else if (code === SHORT) target = -1;
    else if (code === FLAT) target = 0;
    else if (code === EXIT_LONG) target = side === 1 ? 0 : side;
    else if (code === EXIT_SHORT) target = side === -1 ? 0 : side;
    if (target === side) return;
    if (side !== 0) closePosition(t, open[t]);
    if (target !== 0) openPosition(t, target);
  };

  return {
    barsInMarket: () => held,
    step(from, to) {
      // Hot loop on locals; state lives in the closure only across signal handling and chunk boundaries.
      let c = cash;
      let pos = side * size;
      let h = held;
      for (let t = from; t < to; t++) {
        if (t > 0 && signals[t - 1] !== NONE) {
          act(t, signals[t - 1]);
          c = cash;
          pos = side * size;
        }
        if (pos !== 0) {
          h++;
          if (t === n - 1) {
            closePosition(t, close[t]);
            c = cash;
            pos = 0;
          }
        }
        equity[t] = c + pos * close[t];
        if (traceCash !== undefined && tracePos !== undefined) {
          traceCash[t] = c;
          tracePos[t] = pos;
        }
      }
      held = h;
    },
  };
}
