import { DAY_MS, toIso } from './time.ts';
import type { EquitySummary } from './equity-tracker.ts';
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

/** Builds the stats object; formulas are documented in docs/engine.md. */
export function computeStats(
  bars: BarSeries,
  scan: EquitySummary,
  trades: TradeLog,
  initialCash: number,
  barsInMarket: number,
): Stats {
  const n = bars.length;
  const time = bars.time;
  const equityFinal = scan.dayCloses[scan.days - 1];

  // Daily returns between consecutive UTC-day closing equities.
  const d = scan.dayCloses;
  const m = scan.days - 1;
  let logSum = 0;
  let sum = 0;
  let downSq = 0;
  for (let i = 1; i <= m; i++) {
    const r = d[i] / d[i - 1] - 1;
    sum += r;
    logSum += Math.log1p(r);
    if (r < 0) downSq += r * r;
  }
  const meanR = sum / m;
  let varSum = 0;
  for (let i = 1; i <= m; i++) {
    const r = d[i] / d[i - 1] - 1;
    varSum += (r - meanR) * (r - meanR);
  }
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

  // Trades.
  const k = trades.count;
  let wins = 0;
  let grossProfit = 0;
  let grossLoss = 0;
  let best = Number.NEGATIVE_INFINITY;
  let worst = Number.POSITIVE_INFINITY;
  let retSum = 0;
  let retLogSum = 0;
  for (let i = 0; i < k; i++) {
    const p = trades.pnl[i];
    if (p > 0) {
      wins++;
      grossProfit += p;
    } else if (p < 0) grossLoss -= p;
    const r = trades.returnPct(i);
    if (r > best) best = r;
    if (r < worst) worst = r;
    retSum += r;
    retLogSum += Math.log1p(r / 100);
  }

  return {
    start: toIso(time[0]),
    end: toIso(time[n - 1]),
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
    winRatePct: k > 0 ? (wins / k) * 100 : Number.NaN,
    bestTradePct: k > 0 ? best : Number.NaN,
    worstTradePct: k > 0 ? worst : Number.NaN,
    avgTradePct: k > 0 ? (Math.exp(retLogSum / k) - 1) * 100 : Number.NaN,
    profitFactor: k > 0 ? ratio(grossProfit, grossLoss) : Number.NaN,
    expectancyPct: k > 0 ? retSum / k : Number.NaN,
    exposurePct: (barsInMarket / n) * 100,
  };
}
