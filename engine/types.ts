/**
 * Public types of the backtest engine. The engine is pure TypeScript: no AWS, no I/O beyond what it is handed.
 * lambdas/core and the CLI depend only on these types and the functions exported from engine/index.ts.
 */

export const TIMEFRAMES = ['1m', '5m', '15m', '1h', '1d'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

/**
 * Columnar OHLCV bars; `time` is epoch milliseconds, strictly increasing. The columns must not change once the series
 * is handed to the engine (its close precision is detected once).
 */
export interface BarSeries {
  readonly length: number;
  readonly time: Float64Array;
  readonly open: Float64Array;
  readonly high: Float64Array;
  readonly low: Float64Array;
  readonly close: Float64Array;
  readonly volume: Float64Array;
  /**
   * Decimal precision of the closes, detected at load (`parseCsv`, `barsFromArrays`, `syntheticSeries`); `null` when
   * the closes have no fixed precision of at most 8 decimals. When absent the engine detects it on first use.
   */
  readonly closePrecision?: ClosePrecision | null;
}

/**
 * Every close is the double nearest to `ticks / scale` for an integer `ticks` (what parsing `"12.61"` gives), with
 * `scale = 10^decimals`; `minTicks` and `maxTicks` bound the closes in ticks. Signals on such a series are decided on
 * exact integer tick sums (docs/engine.md, "Numerics").
 */
export interface ClosePrecision {
  readonly decimals: number;
  readonly scale: number;
  readonly minTicks: number;
  readonly maxTicks: number;
}

/** A numeric parameter may be a value, a list of values, or an inclusive range; lists and ranges make a sweep. */
export type ParamRange = { from: number; to: number; step: number };
export type ParamValue = number | boolean | number[] | ParamRange;

export type Sizing = 'all-in' | { units: number } | { fraction: number };

export interface BacktestSpec {
  strategyId: string;
  params: Record<string, ParamValue>;
  initialCash: number;
  /** Fraction of traded value, charged on entry and on exit. */
  commission: number;
  /** Basis points added against the trader to every fill price. @default 0 */
  slippageBps?: number;
  /** @default 'all-in' */
  sizing?: Sizing;
  /** Allow fractional units (crypto, FX). @default false */
  fractional?: boolean;
  /**
   * The bar size of the data. Stats annualise daily returns whatever the bar size (see docs/engine.md), so this is
   * informational for runBacktest; it selects the synthetic series' bar size. @default '1d'
   */
  timeframe?: Timeframe;
  /** Sweep ranking metric (a stats key) and how many rows to keep. @default { metric: 'sharpe', top: 10 } */
  sweep?: { metric?: string; top?: number };
}

export interface Trade {
  side: 'long' | 'short';
  size: number;
  /** ISO 8601 (UTC) */
  entryTime: string;
  /** ISO 8601 (UTC) */
  exitTime: string;
  entryPrice: number;
  exitPrice: number;
  pnl: number;
  returnPct: number;
}

/** Keys as listed in DESIGN.md; percentages as percent numbers, drawdown negative. `start`/`end` are ISO 8601 strings. */
export interface Stats {
  start: string; end: string; bars: number; trades: number;
  equityFinal: number; equityPeak: number; returnPct: number; buyHoldReturnPct: number; cagrPct: number;
  volatilityAnnPct: number; sharpe: number; sortino: number; calmar: number; maxDrawdownPct: number;
  avgDrawdownPct: number; maxDrawdownDurationDays: number; winRatePct: number; bestTradePct: number;
  worstTradePct: number; avgTradePct: number; profitFactor: number; expectancyPct: number; exposurePct: number;
}

export interface SweepRow { params: Record<string, number | boolean>; stats: Stats }

/**
 * The ranking metric of every combination of a sweep in which exactly two parameters vary, for a heatmap. Row-major:
 * `metric[i * values[params[1]].length + j]` is the combination `params[0] = values[params[0]][i]`,
 * `params[1] = values[params[1]][j]`. `null` marks a combination a cross-parameter rule skipped (fast >= slow) or a
 * metric that is not a finite number. Values keep 6 significant digits: enough to colour and label a cell, and a
 * 5 000-cell grid stays near 50 KB of JSON (the top rows keep full precision).
 */
export interface SweepGrid {
  params: [string, string];
  values: Record<string, number[]>;
  metric: (number | null)[];
}

export interface BacktestResult {
  /** The concrete parameters of this result (the best combination for a sweep). */
  params: Record<string, number | boolean>;
  stats: Stats;
  /** The closed trades in order: all of them, or the first `RunOptions.maxTrades`. */
  trades: Trade[];
  /** How many trades the run made (`trades.length` unless `maxTrades` cut the list; equals `stats.trades`). */
  tradesTotal: number;
  /** At most 500 points, keeping peaks and troughs; `time` in epoch ms. */
  equityCurve: { time: number[]; equity: number[] };
  /** Present when the spec was a sweep; `grid` when exactly two parameters vary. */
  sweep?: { metric: string; combinations: number; top: SweepRow[]; grid?: SweepGrid };
}

export interface RunOptions {
  /** Called with a fraction in 0..1 at a bounded rate (not once per bar). */
  onProgress?: (fraction: number) => void;
  /** Checked at least every few milliseconds of work; an aborted run rejects with an AbortError. */
  signal?: AbortSignal;
  /**
   * Build only the first `maxTrades` Trade objects (`tradesTotal` still counts all, and every stat is still computed
   * over all trades). A caller that keeps a bounded list (the worker stores 1,000) skips building, and collecting,
   * the rest: on a 10 M-bar run with 179 k trades they were about a fifth of its time.
   */
  maxTrades?: number;
}
