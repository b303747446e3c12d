import { DAY_MS, toIso } from './time.ts';
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

/**
 * One pass over the equity curve: running peak and drawdown periods, equity at the end of each UTC day, and how many
 * bars fall on weekends (which decides the annualisation factor). Chunked like every other pass.
 */
export class EquityScan {
  private readonly time: Float64Array;
  private readonly equity: Float64Array;
  peak = Number.NEGATIVE_INFINITY;
  private peakIndex = 0;
  private inDrawdown = false;
  private trough = 0; // lowest equity since the current peak
  maxDrawdown = 0;
  drawdownSum = 0;
  drawdownCount = 0;
  maxDurationMs = 0;
  weekendBars = 0;
  private dayEnd = Number.NEGATIVE_INFINITY; // first ms of the next UTC day
  private weekend = 0;
  dayCloses: Float64Array;
  days = 0;

  constructor(time: Float64Array, equity: Float64Array, n: number) {
    this.time = time;
    this.equity = equity;
    this.dayCloses = new Float64Array(Math.min(n, 1024));
  }

  private pushDay(value: number): void {
    if (this.days === this.dayCloses.length) {
      const b = new Float64Array(this.days * 2);
      b.set(this.dayCloses);
      this.dayCloses = b;
    }
    this.dayCloses[this.days++] = value;
  }

  step(from: number, to: number): void {
    const { time, equity } = this;
    // Hot loop on locals; fields are read once and written back once per chunk.
    let peak = this.peak;
    let peakIndex = this.peakIndex;
    let trough = this.trough;
    let inDrawdown = this.inDrawdown;
    let dayEnd = this.dayEnd;
    let weekend = this.weekend;
    let i = from;
    while (i < to) {
      if (time[i] >= dayEnd) {
        if (i > 0) this.pushDay(equity[i - 1]);
        const day = Math.floor(time[i] / DAY_MS);
        dayEnd = (day + 1) * DAY_MS;
        const dow = (day + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
        weekend = dow === 0 || dow === 6 ? 1 : 0;
      }
      // The bars of this day inside the chunk: gallop then bisect, so the per-bar loop has no calendar checks.
      let lo = i + 1; // every index in [i, lo) is before dayEnd
      let probe = i + 1;
      let step = 1;
      while (probe < to && time[probe] < dayEnd) {
        lo = probe + 1;
        probe = i + 1 + step;
        step *= 2;
      }
      let hi = Math.min(probe, to);
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (time[mid] < dayEnd) lo = mid + 1;
        else hi = mid;
      }
      const segEnd = lo;
      this.weekendBars += weekend * (segEnd - i);
      for (; i < segEnd; i++) {
        const e = equity[i];
        if (e >= peak) {
          if (inDrawdown) {
            this.recordDrawdown(time[i] - time[peakIndex], 1 - trough / peak);
            inDrawdown = false;
          }
          peak = e;
          peakIndex = i;
          trough = e;
        } else {
          // The depth of a period is 1 - trough / peak: track the trough, divide once when the period ends.
          inDrawdown = true;
          if (e < trough) trough = e;
        }
      }
    }
    this.peak = peak;
    this.peakIndex = peakIndex;
    this.trough = trough;
    this.inDrawdown = inDrawdown;
    this.dayEnd = dayEnd;
    this.weekend = weekend;
  }

  private recordDrawdown(durationMs: number, depth: number): void {
    if (durationMs > this.maxDurationMs) this.maxDurationMs = durationMs;
    if (depth > this.maxDrawdown) this.maxDrawdown = depth;
    this.drawdownSum += depth;
    this.drawdownCount++;
  }

  /** Closes an unrecovered drawdown at the last bar and records the last day. */
  finish(n: number): void {
    if (this.inDrawdown) {
      this.recordDrawdown(this.time[n - 1] - this.time[this.peakIndex], 1 - this.trough / this.peak);
      this.inDrawdown = false;
    }
    if (n > 0) this.pushDay(this.equity[n - 1]);
  }
}

function ratio(num: number, den: number): number {
  if (den === 0 || Number.isNaN(den)) return num === 0 || Number.isNaN(num) ? Number.NaN : num > 0 ? Infinity : -Infinity;
  return num / den;
}

/** Builds the stats object; formulas are documented in docs/engine.md. */
export function computeStats(
  bars: BarSeries,
  scan: EquityScan,
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
  const annReturn = (1 + gmean) ** annualDays - 1;
  const volAnn = Math.sqrt((variance + (1 + gmean) ** 2) ** annualDays - (1 + gmean) ** (2 * annualDays));
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
