import { DAY_MS, toIso } from './time.ts';
import type { DrawdownSummary, EquitySummary } from './equity-tracker.ts';
import type { TradeLog } from './trade-log.ts';
import type { BarSeries, Stats } from './types.ts';

/** Numeric stats keys, i.e. the metrics a sweep can rank by. */
export const METRIC_KEYS = [
  'bars', 'trades', 'equityFinal', 'equityPeak', 'returnPct', 'buyHoldReturnPct', 'cagrPct', 'volatilityAnnPct',
  'sharpe', 'sortino', 'calmar', 'maxDrawdownPct', 'avgDrawdownPct', 'maxDrawdownDurationDays', 'winRatePct',
  'bestTradePct', 'worstTradePct', 'avgTradePct', 'profitFactor', 'expectancyPct', 'exposurePct',
] as const satisfies readonly (keyof Stats)[];
export type MetricKey = (typeof METRIC_KEYS)[number];

/** Metrics where smaller is better; every other metric ranks higher-is-better (drawdowns are negative numbers). */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(['volatilityAnnPct', 'maxDrawdownDurationDays']);

const YEAR_MS = 365.25 * DAY_MS;

function ratio(num: number, den: number): number {
  if (den === 0 || Number.isNaN(den)) return num === 0 || Number.isNaN(num) ? Number.NaN : num > 0 ? Infinity : -Infinity;
  return num / den;
}

/**
 * Sums over the daily returns `r = d[i] / d[i - 1] - 1` of consecutive UTC-day closing equities, in day order. A full
 * run and a sweep's ranking pass (engine/ranking-tracker.ts) both reduce their day closes with `dailyReturnSums`, so every
 * return-based stat is the same double on both paths.
 */
export interface ReturnSums {
  /** Number of returns: days - 1. */
  m: number;
  sum: number;
  /** log(last day close / first day close): the log of the product of every day's `1 + r` (dailyLogGrowth). */
  logSum: number;
  /** Sum of squares of the negative returns. */
  downSq: number;
  /** Sum of squared deviations from the mean return (two-pass); NaN when not asked for. */
  varSum: number;
}

/**
 * Reduces `days` day closes. `scratch` (at least `days` long) receives the returns so the variance pass need not divide
 * again; `withVariance: false` skips that pass (varSum NaN). A zero return adds nothing to the sums (they start at +0
 * and a return is never -0). The log sum is not a sum of `log1p(r)`: see dailyLogGrowth.
 */
export function dailyReturnSums(d: Float64Array, days: number, scratch: Float64Array, withVariance = true): ReturnSums {
  const m = days - 1;
  let sum = 0;
  let downSq = 0;
  for (let i = 1; i <= m; i++) {
    const r = d[i] / d[i - 1] - 1;
    scratch[i] = r;
    if (r !== 0) {
      sum += r;
      if (r < 0) downSq += r * r;
    }
  }
  return { m, sum, logSum: dailyLogGrowth(d[0], d[m], sum), downSq, varSum: withVariance ? deviationSum(scratch, m, sum / m) : Number.NaN };
}

/**
 * The log of the product of the daily growth factors `1 + r`, for the geometric mean daily return. The product
 * telescopes: each factor is `d[i] / d[i - 1]`, so it is exactly `last / first` in real arithmetic, and one division
 * and one log give it with an error of about an ulp, where summing a `log1p` per day (as before engine 1.1.0)
 * accumulated one rounding per day and cost one libm call per day in the market (most of a Sharpe sweep's time).
 * `sum` is the plain sum of the returns: NaN exactly when a return was NaN (a NaN close), and the log sum is NaN then
 * too, as the per-day sum was. Equity at or below 0 at some close makes the return measures NaN anyway (the ruin rule
 * in statsFrom).
 */
export function dailyLogGrowth(first: number, last: number, sum: number): number {
  return Number.isNaN(sum) ? Number.NaN : Math.log(last / first);
}

/** Sum of squared deviations of returns[1..m] from their mean, in day order (the variance's second pass). */
export function deviationSum(returns: Float64Array, m: number, mean: number): number {
  let varSum = 0;
  for (let i = 1; i <= m; i++) {
    const dev = returns[i] - mean;
    varSum += dev * dev;
  }
  return varSum;
}

/** Sums over the closed trades, in trade order (what the trade stats are made of). */
export interface TradeSums {
  count: number;
  wins: number;
  grossProfit: number;
  grossLoss: number;
  best: number;
  worst: number;
  retSum: number;
  /** Sum of log1p(returnPct / 100); NaN when not asked for. */
  retLogSum: number;
}

export function tradeSums(trades: TradeLog, withLog = true): TradeSums {
  const k = trades.count;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let best = Number.NEGATIVE_INFINITY;
  let worst = Number.POSITIVE_INFINITY;
  let retSum = 0;
  let retLogSum = withLog ? 0 : Number.NaN;
  const pnl = trades.pnl;
  for (let i = 0; i < k; i++) {
    const p = pnl[i];
    if (p > 0) {
      wins++;
      grossProfit += p;
    } else if (p < 0) grossLoss -= p;
    const r = trades.returnPct(i);
    if (r > best) best = r;
    if (r < worst) worst = r;
    retSum += r;
    if (withLog) retLogSum += Math.log1p(r / 100);
  }
  return { count: k, wins, grossProfit, grossLoss, best, worst, retSum, retLogSum };
}

/** What the stats are computed from: the series, the equity summary, the two sums, and the run's cash and exposure. */
export interface StatsInputs {
  bars: BarSeries;
  scan: DrawdownSummary;
  /** Equity after the last close (the last day's close). */
  equityFinal: number;
  returns: ReturnSums;
  trades: TradeSums;
  initialCash: number;
  barsInMarket: number;
}

/** The stats' formulas (documented in docs/engine.md); `start` and `end` are passed in, a sweep formats them once. */
export function statsFrom(inputs: StatsInputs, start: string, end: string): Stats {
  const { bars, scan, equityFinal, returns, trades, initialCash, barsInMarket } = inputs;
  const n = bars.length;
  const time = bars.time;
  const { m, logSum, downSq, varSum } = returns;

  const variance = m > 1 ? varSum / (m - 1) : Number.NaN;
  const gmean = m > 0 ? Math.exp(logSum / m) - 1 : Number.NaN;
  const annualDays = scan.weekendBars / n > (2 / 7) * 0.6 ? 365 : 252;
  // Once equity has reached zero or below at some close (a drawdown of 100 % or more), returns past that point are
  // undefined (division by zero or a sign change), so the return-based risk measures are NaN (null in JSON) however
  // the days fall, instead of the meaningless finite values a last-day ruin would give.
  const ruined = scan.maxDrawdown >= 1;
  const annReturn = ruined ? Number.NaN : (1 + gmean) ** annualDays - 1;
  const volAnn = ruined ? Number.NaN : Math.sqrt((variance + (1 + gmean) ** 2) ** annualDays - (1 + gmean) ** (2 * annualDays));
  const downside = m > 0 ? Math.sqrt(downSq / m) * Math.sqrt(annualDays) : Number.NaN;

  const years = (time[n - 1] - time[0]) / YEAR_MS;
  const growth = equityFinal / initialCash;
  const cagr = years > 0 && growth >= 0 ? growth ** (1 / years) - 1 : Number.NaN;

  const k = trades.count;
  return {
    start,
    end,
    bars: n,
    trades: k,
    equityFinal,
    equityPeak: scan.peak,
    returnPct: (growth - 1) * 100,
    buyHoldReturnPct: (bars.close[n - 1] / bars.close[0] - 1) * 100,
    cagrPct: cagr * 100,
    volatilityAnnPct: volAnn * 100,
    sharpe: volAnn > 0 ? annReturn / volAnn : Number.NaN,
    sortino: ratio(annReturn, downside),
    calmar: scan.maxDrawdown > 0 ? annReturn / scan.maxDrawdown : Number.NaN,
    maxDrawdownPct: scan.maxDrawdown > 0 ? -scan.maxDrawdown * 100 : 0,
    avgDrawdownPct: scan.drawdownCount > 0 ? (-scan.drawdownSum / scan.drawdownCount) * 100 : 0,
    maxDrawdownDurationDays: scan.maxDurationMs / DAY_MS,
    winRatePct: k > 0 ? (trades.wins / k) * 100 : Number.NaN,
    bestTradePct: k > 0 ? trades.best : Number.NaN,
    worstTradePct: k > 0 ? trades.worst : Number.NaN,
    avgTradePct: k > 0 ? (Math.exp(trades.retLogSum / k) - 1) * 100 : Number.NaN,
    profitFactor: k > 0 ? ratio(trades.grossProfit, trades.grossLoss) : Number.NaN,
    expectancyPct: k > 0 ? trades.retSum / k : Number.NaN,
    exposurePct: (barsInMarket / n) * 100,
  };
}

/** Builds the stats object of a full run; formulas are documented in docs/engine.md. */
export function computeStats(
  bars: BarSeries,
  scan: EquitySummary,
  trades: TradeLog,
  initialCash: number,
  barsInMarket: number,
): Stats {
  const n = bars.length;
  const inputs: StatsInputs = {
    bars,
    scan,
    equityFinal: scan.dayCloses[scan.days - 1],
    returns: dailyReturnSums(scan.dayCloses, scan.days, new Float64Array(scan.days)),
    trades: tradeSums(trades),
    initialCash,
    barsInMarket,
  };
  return statsFrom(inputs, toIso(bars.time[0]), toIso(bars.time[n - 1]));
}
