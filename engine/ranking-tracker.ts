import { weekendPrefixIfDaily, type DrawdownSummary, type EquityMarker } from './equity-tracker.ts';
import { dailyLogGrowth, dailyReturnSums, deviationSum, statsFrom, tradeSums, type MetricKey, type ReturnSums } from './stats.ts';
import { DAY_MS } from './time.ts';
import type { TradeLog } from './trade-log.ts';
import type { BarSeries } from './types.ts';

/** How much of the equity curve a metric reads (see RankingTracker). */
const Marks = {
  /** Nothing beyond the final equity: fill-based metrics. */
  None: 0,
  /** Whether equity ever fell to a 100 % drawdown (the return measures' ruin rule): the lowest and highest equity. */
  Ruin: 1,
  /** Peak and every drawdown period. */
  Drawdown: 2,
} as const;
type Marks = (typeof Marks)[keyof typeof Marks];

/** What one ranking metric needs from a run beyond its fills. */
interface MetricNeeds {
  marks: Marks;
  /** The daily-return sums. */
  returns: boolean;
  /** The variance pass over the daily returns (Sharpe, volatility). */
  variance: boolean;
  /** The sum of squared negative returns (Sortino). */
  downside: boolean;
  /** The trades' log-return sum (avgTradePct). */
  tradeLog: boolean;
}

const NEEDS: Record<MetricKey, MetricNeeds> = (() => {
  const plain: MetricNeeds = { marks: Marks.None, returns: false, variance: false, downside: false, tradeLog: false };
  const needs = {} as Record<MetricKey, MetricNeeds>;
  for (const key of ['bars', 'trades', 'equityFinal', 'returnPct', 'buyHoldReturnPct', 'cagrPct', 'winRatePct', 'bestTradePct',
    'worstTradePct', 'profitFactor', 'expectancyPct', 'exposurePct'] as const) needs[key] = plain;
  for (const key of ['equityPeak', 'maxDrawdownPct', 'avgDrawdownPct', 'maxDrawdownDurationDays'] as const) needs[key] = { ...plain, marks: Marks.Drawdown };
  needs.calmar = { ...plain, marks: Marks.Drawdown, returns: true };
  needs.sortino = { ...plain, marks: Marks.Ruin, returns: true, downside: true };
  needs.sharpe = needs.volatilityAnnPct = { ...plain, marks: Marks.Ruin, returns: true, variance: true };
  needs.avgTradePct = { ...plain, tradeLog: true };
  return needs;
})();

/** A series' UTC days, found once per sweep: the last bar of each day and the weekend bars (both fixed by the times). */
interface SeriesDays {
  /** Index of the last bar of each UTC day; undefined when every bar is its own day (daily data: the index itself). */
  ends: Int32Array | undefined;
  days: number;
  weekendBars: number;
}

/** Days as the full run's EquityTracker finds them: a day runs from its first bar to the last bar before the next UTC midnight. */
function seriesDays(time: Float64Array, n: number): SeriesDays {
  const daily = n === time.length ? weekendPrefixIfDaily(time) : undefined;
  if (daily !== undefined) return { ends: undefined, days: n, weekendBars: daily[n] };
  const ends: number[] = [];
  let weekendBars = 0;
  let i = 0;
  while (i < n) {
    const day = Math.floor(time[i] / DAY_MS);
    const dayEnd = (day + 1) * DAY_MS;
    const dow = (day + 4) % 7; // as EquityTracker: 1970-01-01 was a Thursday; 0 = Sunday, 6 = Saturday
    let j = i + 1;
    while (j < n && time[j] < dayEnd) j++;
    if (dow === 0 || dow === 6) weekendBars += j - i;
    ends.push(j - 1);
    i = j;
  }
  return { ends: Int32Array.from(ends), days: ends.length, weekendBars };
}

/** 2^-54: `1 - q` rounds to 1 (a 100 % drawdown) exactly when q <= 2^-54 (see RankingTracker.ruinKnown). */
const RUIN_RATIO = 2 ** -54;

/**
 * The equity side of a sweep's ranking pass: computes one combination's ranking metric and nothing else, with the
 * same arithmetic in the same order as a full run (EquityTracker + computeStats), so the number is the same double.
 * It leaves out what only a shown result needs: the downsampled curve, Trade objects, ISO dates, the other stats, and
 * per-combination allocations (its buffers serve the whole sweep). What it computes depends on the metric:
 * - fill-based metrics (trades, final equity, exposure, trade stats) mark no bar at all;
 * - drawdown metrics track the peak and every drawdown period, as the full run does;
 * - the return measures (Sharpe, Sortino, volatility) read the drawdown only for the ruin rule (NaN once equity has
 *   fallen 100 %), which the lowest and highest equity decide without a branch per bar (ruinKnown); calmar needs
 *   the maximum drawdown itself;
 * - daily returns are summed as the bars are marked on daily data (a flat day's zero return adds nothing), the log of
 *   the growth is one log of last over first equity (dailyLogGrowth), and only Sharpe and volatility pay the variance
 *   pass.
 * A flat run (no position) has the same equity at every close and costs O(1) plus a fill of zero returns.
 */
export class RankingTracker implements EquityMarker, DrawdownSummary {
  private readonly bars: BarSeries;
  private readonly close: Float64Array;
  private readonly time: Float64Array;
  private readonly n: number;
  private readonly metric: MetricKey;
  private readonly needs: MetricNeeds;
  private readonly ends: Int32Array | undefined;
  private readonly days: number;
  readonly weekendBars: number;
  /** Every close finite, so a flat run's equity is the same at every close. */
  private readonly finiteCloses: boolean;
  /** The series' lowest and highest close (NaN if a close is NaN), for boundRuin. */
  private readonly lowestClose: number;
  private readonly highestClose: number;
  /** Intraday data: equity at the last bar of each UTC day (only for return metrics). */
  private readonly dayCloses: Float64Array;
  /** Daily returns (index = day), kept for the variance pass. */
  private readonly returns: Float64Array;

  // Drawdown (Marks.Drawdown), as EquityTracker.
  peak = Number.NEGATIVE_INFINITY;
  private peakIndex = 0;
  private inDrawdown = false;
  private trough = 0;
  maxDrawdown = 0;
  drawdownSum = 0;
  drawdownCount = 0;
  maxDurationMs = 0;
  // Lowest and highest equity (Marks.Ruin).
  private low = Number.POSITIVE_INFINITY;
  private high = Number.NEGATIVE_INFINITY;
  // Daily data: return sums as in dailyReturnSums, and the equity at the previous close.
  private sum = 0;
  private downSq = 0;
  private previous = Number.NaN;
  /** Daily data: the equity at the first close (the log sum is log(last / first): dailyLogGrowth). */
  private first = Number.NaN;
  /** Intraday data: the next day (index into `ends`) whose close is still to record. */
  private nextDay = 0;
  private equityFinal = Number.NaN;

  constructor(bars: BarSeries, metric: MetricKey) {
    this.bars = bars;
    this.close = bars.close;
    this.time = bars.time;
    this.n = bars.length;
    this.metric = metric;
    this.needs = NEEDS[metric];
    const days = seriesDays(bars.time, bars.length);
    this.ends = days.ends;
    this.days = days.days;
    this.weekendBars = days.weekendBars;
    let lowest = Number.POSITIVE_INFINITY;
    let highest = Number.NEGATIVE_INFINITY;
    for (let t = 0; t < this.n; t++) {
      lowest = Math.min(lowest, bars.close[t]);
      highest = Math.max(highest, bars.close[t]);
    }
    this.lowestClose = lowest;
    this.highestClose = highest;
    this.finiteCloses = Number.isFinite(lowest) && Number.isFinite(highest);
    const returns = this.needs.returns;
    this.dayCloses = new Float64Array(returns && this.ends !== undefined ? this.days : 0);
    this.returns = new Float64Array(returns ? this.days : 0);
  }

  /** Starts the next combination. */
  reset(): void {
    this.peak = Number.NEGATIVE_INFINITY;
    this.peakIndex = 0;
    this.inDrawdown = false;
    this.trough = 0;
    this.maxDrawdown = 0;
    this.drawdownSum = 0;
    this.drawdownCount = 0;
    this.maxDurationMs = 0;
    this.low = Number.POSITIVE_INFINITY;
    this.high = Number.NEGATIVE_INFINITY;
    this.sum = 0;
    this.downSq = 0;
    this.previous = Number.NaN;
    this.first = Number.NaN;
    this.nextDay = 0;
    this.equityFinal = Number.NaN;
  }

  /** Marks bars [from, to) with the cash and units held over them (called as EquityTracker.mark is). */
  mark(from: number, to: number, cash: number, units: number): void {
    const n = this.n;
    if (to === n) this.equityFinal = cash + units * this.close[n - 1];
    const needs = this.needs;
    if (needs.marks === Marks.None || from >= to) return;
    // A flat run's equity is `cash + 0 * close`, the same double at every close (for finite closes).
    const flat = units === 0 && this.finiteCloses;
    if (needs.marks === Marks.Drawdown) this.markDrawdown(from, flat ? from + 1 : to, cash, units, flat ? to : from + 1);
    else this.boundRuin(from, flat ? from + 1 : to, cash, units);
    if (!needs.returns) return;
    if (this.ends === undefined) this.dailyReturns(from, to, cash, units, flat);
    else this.recordDayCloses(to, cash, units);
  }

  /**
   * EquityTracker's drawdown loop over [from, to). `through` > to marks a flat run's remaining bars [to, through) at
   * the equity of bar to - 1: each is then at the peak (it becomes the peak's index) or the drawdown goes on with its
   * trough unchanged.
   */
  private markDrawdown(from: number, to: number, cash: number, units: number, through: number): void {
    const { close, time } = this;
    let peak = this.peak;
    let peakIndex = this.peakIndex;
    let trough = this.trough;
    let inDrawdown = this.inDrawdown;
    let maxDurationMs = this.maxDurationMs;
    let maxDrawdown = this.maxDrawdown;
    let drawdownSum = this.drawdownSum;
    let drawdownCount = this.drawdownCount;
    for (let t = from; t < to; t++) {
      const e = cash + units * close[t];
      if (e >= peak) {
        if (inDrawdown) {
          // Inline, not a call: a call in the loop, even on a rare branch, costs the loop its registers.
          const duration = time[t] - time[peakIndex];
          const depth = 1 - trough / peak;
          if (duration > maxDurationMs) maxDurationMs = duration;
          if (depth > maxDrawdown) maxDrawdown = depth;
          drawdownSum += depth;
          drawdownCount++;
          inDrawdown = false;
        }
        peak = e;
        peakIndex = t;
        trough = e;
      } else {
        inDrawdown = true;
        if (e < trough) trough = e;
      }
    }
    if (through > to && !inDrawdown) peakIndex = through - 1;
    this.peak = peak;
    this.peakIndex = peakIndex;
    this.trough = trough;
    this.inDrawdown = inDrawdown;
    this.maxDurationMs = maxDurationMs;
    this.maxDrawdown = maxDrawdown;
    this.drawdownSum = drawdownSum;
    this.drawdownCount = drawdownCount;
  }

  /**
   * Bounds the run's equity for the ruin rule without reading its bars: with units >= 0, `cash + units * close` is at
   * least its value at the series' lowest close and at most its value at the highest (rounding is monotone; mirrored
   * for a short). Only a run whose lower bound is not above 0 (a short against a rally, or a bad number) is marked
   * bar by bar.
   */
  private boundRuin(from: number, to: number, cash: number, units: number): void {
    const long = units >= 0;
    const lower = cash + units * (long ? this.lowestClose : this.highestClose);
    if (lower > 0) {
      const upper = cash + units * (long ? this.highestClose : this.lowestClose);
      if (lower < this.low) this.low = lower;
      if (!(upper <= this.high)) this.high = upper; // NaN too: it makes the ratio undecided
    } else {
      this.markExtremes(from, to, cash, units);
    }
  }

  /** Lowest and highest equity over [from, to) (a flat run passes only its first bar). */
  private markExtremes(from: number, to: number, cash: number, units: number): void {
    const close = this.close;
    let low = this.low;
    let high = this.high;
    for (let t = from; t < to; t++) {
      const e = cash + units * close[t];
      low = Math.min(low, e);
      high = Math.max(high, e);
    }
    this.low = low;
    this.high = high;
  }

  /**
   * Daily data: every bar is a day, so its return `e / previous - 1` is taken as it is marked and summed in day order,
   * exactly as dailyReturnSums does over stored closes. In a flat run every return after the first is exactly 0 (for
   * a finite non-zero equity), which adds nothing to the sums.
   */
  private dailyReturns(from: number, to: number, cash: number, units: number, flat: boolean): void {
    const { close, returns } = this;
    let sum = this.sum;
    let downSq = this.downSq;
    let previous = this.previous;
    // Only Sortino reads the downside sum: its sign test is a branch the processor cannot predict (half the days).
    const downside = this.needs.downside;
    const first = cash + units * close[from];
    const end = flat && Number.isFinite(first) && first !== 0 ? from + 1 : to;
    for (let t = from; t < end; t++) {
      const e = cash + units * close[t];
      if (t > 0) {
        const r = e / previous - 1;
        returns[t] = r;
        if (r !== 0) {
          sum += r;
          if (downside && r < 0) downSq += r * r;
        }
      } else {
        this.first = e;
      }
      previous = e;
    }
    if (end < to) returns.fill(0, end, to);
    this.sum = sum;
    this.downSq = downSq;
    this.previous = previous;
  }

  /** Intraday data: the close of every day that ends before `to` (a few per run, not one per bar). */
  private recordDayCloses(to: number, cash: number, units: number): void {
    const { close, dayCloses } = this;
    const ends = this.ends!;
    let d = this.nextDay;
    while (d < this.days && ends[d] < to) {
      dayCloses[d] = cash + units * close[ends[d]];
      d++;
    }
    this.nextDay = d;
  }

  /** After the last bar: closes an unrecovered drawdown, as EquityTracker.finish does. */
  finish(): void {
    if (this.inDrawdown) {
      const depth = 1 - this.trough / this.peak;
      const duration = this.time[this.n - 1] - this.time[this.peakIndex];
      if (duration > this.maxDurationMs) this.maxDurationMs = duration;
      if (depth > this.maxDrawdown) this.maxDrawdown = depth;
      this.drawdownSum += depth;
      this.drawdownCount++;
      this.inDrawdown = false;
    }
  }

  /**
   * Settles the ruin rule from the lowest and highest equity, when they decide it. The full run's maximum drawdown is
   * the largest `1 - trough / peak`, and `1 - q` rounds to at least 1 exactly when q <= 2^-54. Every peak is positive
   * (the first close is the initial cash), so equity at or below 0 is a ruin; and every ratio trough / peak is at
   * least low / high, so `low / high > 2^-54` rules one out (division rounds monotonically). Returns false in between
   * (equity above 0 but below 2^-54 of its high, or not a number), where only the drawdown loop can tell. `low` and
   * `high` may be bounds (boundRuin) rather than the extremes themselves: a lower `low` and a higher `high` keep
   * both conclusions sound.
   */
  private ruinKnown(): boolean {
    const { low, high } = this;
    if (low <= 0) {
      this.maxDrawdown = 1;
      return true;
    }
    if (low / high > RUIN_RATIO) {
      this.maxDrawdown = 0;
      return true;
    }
    return false;
  }

  /**
   * The combination's ranking metric from the run just finished: the same formulas (statsFrom) over the same sums as
   * computeStats. Stats the metric does not read come out NaN in between and are dropped. Undefined when this pass
   * cannot decide the metric exactly (ruinKnown); the caller then runs the combination in full.
   */
  value(trades: TradeLog, initialCash: number, barsInMarket: number): number | undefined {
    const needs = this.needs;
    if (needs.marks === Marks.Ruin && !this.ruinKnown()) return undefined;
    const m = this.days - 1;
    let returns: ReturnSums;
    if (!needs.returns) returns = { m, sum: Number.NaN, logSum: Number.NaN, downSq: Number.NaN, varSum: Number.NaN };
    else if (this.ends !== undefined) returns = dailyReturnSums(this.dayCloses, this.days, this.returns, needs.variance);
    else {
      const sum = this.sum;
      const logSum = dailyLogGrowth(this.first, this.equityFinal, sum);
      returns = { m, sum, logSum, downSq: needs.downside ? this.downSq : Number.NaN, varSum: needs.variance ? deviationSum(this.returns, m, sum / m) : Number.NaN };
    }
    const stats = statsFrom(
      { bars: this.bars, scan: this, equityFinal: this.equityFinal, returns, trades: tradeSums(trades, needs.tradeLog), initialCash, barsInMarket },
      '',
      '',
    );
    return stats[this.metric];
  }
}
